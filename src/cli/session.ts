import { resolve } from "node:path";
import { loadFleet } from "../config/load.js";
import type { DesiredFleet } from "../model/desired.js";
import type { ProviderAdapter } from "../model/provider.js";
import { createAdapters } from "../providers/registry.js";
import type { CliIo } from "./io.js";

/** A loaded fleet and its providers' adapters; `close()` releases connections and stops embedded simulators. */
export interface Session {
  readonly fleet: DesiredFleet;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  close(): Promise<void>;
}

export async function loadConfig(io: CliIo, configPath: string): Promise<DesiredFleet> {
  return loadFleet(resolve(io.cwd, configPath), { readFile: io.readFile, env: io.env, cwd: io.cwd });
}

export async function openSession(io: CliIo, configPath: string, options: { debug: boolean }): Promise<Session> {
  const fleet = await loadConfig(io, configPath);
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

/** Runs `body` with a session and always closes it. */
export async function withSession<T>(io: CliIo, configPath: string, options: { debug: boolean }, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(io, configPath, options);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
