import { checkFaultOptions, countedFaults, FaultInjector } from "./faults.js";
import { createHealthService, HEALTH_PREFIX } from "./health.js";
import {
  createOpenStackServices,
  initialState,
  openStackHealth,
  parseMicroversion,
  withExtraUsers,
} from "./openstack/index.js";
import { EMPTY_OPENSTACK_WORLD } from "./openstack/world-types.js";
import { HUAWEI_PREFIX, huaweiHealth, huaweiServices, huaweiStartingState } from "./huawei/index.js";
import { JD_PREFIX, jdServices, jdStartingState } from "./jdcloud/index.js";
import { ListCache } from "./list-cache.js";
import { loadState, Persister } from "./persist.js";
import { emptyStats, startHttpServer } from "./server.js";
import type { Emulator, EmulatorOptions, Timings, WorldState } from "./types.js";
import { DEFAULT_TIMINGS, NO_FAULTS } from "./types.js";

function timingsOf(options: EmulatorOptions): Timings {
  const timings = { ...DEFAULT_TIMINGS, ...options.world.timings, ...options.timings };
  for (const [key, value] of Object.entries(timings))
    if (!(value >= 0)) throw new RangeError(`timing ${key} must be a non-negative number of ms`);
  return timings;
}

async function startingState(options: EmulatorOptions, seed: number, now: number): Promise<WorldState> {
  const extraUsers = options.extraUsers ?? [];
  const loaded = options.persistPath ? await loadState(options.persistPath) : undefined;
  const huaweicloud = huaweiStartingState(options.world.huaweicloud, loaded?.huaweicloud, seed, now);
  const jdcloud = jdStartingState(options.world.jdcloud, loaded?.jdcloud, seed, now);
  if (loaded)
    return {
      ...loaded,
      openstack: withExtraUsers(loaded.openstack, extraUsers, seed),
      ...(huaweicloud ? { huaweicloud } : {}),
      ...(jdcloud ? { jdcloud } : {}),
    };
  return {
    version: 1,
    openstack: initialState({ world: options.world.openstack ?? EMPTY_OPENSTACK_WORLD, extraUsers, seed, now }),
    ...(huaweicloud ? { huaweicloud } : {}),
    ...(jdcloud ? { jdcloud } : {}),
    actions: [],
  };
}

/** The newest compute microversion of Nova 31 (2025.1 "Epoxy"), served unless the caller asks for less. */
export const DEFAULT_MAX_MICROVERSION = "2.100";

/** Starts the emulated clouds on one loopback HTTP port. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const seed = options.seed ?? 1;
  const maxVersion = parseMicroversion(options.maxMicroversion ?? DEFAULT_MAX_MICROVERSION);
  if (!maxVersion || maxVersion.major !== 2 || maxVersion.minor < 1)
    throw new RangeError(`invalid maxMicroversion "${options.maxMicroversion ?? ""}": expected 2.N`);
  const faults = new FaultInjector(
    checkFaultOptions({ ...NO_FAULTS, ...options.world.faults, ...options.faults }),
    seed,
  );
  const now = () => Date.now();
  const state = await startingState(options, seed, now());
  const stats = emptyStats();
  stats.actions.push(...state.actions);
  const cloudFaults = countedFaults(faults, stats.faults);
  let persister: Persister | undefined;
  const lists = new ListCache();
  const openstack = createOpenStackServices({
    lists,
    state: state.openstack,
    timings: timingsOf(options),
    seed,
    maxVersion,
    tokenLifetimeMs: (options.tokenLifetimeSeconds ?? 3600) * 1000,
    stats,
    changed: () => persister?.schedule(),
    now,
    faults: cloudFaults,
  });
  const huawei = huaweiServices(state.huaweicloud, {
    lists,
    timings: timingsOf(options),
    stats,
    changed: () => persister?.schedule(),
    now,
    faults: cloudFaults,
  });
  const jd = jdServices(state.jdcloud, {
    lists,
    timings: timingsOf(options),
    stats,
    changed: () => persister?.schedule(),
    now,
    faults: cloudFaults,
  });
  const snapshot = (): WorldState => ({
    version: 1,
    openstack: openstack.cloud.toState(),
    ...(state.huaweicloud ? { huaweicloud: structuredClone(state.huaweicloud) } : {}),
    ...(state.jdcloud ? { jdcloud: jd.snapshot() } : {}),
    actions: structuredClone(stats.actions),
  });
  if (options.persistPath) persister = new Persister(options.persistPath, snapshot, options.persistDebounceMs ?? 20);
  const health = createHealthService([
    openStackHealth(openstack.cloud),
    ...(state.huaweicloud ? [huaweiHealth(state.huaweicloud, now)] : []),
    jd.health,
  ]);
  const http = await startHttpServer({
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    services: [...openstack.services, ...huawei, ...jd.services, health],
    faults,
    stats,
    lists,
  });
  if (persister) await persister.flush();
  let closed: Promise<void> | undefined;
  return {
    urls: {
      identity: `${http.origin}/identity/v3`,
      compute: `${http.origin}/compute/v2.1`,
      image: `${http.origin}/image`,
      volume: `${http.origin}/volume/v3`,
      huaweicloud: `${http.origin}${HUAWEI_PREFIX}`,
      jdcloud: `${http.origin}${JD_PREFIX}`,
      health: `${http.origin}${HEALTH_PREFIX}`,
    },
    stats,
    snapshot,
    close() {
      closed ??= (async () => {
        await http.close();
        await persister?.flush();
      })();
      return closed;
    },
  };
}
