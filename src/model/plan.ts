import type { Action } from "./action.js";
import type { InstanceChange } from "./change.js";
import type { RolloutPolicy } from "./desired.js";

export const PLAN_FORMAT_VERSION = "1.0";

export type PlanSummary = Readonly<Record<Action, number>>;

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
}
