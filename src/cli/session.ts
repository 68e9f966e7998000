import { resolve } from "node:path";
import { loadFleet } from "../config/load.js";
import type { LoadFleetDeps, LoadFleetOptions } from "../config/load.js";
import type { DesiredFleet } from "../model/desired.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { CliIo } from "./io.js";

/** A loaded fleet and its providers' adapters; `close()` releases connections and stops embedded simulators. */
export interface Session {
  readonly fleet: DesiredFleet;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  close(): Promise<void>;
}

/** What the pipeline lets a fleet file reach: `--root DIR`, and `--allow-env NAME` with `REFORM_ALLOW_ENV`. */
export interface FleetAccessOptions {
  readonly root?: string;
  readonly allowEnv?: readonly string[];
  readonly allowEndpoint?: readonly string[];
}

export async function loadConfig(
  io: CliIo,
  configPath: string,
  access: FleetAccessOptions = {},
  options: LoadFleetOptions = {},
): Promise<DesiredFleet> {
  return loadFleet(resolve(io.cwd, configPath), fleetDeps(io, access), options);
}

/** What loading a fleet file may read and reach: the CLI's files and environment, within what the pipeline allows. */
export function fleetDeps(io: CliIo, access: FleetAccessOptions): LoadFleetDeps {
  return {
    readFile: io.readFile,
    realPath: io.realPath,
    env: io.env,
    cwd: io.cwd,
    allowEnv: listed(io.env, "REFORM_ALLOW_ENV", access.allowEnv ?? []),
    allowEndpoints: listed(io.env, "REFORM_ALLOW_ENDPOINTS", access.allowEndpoint ?? []),
    ...(access.root !== undefined ? { root: access.root } : {}),
  };
}

/** A repeatable flag's values and those of its variable (comma or space separated), e.g. `--allow-env` and `REFORM_ALLOW_ENV`. */
export function listed(
  env: Readonly<Record<string, string | undefined>>,
  variable: string,
  flags: readonly string[],
): string[] {
  const fromEnv = (env[variable] ?? "").split(/[\s,]+/).filter((name) => name !== "");
  return [...new Set([...flags, ...fromEnv])];
}

/** The fleet's providers' adapters (the embedded simulator starts here; clouds are contacted only when first used). */
export async function openSession(io: CliIo, fleet: DesiredFleet, options: { debug: boolean }): Promise<Session> {
  // Imported here, not at the top: `reform validate` loads fleets without the HTTP stack, the providers or the emulator.
  const { createAdapters } = await import("../providers/registry.js");
  const adapters = await createAdapters(fleet, {
    env: io.env,
    cwd: io.cwd,
    homeDir: io.homeDir,
    readFile: io.readFile,
    clock: io.clock,
    warn: (message) => io.stderr.write(`Warning: ${message}\n`),
    ...(options.debug ? { debug: (line: string) => io.stderr.write(`[debug] ${line}\n`) } : {}),
  });
  return {
    fleet,
    adapters,
    close: async () => {
      for (const adapter of adapters.values()) await adapter.close();
    },
  };
}

/** Runs `body` with a session and always closes it; `config` is the fleet file's path, or the fleet already loaded. */
export async function withSession<T>(
  io: CliIo,
  config: string | DesiredFleet,
  options: { debug: boolean } & FleetAccessOptions,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const fleet = typeof config === "string" ? await loadConfig(io, config, options) : config;
  const session = await openSession(io, fleet, options);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
