import type { InstanceChange } from "../model/change.js";
import type { ReprovisionLimit } from "../model/plan.js";

/**
 * The plan's reprovision limit, held for the whole run: the plan counted the servers it reprovisions, but a busy
 * server (`wait`) counted as none and is planned again at apply time. Each re-planned change that reprovisions takes
 * a slot, taken when it is decided and before any step is sent (the run is single-threaded, so no two servers can
 * take the last one), and kept even when the server then fails (a failed rebuild may have reprovisioned it).
 */
export class ReprovisionBudget {
  readonly #limit: ReprovisionLimit | undefined;
  #used: number;

  /** `planned`: the changes the run executes; those that reprovision (not `wait`) hold their slot from the start. */
  constructor(limit: ReprovisionLimit | undefined, planned: readonly InstanceChange[]) {
    this.#limit = limit;
    this.#used = planned.filter((c) => c.action !== "wait" && c.impact === "reprovision").length;
  }

  /** Takes a slot for a change planned again at apply time; the refusal when it would go over the limit. */
  reserve(change: InstanceChange): string | undefined {
    if (change.impact !== "reprovision" || this.#limit === undefined) return undefined;
    if (this.#used + 1 > this.#limit.max) {
      const name = this.#limit.source === "fleet file" ? "limits.reprovision" : "--max-reprovisions";
      return `would reprovision ${this.#used + 1} servers, over ${name} ${this.#limit.max}; plan again`;
    }
    this.#used += 1;
    return undefined;
  }
}
