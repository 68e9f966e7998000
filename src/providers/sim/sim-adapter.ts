import { resolve } from "node:path";
import type { Timings, World } from "../../emulator/index.js";
import { loadWorldFile, parseDuration } from "../../emulator/index.js";
import { ReformError } from "../../model/errors.js";
import type { ProviderAdapter, ProviderRuntime } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { createOpenStackAdapter } from "../openstack/adapter.js";
import type { SharedEmulator } from "./shared-emulator.js";
import { acquireEmulator } from "./shared-emulator.js";

/** The emulated APIs a sim provider can drive. */
export const SIM_APIS = ["openstack", "huaweicloud", "jdcloud"] as const;
export type SimApi = (typeof SIM_APIS)[number];

/**
 * The fleet file's options for a `sim` provider (all optional).
 * - `api`: which emulated cloud API it drives: openstack (default), huaweicloud or jdcloud (the world needs that section)
 * - `world`: world file, relative to the fleet file (default: an empty cloud)
 * - `state`: where the simulated cloud is kept between runs (default `.reform/sim-<name>.json`); sim providers naming
 *   the same state file share one emulator (they must name the same world, timings and maxMicroversion)
 * - `timings`: durations of operations, e.g. `{ rebuild: 2s }` (default: the world's)
 * - `maxMicroversion`: highest compute microversion offered (default 2.100, Nova 2025.1)
 */
export interface SimSettings {
  readonly api?: SimApi;
  readonly world?: string;
  readonly state?: string;
  readonly timings?: Readonly<Record<string, string | number>>;
  readonly maxMicroversion?: string;
}

/** What the real Huawei and JD clients are created with (the registry passes their factories: it alone knows every provider). */
export type SimClientOptions = ProviderRuntime & {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
};

/** The real clients for the APIs other than OpenStack. */
export interface SimClients {
  readonly huaweicloud: (options: SimClientOptions) => ProviderAdapter;
  readonly jdcloud: (options: SimClientOptions) => ProviderAdapter;
}

/** How often apply polls the embedded emulator (its operations take seconds at most). */
const SIM_POLL_MS = 100;

/**
 * The embedded default cloud: the emulator started in-process on an ephemeral loopback port, its state persisted
 * between runs, driven through the same client code as a real cloud of the chosen `api`, with generated credentials.
 */
export async function createSimAdapter(options: {
  readonly name: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly baseDir: string;
  readonly runtime: ProviderRuntime;
  /** @default undefined: only `api: openstack` is available */
  readonly clients?: SimClients;
}): Promise<ProviderAdapter> {
  const settings = options.settings as SimSettings;
  const api = settings.api ?? "openstack";
  if (!SIM_APIS.includes(api))
    throw new ReformError(
      "CONFIG_INVALID",
      `provider ${options.name}: unknown sim api "${String(api)}" (expected ${SIM_APIS.join(", ")})`,
    );
  const world = settings.world
    ? await loadWorldFile(resolve(options.baseDir, settings.world))
    : { file: "(empty world)", timings: {} };
  if (api !== "openstack" && !world[api])
    throw new ReformError(
      "CONFIG_INVALID",
      `provider ${options.name}: api ${api}, but the world ${world.file} has no ${api}: section`,
    );
  const { shared, release } = await acquireEmulator({
    provider: options.name,
    statePath: resolve(options.baseDir, settings.state ?? `.reform/sim-${options.name}.json`),
    world,
    options: {
      ...(settings.timings ? { timings: parseTimings(settings.timings) } : {}),
      ...(settings.maxMicroversion ? { maxMicroversion: settings.maxMicroversion } : {}),
    },
  });
  try {
    return withRelease(innerAdapter(api, options, shared), shared.emulator.urls.health, release);
  } catch (error) {
    await release();
    throw error;
  }
}

