import type { CloudFaults } from "../faults.js";
import type { ApiService } from "../http.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import type { Timings } from "../types.js";
import { createHuaweiService, HUAWEI_PREFIX } from "./ecs.js";
import type { HuaweiState } from "./state.js";
import type { HuaweiWorld } from "./world.js";
import { initialHuaweiState } from "./world.js";

export type { HuaweiState } from "./state.js";
export type { HuaweiWorld, HuaweiWorldServer } from "./world.js";
export { parseHuaweiWorld } from "./world.js";
export { HUAWEI_PREFIX };
export { huaweiHealth } from "./health.js";

/** The Huawei part of the starting state: the persisted one when present, else from the world section (if any). */
export function huaweiStartingState(
  world: HuaweiWorld | undefined,
  loaded: HuaweiState | undefined,
  seed: number,
  now: number,
): HuaweiState | undefined {
  if (loaded) return loaded;
  return world ? initialHuaweiState(world, seed, now) : undefined;
}

export function huaweiServices(
  state: HuaweiState | undefined,
  deps: {
    timings: Timings;
    stats: MutableStats;
    changed: () => void;
    lists: ListCache;
    now: () => number;
    faults?: CloudFaults;
  },
): ApiService[] {
  return state ? [createHuaweiService({ state, ...deps })] : [];
}
