import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import type { Clock } from "../model/clock.js";
import type { RealPath } from "../model/real-path.js";
import { systemClock } from "../runtime/clock.js";
import { realPathOnDisk } from "../runtime/real-path.js";

/** Everything the CLI touches outside itself, in one place (tests run `main` with their own). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly clock: Clock;
  readonly readFile: (path: string) => Promise<Buffer>;
  /** Resolves symbolic links (confines the files a fleet file names). */
  readonly realPath: RealPath;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    clock: systemClock,
    readFile: (path) => readFile(path),
    realPath: realPathOnDisk,
  };
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export function useColor(io: CliIo, requested: boolean | undefined): boolean {
  if (requested === false) return false;
  if (io.env["NO_COLOR"] !== undefined && io.env["NO_COLOR"] !== "") return false;
  if (io.env["FORCE_COLOR"] !== undefined && io.env["FORCE_COLOR"] !== "0") return true;
  return Boolean(io.stdout.isTTY) && io.env["TERM"] !== "dumb";
}

export function isInteractive(io: CliIo): boolean {
  return Boolean(io.stdin.isTTY) && Boolean(io.stdout.isTTY) && io.env["CI"] !== "true";
}
