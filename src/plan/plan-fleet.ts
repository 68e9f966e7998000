import type { Action, InstanceChange, Plan, PlannedProvider, PlanSummary, Reason, RolloutPolicy } from "../model/index.js";
import { ACTIONS, PLAN_FORMAT_VERSION, isExecutable } from "../model/index.js";
import type { PlanInstanceInput } from "./plan-instance.js";
import { planInstance } from "./plan-instance.js";
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
}

/** Plans every targeted server and sums up: pure. */
export function planFleet(input: PlanFleetInput): Plan {
  const changes = input.inputs
    .filter((one) => isTargeted(one.desired.address, input.targets))
    .map(planInstance)
    .sort((a, b) => compareAddresses(a.address, b.address));
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: input.createdAt,
    configFile: input.configFile,
    configSha256: input.configSha256,
    rollout: input.rollout,
    providers: input.providers ?? [],
    ...summed(changes),
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
  return { ...plan, ...summed(changes) };
}

function summed(changes: readonly InstanceChange[]): Pick<Plan, "changes" | "summary" | "applyable" | "hasChanges"> {
  return {
    changes,
    summary: summarize(changes),
    applyable: changes.every((change) => change.action !== "error"),
    hasChanges: changes.some((change) => isExecutable(change.action)),
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
