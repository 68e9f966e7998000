import { isScalar } from "yaml";
import { createRandom } from "./ids.js";
import type { FaultOptions } from "./types.js";
import type { YamlReader } from "./yaml-reader.js";

/** What happens to one request before it is handled. */
export type FaultDecision = "none" | "drop" | "error5xx" | "throttle";

/** What happens to the answer of a request that was handled (its effect, if a mutation, is applied). */
export type ResponseFault = "none" | "cut" | "lost";

/** The fault hooks the cloud modules ask when they accept an action (all seeded). */
export interface CloudFaults {
  /** The fail message a reprovisioning action accepted now ends with, or undefined when it succeeds. */
  actionFailure(): string | undefined;
  /** True when an asynchronous job accepted now never finishes (Huawei jobs). */
  hangs(): boolean;
  /** How long (ms) a server's status toggles after the action accepted now; 0: it does not flap. */
  flapMs(): number;
}

/**
 * Whether a server flapping since `from` for `ms` shows its transitional status at `now`: the flap has four equal
 * quarters, the status showing the task in the second and the fourth (on, off, on, off, as Nova's flap stages), then
 * settled for good at `from + ms`. The Huawei and JD emulators compute it lazily from the time.
 */
export function flapShowsTask(from: number, ms: number, now: number): boolean {
  if (!(ms > 0) || now < from || now >= from + ms) return false;
  return Math.floor(((now - from) / ms) * 4) % 2 === 1;
}

export const NO_CLOUD_FAULTS: CloudFaults = { actionFailure: () => undefined, hangs: () => false, flapMs: () => 0 };

/** The message of an injected action failure, in every cloud's error field. */
export const INJECTED_FAILURE = "Injected fault: the host failed to reprovision the server";

const RATE_KEYS = [
  "error5xxRate",
  "rate429",
  "dropRate",
  "dropResponseRate",
  "ambiguousRate",
  "actionFailRate",
  "hangRate",
  "flapRate",
] as const;

/**
 * Seeded fault decisions. Each kind draws from its own stream, so enabling one kind does not move the others:
 * a seed and a request sequence give the same faults.
 */
export class FaultInjector implements CloudFaults {
  readonly #request: () => number;
  readonly #response: () => number;
  readonly #action: () => number;
  readonly #hang: () => number;
  readonly #flap: () => number;
  /** 429 answers left in the current burst. */
  #burst = 0;

  constructor(
    readonly options: FaultOptions,
    seed: number,
  ) {
    this.#request = createRandom(seed);
    this.#response = createRandom(seed ^ 0x5bd1e995);
    this.#action = createRandom(seed ^ 0x27d4eb2f);
    this.#hang = createRandom(seed ^ 0x165667b1);
    this.#flap = createRandom(seed ^ 0x61c88647);
  }

  get active(): boolean {
    return this.options.dropRate > 0 || this.options.error5xxRate > 0 || this.options.rate429 > 0;
  }

  /** Before handling: drop the connection (mid-request), answer 503 or 429, or handle it. */
  decide(): FaultDecision {
    if (!this.active) return "none";
    if (this.#burst > 0) {
      this.#burst--;
      return "throttle";
    }
    const draw = this.#request();
    const { dropRate, error5xxRate, rate429 } = this.options;
    if (draw < dropRate) return "drop";
    if (draw < dropRate + error5xxRate) return "error5xx";
    if (draw < dropRate + error5xxRate + rate429) {
      this.#burst = Math.max(0, Math.floor(this.options.throttleBurst) - 1);
      return "throttle";
    }
    return "none";
  }

  /**
   * After handling: `cut` sends the status line, headers and part of the body, then destroys the connection
   * (mid-response); `lost` destroys it before any byte (only for mutations: the ambiguous case).
   */
  decideResponse(mutation: boolean): ResponseFault {
    const { dropResponseRate, ambiguousRate } = this.options;
    const lost = mutation ? ambiguousRate : 0;
    if (dropResponseRate <= 0 && lost <= 0) return "none";
    const draw = this.#response();
    if (draw < lost) return "lost";
    if (draw < lost + dropResponseRate) return "cut";
    return "none";
  }

