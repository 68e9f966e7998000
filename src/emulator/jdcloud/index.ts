import type { CloudFaults } from "../faults.js";
import type { HealthLookup } from "../health.js";
import type { ApiService } from "../http.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import type { Timings } from "../types.js";
import type { JdState } from "./state.js";
import { JdCloud, initialJdState as initialJdStateOf } from "./state.js";
import type { JdWorld } from "./world.js";
import { createJdVm } from "./vm.js";
import { jdHealth } from "./health.js";

export interface JdServiceOptions {
  readonly state: JdState;
  readonly timings: Timings;
  readonly stats: MutableStats;
  readonly changed: () => void;
  /** Encoded instance list pages, kept while the world is unchanged (see ListCache). */
  readonly lists: ListCache;
  readonly now: () => number;
  /** Seeded rebuild failures and flaps. @default none */
  readonly faults?: CloudFaults;
}

/** The JD Cloud VM API over its own state, ready to mount on the common server. */
export function createJdServices(options: JdServiceOptions): { readonly cloud: JdCloud; readonly service: ApiService } {
  const cloud = new JdCloud(options.state, options.timings, options.now);
  return {
    cloud,
    service: createJdVm({
      cloud,
      stats: options.stats,
      changed: options.changed,
      lists: options.lists,
      now: options.now,
      ...(options.faults ? { faults: options.faults } : {}),
    }),
  };
}

export { initialJdState } from "./state.js";
export type { JdInstanceState, JdState } from "./state.js";
export { parseJdWorld } from "./world.js";
export type { JdWorld, JdWorldImage, JdWorldInstance } from "./world.js";
export { JD_PREFIX } from "./vm.js";

/** The JD state to start from: the persisted one if any, else the world's section; undefined when the world has no JD Cloud. */
export function jdStartingState(
  world: JdWorld | undefined,
  loaded: JdState | undefined,
  seed: number,
  now: number,
): JdState | undefined {
  if (loaded) return loaded;
  return world ? initialJdStateOf(world, seed, now) : undefined;
}

/** The services to mount (none without a JD section), the VMs' health and a snapshot of the state, life cycles advanced. */
export function jdServices(
  state: JdState | undefined,
  options: Omit<JdServiceOptions, "state">,
): { readonly services: readonly ApiService[]; readonly health: HealthLookup; snapshot(): JdState | undefined } {
  if (!state) return { services: [], health: () => [], snapshot: () => undefined };
  const { cloud, service } = createJdServices({ ...options, state });
  return { services: [service], health: jdHealth(cloud), snapshot: () => cloud.toState() };
}
