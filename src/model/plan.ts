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
  /** The providers the plan read, with where their requests went and who chose that. @default [] (older plans) */
  readonly providers?: readonly PlannedProvider[];
}

/** A provider as a plan shows it to reviewers. */
export interface PlannedProvider {
  readonly name: string;
  readonly type: ProviderType;
  readonly endpoints: readonly ProviderEndpoint[];
}
