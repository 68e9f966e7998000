import type { InstanceAddress } from "../model/address.js";
import type { Action, StepKind } from "../model/action.js";
import type { InstanceResult } from "../model/events.js";

export interface InstanceReport {
  readonly address: InstanceAddress;
  readonly id: string;
  readonly action: Action;
  readonly steps: readonly StepKind[];
  readonly result: InstanceResult;
  readonly durationMs: number;
}

/** What apply returns: one result per server it was asked to change. */
export interface ApplyReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly results: readonly InstanceReport[];
}

export function applySucceeded(report: ApplyReport): boolean {
  return report.results.every((r) => r.result.type === "converged");
}
