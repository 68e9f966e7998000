import type { Action, StepKind } from "./action.js";
import type { InstanceAddress } from "./address.js";
import type { InstanceResult } from "./events.js";

/** One server apply was asked to change: what it ran and how it ended. */
export interface InstanceReport {
  readonly address: InstanceAddress;
  readonly id: string;
  /** The action executed (a server that was busy at plan time is planned again: this is the new plan's). */
  readonly action: Action;
  readonly steps: readonly StepKind[];
  readonly result: InstanceResult;
  readonly durationMs: number;
}

/** An operation an interrupted run started, followed to its end by this run. */
export interface ResumedOperation {
  readonly address: InstanceAddress;
  readonly step: StepKind;
  /** The run that started it. */
  readonly run: string;
  /** ISO 8601: when it was sent. */
  readonly startedAt: string;
  readonly requestId?: string;
  readonly jobId?: string;
  /** `finished`/`failed`: what the cloud says now; `timed-out`: still running at its deadline; `not-followed`: see `message`. */
  readonly outcome: "finished" | "failed" | "timed-out" | "not-followed";
  readonly message?: string;
}

/** What apply returns: one result per server it was asked to change. Rendered by src/render/apply-report.ts. */
export interface ApplyReport {
  /** ISO 8601. */
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly results: readonly InstanceReport[];
  /** Operations an interrupted earlier run left in flight, followed to their end by this run. @default none */
  readonly resumed?: readonly ResumedOperation[];
  /** Unreadable journal lines (a torn last line after a kill): reported, ignored. @default none */
  readonly journalProblems?: readonly string[];
  /** Groups whose canaries converged and that wait for approval (`reform apply --continue`). @default none */
  readonly awaitingApproval?: readonly string[];
  /** A rollback ran (`onFailure: rollback`, `apply --rollback`, or an interrupted rollback finished). @default none */
  readonly rollback?: RollbackSummary;
}

/** A rollback: why it ran and how each server it took back ended (their results are in `results`). */
export interface RollbackSummary {
  /** What triggered it, e.g. "maxUnhealthy 1 reached in group web: dc1/web-1 …". */
  readonly reason: string;
  /** The run whose changes were taken back. */
  readonly run: string;
  readonly rolledBack: readonly InstanceAddress[];
  /** Servers the rollback could not take back (their result says why). */
  readonly notRolledBack: readonly InstanceAddress[];
}

/** Every server apply was asked to change converged. */
export function applySucceeded(report: ApplyReport): boolean {
  return report.results.every((r) => r.result.type === "converged");
}
