import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DesiredFleet, ProviderAdapter } from "../src/index.js";
import { createAdapters, loadFleet, systemClock } from "../src/index.js";
import { cloudsYaml, fleetYaml } from "./world.js";

export interface BenchDir {
  readonly dir: string;
  readonly fleetPath: string;
  remove(): Promise<void>;
}

/** A temporary directory with clouds.yaml (pointing at the emulator) and fleet.yaml: what a user's checkout holds. */
export async function benchDir(
  identityUrl: string,
  image: string,
  parallelism: number,
  providerLine?: string,
): Promise<BenchDir> {
  const dir = await mkdtemp(join(tmpdir(), "reform-bench-"));
  await writeFile(join(dir, "clouds.yaml"), cloudsYaml(identityUrl));
  const fleetPath = join(dir, "fleet.yaml");
  await writeFile(fleetPath, fleetYaml(image, parallelism, providerLine));
  return { dir, fleetPath, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface LibrarySession {
  readonly fleet: DesiredFleet;
  readonly adapters: Map<string, ProviderAdapter>;
  close(): Promise<void>;
}

/** The library's composition root, as the CLI builds it (no printing). `debug` sees one line per HTTP exchange. */
export async function librarySession(
  dir: Pick<BenchDir, "dir" | "fleetPath">,
  debug?: (line: string) => void,
): Promise<LibrarySession> {
  const env = { HOME: dir.dir };
  const deps = { readFile: (path: string) => readFile(path), realPath: realPathOnDisk, env, cwd: dir.dir };
  const fleet = await loadFleet(dir.fleetPath, deps);
  const adapters = await createAdapters(fleet, {
    ...deps,
    homeDir: dir.dir,
    clock: systemClock,
    warn: () => undefined,
    ...(debug ? { debug } : {}),
  });
  return {
    fleet,
    adapters,
    close: async () => {
      for (const adapter of adapters.values()) await adapter.close();
    },
  };
}
