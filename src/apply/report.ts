import type { InstanceAddress } from "../model/address.js";
import type { Action, StepKind } from "../model/action.js";
import type { InstanceResult } from "../model/events.js";
import type { ResumedOperation } from "./resume.js";

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
  /** Operations an interrupted earlier run left in flight, followed to their end by this run. @default none */
  readonly resumed?: readonly ResumedOperation[];
  /** Unreadable journal lines (a torn last line after a kill): reported, ignored. @default none */
  readonly journalProblems?: readonly string[];
  /** Groups whose canaries converged and that wait for approval (`reform apply --continue`). @default none */
  readonly awaitingApproval?: readonly string[];
}

export function applySucceeded(report: ApplyReport): boolean {
  return report.results.every((r) => r.result.type === "converged");
}
