import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { Emulator, Timings } from "../../emulator/index.js";
import { loadWorldFile, parseDuration, startEmulator } from "../../emulator/index.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { createOpenStackAdapter } from "../openstack/adapter.js";
import type { ProviderRuntime } from "../runtime.js";

/**
 * The fleet file's options for a `sim` provider (all optional).
 * - `world`: world file, relative to the fleet file (default: an empty cloud)
 * - `state`: where the simulated cloud is kept between runs (default `.reform/sim-<name>.json`)
 * - `timings`: durations of operations, e.g. `{ rebuild: 2s }` (default: the world's)
 * - `maxMicroversion`: highest compute microversion offered (default 2.96)
 */
export interface SimSettings {
  readonly world?: string;
  readonly state?: string;
  readonly timings?: Readonly<Record<string, string | number>>;
  readonly maxMicroversion?: string;
}

const SIM_USER = "reform";

/**
 * The embedded default cloud: the emulator started in-process on an ephemeral loopback port, its state
 * persisted between runs, driven through the same OpenStack client code as a real cloud.
 */
export async function createSimAdapter(options: {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly baseDir: string;
  readonly runtime: ProviderRuntime;
}): Promise<ProviderAdapter> {
  const settings = options.settings as SimSettings;
  const world = settings.world ? await loadWorldFile(resolve(options.baseDir, settings.world)) : { file: "(empty world)", timings: {} };
  const project = world.openstack?.users?.[0]?.project ?? "demo";
  const password = randomBytes(24).toString("base64url");
  const emulator = await startEmulator({
    world,
    port: 0,
    persistPath: resolve(options.baseDir, settings.state ?? `.reform/sim-${options.name}.json`),
    extraUsers: [{ name: SIM_USER, password, project, roles: ["admin"] }],
    ...(settings.timings ? { timings: parseTimings(settings.timings) } : {}),
    ...(settings.maxMicroversion ? { maxMicroversion: settings.maxMicroversion } : {}),
  });
  const inner = createOpenStackAdapter({
    name: options.name,
    ...options.runtime,
    settings: { pollIntervalMs: 100 },
    connection: {
      origin: `the embedded simulator (${world.file})`,
      authUrl: emulator.urls.identity,
      auth: { type: "password", username: SIM_USER, password: new Secret(password), projectName: project, userDomainName: "Default", projectDomainName: "Default" },
      regionName: world.openstack?.region ?? "RegionOne",
    },
  });
  return withEmulator(inner, emulator);
}

function parseTimings(raw: Readonly<Record<string, string | number>>): Partial<Timings> {
  const timings: Partial<Record<keyof Timings, number>> = {};
  for (const [key, value] of Object.entries(raw)) timings[key as keyof Timings] = parseDuration(value);
  return timings;
}

/** The adapter, whose close() also stops the emulator (which persists its state). */
function withEmulator(inner: ProviderAdapter, emulator: Emulator): ProviderAdapter {
  return {
    name: inner.name,
    type: "sim",
    ...(inner.pollIntervalMs !== undefined ? { pollIntervalMs: inner.pollIntervalMs } : {}),
    capabilities: (signal) => inner.capabilities(signal),
    resolveImages: (refs, signal) => inner.resolveImages(refs, signal),
    listInstances: (req, signal) => inner.listInstances(req, signal),
    startStep: (req, signal) => inner.startStep(req, signal),
    pollOperations: (handles, signal) => inner.pollOperations(handles, signal),
    close: async () => {
      await inner.close();
      await emulator.close();
    },
  };
}

