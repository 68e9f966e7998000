import type { Action, InstanceChange, Plan, PlannedProvider, PlanSummary, RolloutPolicy } from "../model/index.js";
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
    changes,
    summary: summarize(changes),
    rollout: input.rollout,
    applyable: changes.every((change) => change.action !== "error"),
    hasChanges: changes.some((change) => isExecutable(change.action)),
    providers: input.providers ?? [],
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
