import type { OpenStackWorld, WorldUser } from "./openstack/world-types.js";
import type { OpenStackState } from "./openstack/state-types.js";
import type { HuaweiState, HuaweiWorld } from "./huawei/index.js";
import type { JdState, JdWorld } from "./jdcloud/index.js";

export type { OpenStackWorld, WorldUser };

/** Durations of the emulated asynchronous operations, in milliseconds. */
export interface Timings {
  /** @default 2000 */
  readonly rebuild: number;
  /** @default 500 */
  readonly reboot: number;
  /** @default 300 */
  readonly stop: number;
  /** @default 300 */
  readonly start: number;
  /** Server create: BUILD until this has passed. @default 1000 */
  readonly build: number;
  /** Huawei reinstall/changeos (for the cloud modules that come later). @default 3000 */
  readonly reinstall: number;
}

export const DEFAULT_TIMINGS: Timings = {
  rebuild: 2000,
  reboot: 500,
  stop: 300,
  start: 300,
  build: 1000,
  reinstall: 3000,
};

/** Seeded fault injection on the cloud APIs (version documents and Keystone are exempt from errors and drops). */
export interface FaultOptions {
  /** Added to every response. @default 0 */
  readonly latencyMs: number;
  /** Share of API calls answered 503. @default 0 */
  readonly error5xxRate: number;
  /** Share of API calls answered 429 with Retry-After. @default 0 */
  readonly rate429: number;
  /** Retry-After of the 429 answers, in seconds. @default 1 */
  readonly retryAfterSeconds: number;
  /** A drawn 429 starts a burst: this many API calls in a row are answered 429 (1: no burst). @default 1 */
  readonly throttleBurst: number;
  /** Share of API calls whose connection is destroyed mid-request: before handling, nothing happens. @default 0 */
  readonly dropRate: number;
  /** Share of API calls that are handled (a mutation takes effect) and whose answer is cut after the headers and part of the body. @default 0 */
  readonly dropResponseRate: number;
  /** Share of mutating calls (POST, PUT, DELETE) that take effect but whose connection is destroyed before any byte of the answer. @default 0 */
  readonly ambiguousRate: number;
  /** Share of accepted reprovisioning actions (Nova rebuild, Huawei reinstall/changeos/rebuild, JD rebuild) that end in error. @default 0 */
  readonly actionFailRate: number;
  /** Share of accepted Huawei jobs that never finish (RUNNING for ever). @default 0 */
  readonly hangRate: number;
  /**
   * Share of accepted asynchronous actions (Nova server actions, Huawei jobs and native actions, JD stop/start/reboot/
   * rebuild) after whose end the server's status toggles for `flapMs`; not drawn for an action injected to fail or hang. @default 0
   */
  readonly flapRate: number;
  /** How long a flapping server toggles, in ms. @default 1000 */
  readonly flapMs: number;
}

export const NO_FAULTS: FaultOptions = {
  latencyMs: 0,
  error5xxRate: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  throttleBurst: 1,
  dropRate: 0,
  dropResponseRate: 0,
  ambiguousRate: 0,
  actionFailRate: 0,
  hangRate: 0,
  flapRate: 0,
  flapMs: 1000,
};

/** A parsed world file: the emulated clouds' starting state. Every section is optional. */
export interface World {
  /** The file it came from, for messages. */
  readonly file: string;
  readonly openstack?: OpenStackWorld;
  readonly huaweicloud?: HuaweiWorld;
  readonly jdcloud?: JdWorld;
  readonly timings: Partial<Timings>;
  /** The world file's `faults:` section (options given to the emulator override it). */
  readonly faults?: Partial<FaultOptions>;
}

export interface EmulatorOptions {
  readonly world: World;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Seed of the fault-injection PRNG and of generated ids. @default 1 */
  readonly seed?: number;
  /** Overrides the world's timings. */
  readonly timings?: Partial<Timings>;
  readonly faults?: Partial<FaultOptions>;
  /** Highest compute microversion served. @default "2.100" (Nova 31, 2025.1 "Epoxy") */
  readonly maxMicroversion?: string;
  /**
   * When set, the state is loaded from this file if it exists (instead of the world), and saved atomically
   * shortly after each mutation and on close. Operations in flight when loaded complete (time has passed).
   */
  readonly persistPath?: string;
  /** Users added to the world's (e.g. a generated user of the sim provider). */
  readonly extraUsers?: readonly WorldUser[];
  /** Keystone token lifetime in seconds. @default 3600 */
  readonly tokenLifetimeSeconds?: number;
  /** Debounce of the persistence writes, in ms. @default 20 */
  readonly persistDebounceMs?: number;
}

/** A mutating server action the emulator accepted. */
export interface ActionRecord {
  readonly serverId: string;
  readonly serverName: string;
  /** Nova's instance-action name: create, rebuild, reboot, stop, start, delete, lock, unlock. */
  readonly action: string;
  /** ms since the epoch. */
  readonly at: number;
  readonly requestId: string;
}

/** Live counters (mutated in place as requests arrive). */
export interface EmulatorStats {
  /** Every request received, faulted ones included. */
  readonly requests: number;
  /** Per `METHOD route`, ids replaced by placeholders (e.g. `POST /compute/v2.1/servers/{id}/action`). */
  readonly byRoute: Readonly<Record<string, number>>;
  readonly actions: readonly ActionRecord[];
  /** Faults injected, per kind. */
  readonly faults: Readonly<Record<FaultKind, number>>;
  /**
   * Server actions (rebuild, reinstall, changeos, reboot, stop, start, JD modify: what `actions` records) accepted again
   * for the same server with the same content and no other action on it in between. Metadata writes, idempotent merges, are not counted.
   */
  readonly duplicates: readonly DuplicateRecord[];
}

/** Kinds of injected faults, counted in the stats. */
export type FaultKind =
  "error5xx" | "throttled" | "dropped" | "droppedResponses" | "ambiguous" | "failedActions" | "hungJobs" | "flaps";

/** A mutation the emulator accepted again for the same server: same method, path and body as the one before it. */
export interface DuplicateRecord {
  /** `METHOD /prefix/path` (ids kept). */
  readonly request: string;
  /** The cloud's server id the path or body names, when one is found. */
  readonly serverId: string | undefined;
  /** How many times in a row it was accepted so far (2 or more). */
  readonly count: number;
  readonly at: number;
}

/** The whole emulated state: JSON-serializable, the format of the persistence file. */
export interface WorldState {
  readonly version: 1;
  readonly openstack: OpenStackState;
  readonly huaweicloud?: HuaweiState;
  readonly jdcloud?: JdState;
  readonly actions: readonly ActionRecord[];
}

export interface Emulator {
  /**
   * identity: a Keystone v3 root usable as auth_url; compute: Nova v2.1 root; image: Glance root; volume: Cinder v3 root (the project id follows);
   * health: the base of `GET {health}/servers/{id or name}` (every cloud's servers: 200 running on a healthy image, else 503).
   */
  readonly urls: {
    readonly identity: string;
    readonly compute: string;
    readonly image: string;
    readonly volume: string;
    readonly huaweicloud: string;
    readonly jdcloud: string;
    readonly health: string;
  };
  readonly stats: EmulatorStats;
  /** A deep copy of the whole state, with in-flight operations advanced to now. */
  snapshot(): WorldState;
  /** Stops listening, persists, closes keep-alive sockets. */
  close(): Promise<void>;
}
