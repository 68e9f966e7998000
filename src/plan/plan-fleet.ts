import type {
  Action,
  InstanceChange,
  Plan,
  PlannedProvider,
  PlanSummary,
  Reason,
  RolloutPolicy,
} from "../model/index.js";
import { ACTIONS, PLAN_FORMAT_VERSION, isExecutable, overLimit } from "../model/index.js";
import type { PlanInstanceInput } from "./plan-instance.js";
import { planInstance } from "./plan-instance.js";
import type { ReprovisionLimitSetting } from "./limits.js";
import { markOverLimit, measureReprovisions } from "./limits.js";
import { isTargeted } from "./targets.js";

export interface PlanFleetInput {
  readonly inputs: readonly PlanInstanceInput[];
  /** ISO 8601, from the injected clock. */
  readonly createdAt: string;
  readonly configFile: string;
  readonly configSha256: string;
  readonly rollout: Readonly<Record<string, RolloutPolicy>>;
  /** `--target` globs on addresses. @default every server */
  readonly targets?: readonly string[];
  /** The providers read, with their endpoints. @default [] */
  readonly providers?: readonly PlannedProvider[];
  /** Most servers the plan may reprovision (`limits.reprovision`, `--max-reprovisions`). @default no limit */
  readonly reprovisionLimit?: ReprovisionLimitSetting;
  /** Plans one server: planInstance, or what gives the same change (one already planned). @default planInstance */
  readonly planOne?: (input: PlanInstanceInput) => InstanceChange;
}

/** Plans every targeted server and sums up: pure. */
export function planFleet(input: PlanFleetInput): Plan {
  const changes = input.inputs
    .filter((one) => isTargeted(one.desired.address, input.targets))
    .map(input.planOne ?? planInstance)
    .sort((a, b) => compareAddresses(a.address, b.address));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: input.createdAt,
    configFile: input.configFile,
    configSha256: input.configSha256,
    rollout: input.rollout,
    providers: input.providers ?? [],
    ...summed(changes, input.reprovisionLimit),
  };
}

/**
 * A change whose steps could not run (an input they need is missing: see workflow/step-inputs.ts) becomes an `error`:
 * shown with what differs and why it cannot be done, never executed; the plan is then not applyable.
 */
export function refuseChanges(plan: Plan, problems: ReadonlyMap<string, readonly Reason[]>): Plan {
  if (problems.size === 0) return plan;
  const changes = plan.changes.map((change): InstanceChange => {
    const reasons = problems.get(change.address);
    if (!reasons || reasons.length === 0) return change;
    return { ...change, action: "error", impact: "none", steps: [], reasons: [...reasons, ...change.reasons] };
  });
  return { ...plan, ...summed(changes, plan.limits?.reprovision) };
}

/**
 * The plan measured against another reprovision limit (`apply PLANFILE --max-reprovisions`, or its recorded one
 * again), or against none: its counts and `applyable` are always computed again from its changes.
 */
export function limitPlan(plan: Plan, limit: ReprovisionLimitSetting | undefined): Plan {
  const { limits: _recorded, ...rest } = plan;
  return { ...rest, ...summed(plan.changes, limit) };
}

/**
 * Counts, the run's limits, and whether the plan may be applied: not when a change is an `error`, nor when it
 * reprovisions more servers than the limit (those servers are then marked blocked).
 */
function summed(
  changes: readonly InstanceChange[],
  limit: ReprovisionLimitSetting | undefined,
): Pick<Plan, "changes" | "summary" | "applyable" | "hasChanges" | "limits"> {
  const reprovision = limit === undefined ? undefined : measureReprovisions(changes, limit);
  const marked = markOverLimit(changes, reprovision);
  return {
    changes: marked,
    summary: summarize(marked),
    applyable: marked.every((change) => change.action !== "error") && !overLimit(reprovision),
    hasChanges: marked.some((change) => isExecutable(change.action)),
    ...(reprovision === undefined ? {} : { limits: { reprovision } }),
  };
}

/** Counts per action, every action present. */
export function summarize(changes: readonly Pick<InstanceChange, "action">[]): PlanSummary {
  const counts = Object.fromEntries(ACTIONS.map((action) => [action, 0])) as Record<Action, number>;
  for (const change of changes) counts[change.action] += 1;
  return counts;
}

function compareAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
