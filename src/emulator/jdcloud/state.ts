import { flapShowsTask } from "../faults.js";
import { stableHexId } from "../ids.js";
import type { Timings } from "../types.js";
import type { JdWorld } from "./world.js";

/** A status change in progress: `status` until `until` (ms since the epoch), then `then`. */
export interface JdPendingOp {
  readonly until: number;
  readonly then: "running" | "stopped" | "error";
  /** Injected: once the op has ended, the status flaps between `flap.status` and `then` for `flap.ms` (see JdFlap). */
  readonly flap?: { readonly status: string; readonly ms: number };
}

/**
 * A VM still settling after its op ended (the injected "flap" fault): from `from` for `ms` its status shows `status`
 * (the op's transitional one: stopping, starting, rebooting, rebuilding) in turn with `then` (`flapShowsTask`). While
 * `status` shows, the VM has a task in progress (409); an action accepted while it does not ends the flapping.
 */
export interface JdFlap {
  readonly from: number;
  readonly ms: number;
  readonly status: string;
  readonly then: "running" | "stopped";
}

export interface JdInstanceState {
  readonly id: string;
  name: string;
  status: string;
  imageId: string;
  keyNames: string[];
  metadata: Record<string, string>;
  /** base64 launch-script, or null. */
  userData: string | null;
  readonly launchTime: string;
  readonly privateIpAddress: string;
  op: JdPendingOp | null;
  /** Absent in state saved before flapping existed. */
  flap?: JdFlap;
}

export interface JdImageState {
  readonly id: string;
  readonly name: string;
  /** describeImages' `imageSource`; absent in state saved before it existed: private. */
  readonly source?: "public" | "thirdparty" | "private" | "shared";
  /** false: a rebuild to it succeeds, but its VMs never pass the health route. @default true */
  readonly healthy?: false;
}

/** The emulated JD Cloud VM region: plain JSON, persisted with the rest of the world. */
export interface JdState {
  readonly region: string;
  readonly credentials: readonly { readonly accessKey: string; readonly secretKey: string }[];
  readonly images: readonly JdImageState[];
  readonly keypairs: readonly string[];
  readonly instances: JdInstanceState[];
}

export function initialJdState(world: JdWorld, seed: number, now: number): JdState {
  const images = world.images.map((i): JdImageState => ({
    id: i.id ?? `img-${stableHexId(seed, "jd-image", i.name).slice(0, 8)}`,
    name: i.name,
    source: i.source ?? "private",
    ...(i.healthy === false ? { healthy: false as const } : {}),
  }));
  const instances = world.instances.map((w, n): JdInstanceState => ({
    id: w.id ?? `i-${stableHexId(seed, "jd-instance", w.name).slice(0, 10)}`,
    name: w.name,
    status: w.status,
    imageId: images.find((i) => i.id === w.image || i.name === w.image)?.id ?? w.image,
    keyNames: w.keyPair === null ? [] : [w.keyPair],
    metadata: { ...w.metadata },
    userData: w.userData === null ? null : Buffer.from(w.userData, "utf8").toString("base64"),
    launchTime: new Date(now).toISOString(),
    privateIpAddress: `10.1.0.${(n % 250) + 4}`,
    op: null,
  }));
  return {
    region: world.region,
    credentials: world.credentials,
    images,
    keypairs: world.keypairs.map((k) => k.name),
    instances,
  };
}

/** Transitional statuses and how long they last, per action. */
export const JD_TRANSITIONS = {
  stop: { status: "stopping", then: "stopped", timing: "stop" },
  start: { status: "starting", then: "running", timing: "start" },
  reboot: { status: "rebooting", then: "running", timing: "reboot" },
  rebuild: { status: "rebuilding", then: "stopped", timing: "rebuild" },
} as const satisfies Record<string, { status: string; then: "running" | "stopped"; timing: keyof Timings }>;

/** The state with life cycles advanced lazily to `now`. */
export class JdCloud {
  readonly #state: JdState;
  readonly #timings: Timings;
  readonly #now: () => number;

  constructor(state: JdState, timings: Timings, now: () => number) {
    this.#state = state;
    this.#timings = timings;
    this.#now = now;
  }

  get region(): string {
    return this.#state.region;
  }

  secretOf(accessKey: string): string | undefined {
    return this.#state.credentials.find((c) => c.accessKey === accessKey)?.secretKey;
  }

  images(): readonly JdImageState[] {
    return this.#state.images;
  }

  keypairs(): readonly string[] {
    return this.#state.keypairs;
  }

  hasKeypair(name: string): boolean {
    return this.#state.keypairs.includes(name);
  }

  instances(): JdInstanceState[] {
    const now = this.#now();
    for (const instance of this.#state.instances) settle(instance, now);
    return this.#state.instances;
  }

  find(id: string): JdInstanceState | undefined {
    return this.instances().find((i) => i.id === id);
  }

  /** Starts a transition: the transitional status now, the final one after the action's duration (a flap in progress ends). */
  begin(instance: JdInstanceState, action: keyof typeof JD_TRANSITIONS): void {
    const t = JD_TRANSITIONS[action];
    instance.status = t.status;
    instance.op = { until: this.#now() + this.#timings[t.timing], then: t.then };
    delete instance.flap;
  }

  toState(): JdState {
    this.instances();
    return structuredClone(this.#state);
  }
}

function settle(instance: JdInstanceState, now: number): void {
  const op = instance.op;
  if (op && now >= op.until) {
    instance.status = op.then;
    instance.op = null;
    if (op.flap && op.flap.ms > 0 && op.then !== "error")
      instance.flap = { from: op.until, ms: op.flap.ms, status: op.flap.status, then: op.then };
  }
  const flap = instance.flap;
  if (!flap) return;
  instance.status = flapShowsTask(flap.from, flap.ms, now) ? flap.status : flap.then;
  if (now >= flap.from + flap.ms) delete instance.flap;
}

/** The VM shows a flap's transitional status now (it has a task in progress). */
export function flapping(instance: JdInstanceState): boolean {
  return instance.flap !== undefined && instance.status === instance.flap.status;
}
