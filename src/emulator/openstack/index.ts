import type { CloudFaults } from "../faults.js";
import type { ApiService } from "../http.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import type { Timings } from "../types.js";
import { createCinder } from "./cinder.js";
import { createGlance } from "./glance.js";
import { createKeystone } from "./keystone.js";
import type { Microversion } from "./microversion.js";
import { createNova } from "./nova.js";
import { serverViews } from "./nova-view.js";
import type { OpenStackState } from "./state-types.js";
import { OpenStackCloud } from "./state.js";
import { TokenStore } from "./tokens.js";

export interface OpenStackServiceOptions {
  readonly state: OpenStackState;
  readonly timings: Timings;
  readonly seed: number;
  readonly maxVersion: Microversion;
  readonly tokenLifetimeMs: number;
  readonly stats: MutableStats;
  readonly changed: () => void;
  /** Encoded server list pages, kept while the world is unchanged. */
  readonly lists: ListCache;
  readonly now: () => number;
  /** Seeded action failures and flapping. @default none */
  readonly faults?: CloudFaults;
}

export interface OpenStackServices {
  readonly cloud: OpenStackCloud;
  readonly services: readonly ApiService[];
}

/** Keystone, Nova, Glance and Cinder over one shared state, ready to mount on the common server. */
export function createOpenStackServices(options: OpenStackServiceOptions): OpenStackServices {
  const cloud = new OpenStackCloud(options.state, options.timings, options.now, options.seed);
  const tokens = new TokenStore(cloud, options.tokenLifetimeMs);
  const nova = createNova(
    {
      cloud,
      timings: options.timings,
      maxVersion: options.maxVersion,
      stats: options.stats,
      changed: options.changed,
      lists: options.lists,
      views: serverViews(),
      ...(options.faults ? { faults: options.faults } : {}),
    },
    tokens,
  );
  return {
    cloud,
    services: [createKeystone(cloud, tokens), nova, createGlance(cloud, tokens), createCinder(cloud, tokens)],
  };
}

export { initialState, withExtraUsers } from "./initial-state.js";
export { parseMicroversion } from "./microversion.js";
export { openStackHealth } from "./health.js";