  actionFailure(): string | undefined {
    if (this.options.actionFailRate <= 0) return undefined;
    return this.#action() < this.options.actionFailRate ? INJECTED_FAILURE : undefined;
  }

  hangs(): boolean {
    return this.options.hangRate > 0 && this.#hang() < this.options.hangRate;
  }

  flapMs(): number {
    return this.options.flapRate > 0 && this.#flap() < this.options.flapRate ? this.options.flapMs : 0;
  }
}

export function checkFaultOptions(options: FaultOptions): FaultOptions {
  for (const key of RATE_KEYS) {
    const rate = options[key];
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault option ${key} must be between 0 and 1, not ${rate}`);
  }
  if (options.dropRate + options.error5xxRate + options.rate429 > 1)
    throw new RangeError("fault rates add up to more than 1");
  if (options.dropResponseRate + options.ambiguousRate > 1)
    throw new RangeError("dropResponseRate and ambiguousRate add up to more than 1");
  if (!(options.throttleBurst >= 1))
    throw new RangeError(`fault option throttleBurst must be at least 1, not ${options.throttleBurst}`);
  for (const key of ["latencyMs", "retryAfterSeconds", "flapMs"] as const) {
    if (!(options[key] >= 0)) throw new RangeError(`fault option ${key} must be non-negative, not ${options[key]}`);
  }
  return options;
}

/** The hooks with every injected fault counted in `counts` (the emulator's stats). */
export function countedFaults(
  faults: CloudFaults,
  counts: Record<"failedActions" | "hungJobs" | "flaps", number>,
): CloudFaults {
  return {
    actionFailure() {
      const failure = faults.actionFailure();
      if (failure !== undefined) counts.failedActions++;
      return failure;
    },
    hangs() {
      const hangs = faults.hangs();
      if (hangs) counts.hungJobs++;
      return hangs;
    },
    flapMs() {
      const ms = faults.flapMs();
      if (ms > 0) counts.flaps++;
      return ms;
    },
  };
}

const WORLD_RATE_KEYS = [
  "error5xxRate",
  "rate429",
  "dropRate",
  "dropResponseRate",
  "ambiguousRate",
  "actionFailRate",
  "hangRate",
  "flapRate",
] as const;
const WORLD_FAULT_KEYS = [...WORLD_RATE_KEYS, "latency", "retryAfterSeconds", "throttleBurst", "flap"] as const;

/** The world file's `faults:` section: rates in 0..1, `latency` and `flap` as durations, `retryAfterSeconds` a number. */
export function parseWorldFaults(reader: YamlReader, node: unknown): Partial<FaultOptions> {
  const faults: { -readonly [K in keyof FaultOptions]?: FaultOptions[K] } = {};
  for (const [key, entry] of reader.entries(node, "faults", WORLD_FAULT_KEYS)) {
    if (key === "latency") faults.latencyMs = reader.duration(entry.value, "faults.latency");
    else if (key === "flap") faults.flapMs = reader.duration(entry.value, "faults.flap");
    else if (key === "retryAfterSeconds")
      faults.retryAfterSeconds = numberIn(reader, entry.value, "faults.retryAfterSeconds", 0, 3600);
    else if (key === "throttleBurst")
      faults.throttleBurst = numberIn(reader, entry.value, "faults.throttleBurst", 1, 1000);
    else faults[key as (typeof WORLD_RATE_KEYS)[number]] = numberIn(reader, entry.value, `faults.${key}`, 0, 1);
  }
  return faults;
}

function numberIn(reader: YamlReader, node: unknown, what: string, min: number, max: number): number {
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value !== "number" || !(value >= min && value <= max))
    reader.fail(node, `${what} must be a number from ${min} to ${max}`);
  return value;
}
