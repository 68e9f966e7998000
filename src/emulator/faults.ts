import { createRandom } from "./ids.js";
import type { FaultOptions } from "./types.js";

export type FaultDecision = "none" | "drop" | "error5xx" | "throttle";

/** Seeded fault decisions: one draw per eligible request, so a seed and a request sequence give the same faults. */
export class FaultInjector {
  readonly #random: () => number;

  constructor(
    readonly options: FaultOptions,
    seed: number,
  ) {
    this.#random = createRandom(seed);
  }

  get active(): boolean {
    return this.options.dropRate > 0 || this.options.error5xxRate > 0 || this.options.rate429 > 0;
  }

  decide(): FaultDecision {
    if (!this.active) return "none";
    const draw = this.#random();
    const { dropRate, error5xxRate, rate429 } = this.options;
    if (draw < dropRate) return "drop";
    if (draw < dropRate + error5xxRate) return "error5xx";
    if (draw < dropRate + error5xxRate + rate429) return "throttle";
    return "none";
  }
}

export function checkFaultOptions(options: FaultOptions): FaultOptions {
  for (const key of ["error5xxRate", "rate429", "dropRate"] as const) {
    const rate = options[key];
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault option ${key} must be between 0 and 1, not ${rate}`);
  }
  if (options.dropRate + options.error5xxRate + options.rate429 > 1) throw new RangeError("fault rates add up to more than 1");
  if (!(options.latencyMs >= 0) || !(options.retryAfterSeconds >= 0)) throw new RangeError("latencyMs and retryAfterSeconds must be non-negative");
  return options;
}
