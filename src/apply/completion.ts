import type { StepKind } from "../model/action.js";
import type { InstanceStatus, ObservedInstance } from "../model/observed.js";
import { isStable } from "../model/observed.js";
import type { OperationHandle, OperationObservation, OperationQuery, OperationRules } from "../model/operation.js";

/**
 * When a step is done, for every cloud (pure). The adapter says what a poll shows (the server, the cloud's job); this
 * module decides, remembering between polls only plain data (`Tracking`, kept by the poller with each wait).
 *
 * A step is done when, on a poll:
 * - the server is stable (active, stopped or error, no task: `isStable`) and not in error;
 * - the cloud's job, if it keeps one, has ended well (a failed job fails the step, a running one waits);
 * - the server shows the step ran: its update time, status or image moved, a poll saw it busy, its job succeeded, or
 *   (clouds with no update time) the provider's `graceMs` passed;
 * - a stop shows it stopped, a start and a reboot running;
 * and it has looked so on two polls in a row spanning the provider's `settleMs`, with the same update time: a server
 * can look finished and flap back for a while (its task toggling after the action, or a job ending SUCCESS while the
 * server still settles). A poll on which it does not look done starts the count again.
 */

/** The polls in a row on which a step looked done. */
export interface SettleRun {
  /** When the first poll of this run was answered: the cloud's view is no older (see `PollTime`). */
  readonly since: number;
  readonly polls: number;
  /** The server's update time on those polls: a toggle between two polls moves it. */
  readonly mark: string;
}

/** What apply remembers of one operation between polls. */
export interface Tracking {
  /** A poll saw the server under way (a task, or a status that is not stable) since the step was sent. */
  readonly sawBusy: boolean;
  /** The cloud's job for the operation was seen to succeed: it is not asked about again. */
  readonly jobSucceeded: boolean;
  readonly settle?: SettleRun;
}

export const NEW_TRACKING: Tracking = { sawBusy: false, jobSucceeded: false };

/** One poll's verdict on one operation. */
export type Verdict =
  | { readonly type: "running"; readonly status: string }
  | { readonly type: "done"; readonly instance: ObservedInstance }
  | { readonly type: "failed"; readonly message: string; readonly requestId?: string };

/**
 * When a poll was sent and answered. The cloud looked at its servers somewhere in between, so a run is measured
 * from the first poll's answer to the last poll's sending: the servers looked done for at least that long.
 */
export interface PollTime {
  readonly sentAt: number;
  readonly answeredAt: number;
}

export interface Judgement {
  readonly verdict: Verdict;
  /** What to remember for the next poll. */
  readonly tracking: Tracking;
}

/** The status a step must end in, where it has one. */
const TARGET_STATUS: Partial<Readonly<Record<StepKind, InstanceStatus>>> = {
  stop: "stopped",
  start: "active",
  reboot: "active",
};

/** What to ask the adapter about an operation on the poll sent at `sentAt`. */
export function queryFor(
  handle: OperationHandle,
  tracking: Tracking,
  rules: OperationRules,
  sentAt: number,
): OperationQuery {
  return {
    handle,
    readJob: !tracking.jobSucceeded,
    complete: handle.synchronous || mayConfirm(tracking.settle, sentAt, rules.settleMs ?? 0),
  };
}

/** A poll sent at `sentAt` confirms the step done if it still looks done: the run so far spans `settleMs`. */
function mayConfirm(run: SettleRun | undefined, sentAt: number, settleMs: number): boolean {
  return run !== undefined && sentAt - run.since >= settleMs;
}

/** The verdict of one poll on one operation, and what to remember for the next. */
export function judge(
  handle: OperationHandle,
  seen: OperationObservation,
  tracking: Tracking,
  rules: OperationRules,
  time: PollTime,
): Judgement {
  const { instance } = seen;
  const rid = handle.requestId ? { requestId: handle.requestId } : {};
  const failed = (message: string, next: Tracking = tracking): Judgement => ({
    verdict: { type: "failed", message, ...rid },
    tracking: next,
  });
  const notYet = (status: string, next: Tracking = tracking): Judgement => ({
    verdict: { type: "running", status },
    tracking: withoutRun(next),
  });
  if (!instance) return failed(`server ${handle.instanceId} no longer exists`);
  if (handle.synchronous) return { verdict: { type: "done", instance }, tracking };
  if (!isStable(instance))
    return notYet(instance.task ? `${instance.rawStatus}/${instance.task}` : instance.rawStatus, {
      ...tracking,
      sawBusy: true,
    });
  if (seen.job?.type === "failed") return failed(seen.job.message);
  if (seen.job?.type === "running") return notYet(seen.job.status);
  const known = seen.job?.type === "succeeded" ? { ...tracking, jobSucceeded: true } : tracking;
  const ran = showsRun(handle, instance, known, rules, time.sentAt);
  if (instance.status === "error") {
    // Sent to a server already in error (Nova rebuilds those): it has not started while nothing moved.
    if (!ran && handle.baseline.status === instance.rawStatus)
      return notYet(`${instance.rawStatus} (step not started yet)`, known);
    return failed(instance.fault?.message ?? `server went to ${instance.rawStatus}`, known);
  }
  if (!ran) return notYet(`${instance.rawStatus} (no ${handle.step} seen yet)`, known);
  const target = TARGET_STATUS[handle.step];
  if (target !== undefined && instance.status !== target) return notYet(instance.rawStatus, known);
  const previous = known.settle;
  const run =
    previous && previous.mark === instance.updatedAt
      ? { ...previous, polls: previous.polls + 1 }
      : { since: time.answeredAt, polls: 1, mark: instance.updatedAt };
  if (run.polls >= 2 && mayConfirm(previous, time.sentAt, rules.settleMs ?? 0))
    return { verdict: { type: "done", instance }, tracking: { ...known, settle: run } };
  return {
    verdict: { type: "running", status: `${instance.rawStatus} (settling)` },
    tracking: { ...known, settle: run },
  };
}

/** Whether the stable server shows that the step ran (see the module's comment). */
function showsRun(
  handle: OperationHandle,
  instance: ObservedInstance,
  tracking: Tracking,
  rules: OperationRules,
  now: number,
): boolean {
  const { baseline, targetImageId } = handle;
  if (tracking.sawBusy || tracking.jobSucceeded) return true;
  if (instance.updatedAt !== baseline.updatedAt || instance.rawStatus !== baseline.status) return true;
  const movedToTarget =
    targetImageId !== undefined &&
    baseline.imageId !== undefined &&
    baseline.imageId !== targetImageId &&
    instance.imageId === targetImageId;
  return movedToTarget || (rules.graceMs !== undefined && now - handle.startedAt >= rules.graceMs);
}

function withoutRun(tracking: Tracking): Tracking {
  if (tracking.settle === undefined) return tracking;
  const { settle: _dropped, ...rest } = tracking;
  return rest;
}