function innerAdapter(
  api: SimApi,
  options: Parameters<typeof createSimAdapter>[0],
  shared: SharedEmulator,
): ProviderAdapter {
  const { emulator, world, credentials } = shared;
  const base = { ...options.runtime, name: options.name };
  switch (api) {
    case "openstack":
      return createOpenStackAdapter({
        ...base,
        settings: { pollIntervalMs: SIM_POLL_MS },
        connection: {
          origin: `the embedded simulator (${world.file})`,
          authUrl: emulator.urls.identity,
          auth: {
            type: "password",
            username: credentials.openstack.username,
            password: new Secret(credentials.openstack.password),
            projectName: world.openstack?.users?.[0]?.project ?? "demo",
            userDomainName: "Default",
            projectDomainName: "Default",
          },
          regionName: world.openstack?.region ?? "RegionOne",
        },
      });
    case "huaweicloud": {
      const hw = requireSection(world, "huaweicloud");
      const settings = {
        region: "sim",
        projectId: hw.projectId,
        userId: hw.userId,
        endpoint: emulator.urls.huaweicloud,
        pollIntervalMs: SIM_POLL_MS,
      };
      // Only the generated keys: the user's HW_* variables (a security token, another cloud's keys) must not leak in.
      const env = {
        HW_ACCESS_KEY: credentials.huaweicloud.accessKey,
        HW_SECRET_KEY: credentials.huaweicloud.secretKey,
      };
      return clientsOf(options).huaweicloud({ ...base, env, settings });
    }
    case "jdcloud": {
      const jd = requireSection(world, "jdcloud");
      const env = { JDC_ACCESS_KEY: credentials.jdcloud.accessKey, JDC_SECRET_KEY: credentials.jdcloud.secretKey };
      return clientsOf(options).jdcloud({
        ...base,
        env,
        settings: { region: jd.region, endpoint: emulator.urls.jdcloud, pollIntervalMs: SIM_POLL_MS },
      });
    }
  }
}

function requireSection<K extends "huaweicloud" | "jdcloud">(world: World, key: K): NonNullable<World[K]> {
  const section = world[key];
  if (!section) throw new ReformError("CONFIG_INVALID", `the world ${world.file} has no ${key}: section`);
  return section;
}

function clientsOf(options: { readonly name: string; readonly clients?: SimClients }): SimClients {
  if (!options.clients)
    throw new ReformError(
      "USAGE",
      `provider ${options.name}: this sim provider was created without the Huawei and JD clients (create it through createAdapter)`,
    );
  return options.clients;
}

function parseTimings(raw: Readonly<Record<string, string | number>>): Partial<Timings> {
  const timings: Partial<Record<keyof Timings, number>> = {};
  for (const [key, value] of Object.entries(raw)) timings[key as keyof Timings] = parseDuration(value);
  return timings;
}

/**
 * The adapter, typed `sim`, with the emulator's health route (`{health}` in gate URLs), whose close() also releases the
 * shared emulator (the last release stops it and persists).
 */
function withRelease(inner: ProviderAdapter, healthUrl: string, release: () => Promise<void>): ProviderAdapter {
  return {
    name: inner.name,
    type: "sim",
    healthUrl,
    ...(inner.pollIntervalMs !== undefined ? { pollIntervalMs: inner.pollIntervalMs } : {}),
    ...(inner.operationRules !== undefined ? { operationRules: inner.operationRules } : {}),
    capabilities: (signal) => inner.capabilities(signal),
    resolveImages: (refs, signal) => inner.resolveImages(refs, signal),
    findKeyPairs: (names, signal) => inner.findKeyPairs(names, signal),
    ...(inner.keyPairNames
      ? { keyPairNames: (signal: AbortSignal) => inner.keyPairNames?.(signal) ?? Promise.resolve([]) }
      : {}),
    listInstances: (req, signal) => inner.listInstances(req, signal),
    startStep: (req, signal) => inner.startStep(req, signal),
    pollOperations: (queries, signal) => inner.pollOperations(queries, signal),
    endpoints: () => [
      {
        service: "simulator",
        url: "embedded, on an ephemeral loopback port",
        source: "the sim provider (reform's own emulator, in this process)",
      },
    ],
    close: async () => {
      try {
        await inner.close();
      } finally {
        await release();
      }
    },
  };
}
