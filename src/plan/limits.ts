import type { InstanceChange, ReprovisionLimit } from "../model/index.js";
import { describeOverLimit, overLimit } from "../model/index.js";

/** A reprovision limit as set for a run: as written, and by whom. */
export interface ReprovisionLimitSetting {
  /** A count, or "P%" of the targeted servers. */
  readonly limit: number | string;
  readonly source: ReprovisionLimit["source"];
}

/** The limit as a number of servers: a count as it is, "P%" of `targeted` rounded down. */
export function limitCount(limit: number | string, targeted: number): number {
  if (typeof limit === "number") return Math.max(0, Math.floor(limit));
  return Math.max(0, Math.floor((Number.parseFloat(limit) * targeted) / 100));
}

/** The limit measured against these changes. */
export function measureReprovisions(
  changes: readonly InstanceChange[],
  setting: ReprovisionLimitSetting,
): ReprovisionLimit {
  const count = changes.filter((c) => c.impact === "reprovision").length;
  return { limit: setting.limit, source: setting.source, max: limitCount(setting.limit, changes.length), count };
}

/**
 * Marks every reprovisioning change as blocked by the run's limit when the plan goes over it (their steps are kept, so
 * a reviewer sees what was asked), and clears an earlier mark when it no longer does.
 */
export function markOverLimit(
  changes: readonly InstanceChange[],
  limit: ReprovisionLimit | undefined,
): InstanceChange[] {
  const over = overLimit(limit) && limit !== undefined;
  const addresses = changes.filter((c) => c.impact === "reprovision").map((c) => c.address);
  const message = over ? describeOverLimit(limit, addresses) : "";
  return changes.map((change) => {
    const marking = over && change.impact === "reprovision";
    // Most changes are neither marked nor were: kept as they are, not copied (a plan may hold 100,000).
    if (!marking && change.blocked?.by !== "limits.reprovision") return change;
    const { blocked: _earlier, ...rest } = change;
    return marking ? { ...rest, blocked: { by: "limits.reprovision", message } } : rest;
  });
}
