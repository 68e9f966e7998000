import type { Clock } from "../model/clock.js";

/** What every provider factory gets from the composition root (the CLI or a library caller). */
export interface ProviderRuntime {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  readonly clock: Clock;
  /** Warnings for the user (e.g. TLS verification turned off). */
  readonly warn: (message: string) => void;
  /** HTTP exchanges, secrets redacted; only with --debug. */
  readonly debug?: (line: string) => void;
}
