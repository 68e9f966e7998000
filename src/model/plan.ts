import type { Action } from "./action.js";
import type { InstanceChange } from "./change.js";
import type { ProviderType, RolloutPolicy } from "./desired.js";
import type { ProviderEndpoint } from "./provider.js";

/**
 * The plan document's `format_version`. 2.0: the rollout policies are complete (gate, pause, timeouts, canary
 * approval, failure budget), so a saved plan is applied from the document alone; 1.0 plans lacked them.
 */
export const PLAN_FORMAT_VERSION = "2.0";

/** How many servers get each action. */
export type PlanSummary = Readonly<Record<Action, number>>;

/**
 * What `plan` computes for a fleet: one change per server, the rollout policy per group, and whether it may be
 * applied. Its wire form is the plan document (src/render/plan-document.ts).
 */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  /** ISO 8601, from the injected clock. */
  readonly createdAt: string;
  /** Absolute path of the fleet file the plan was made from. */
  readonly configFile: string;
  /** Digest of the fleet file's content. */
  readonly configSha256: string;
  readonly changes: readonly InstanceChange[];
  readonly summary: PlanSummary;
  /** Rollout policy per group name. */
  readonly rollout: Readonly<Record<string, RolloutPolicy>>;
  /** False when any change is an `error`: such a plan is shown, never applied. */
  readonly applyable: boolean;
  /** True when something would be executed. */
  readonly hasChanges: boolean;
  /** The run's limits and how this plan measures against them. @default none (older plans, or no limit) */
  readonly limits?: PlanLimits;
  /** The providers the plan read, with where their requests went and who chose that. @default [] (older plans) */
  readonly providers?: readonly PlannedProvider[];
}

/** A provider as a plan shows it to reviewers. */
export interface PlannedProvider {
  readonly name: string;
  readonly type: ProviderType;
  readonly endpoints: readonly ProviderEndpoint[];
}

/** The limits a plan was checked against: recorded so that `apply PLANFILE` checks them again. */
export interface PlanLimits {
  readonly reprovision?: ReprovisionLimit;
}

/** `limits.reprovision` (or `--max-reprovisions`) against this plan. */
export interface ReprovisionLimit {
  /** As written: a count, or "P%" of the targeted servers. */
  readonly limit: number | string;
  /** Who set it. */
  readonly source: "fleet file" | "--max-reprovisions";
  /** The limit as a number of servers for this plan (a percentage rounded down). */
  readonly max: number;
  /** Servers the plan reprovisions. */
  readonly count: number;
}

/** Over the limit: the plan is refused before anything runs. */
export function overLimit(limit: ReprovisionLimit | undefined): boolean {
  return limit !== undefined && limit.count > limit.max;
}

/** One sentence: the count, the limit and where it came from, and the servers. */
export function describeOverLimit(limit: ReprovisionLimit, addresses: readonly string[]): string {
  const written =
    typeof limit.limit === "number" ? String(limit.limit) : `${limit.limit} of the targeted servers = ${limit.max}`;
  const from = limit.source === "fleet file" ? "limits.reprovision" : "--max-reprovisions";
  return `the plan reprovisions ${limit.count} server${limit.count === 1 ? "" : "s"}, over the limit of ${written} (${from}): ${addresses.join(", ")}`;
}
