import type { StepKind } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import { ReformError } from "../model/errors.js";
import type { ResumedOperation } from "../model/report.js";
import type { PendingOperation } from "./journal.js";
import type { InstanceContext } from "./run-instance.js";

export interface ResumeDeps {
  readonly run: string;
  /** Per provider name. */
  readonly contexts: ReadonlyMap<string, InstanceContext>;
  readonly timeoutOf: (address: InstanceAddress, step: StepKind) => number;
}

/**
 * Follows every operation an interrupted run left in flight (Nova request, Huawei job, JD step) to its end with the
 * same bulk poller as fresh steps, records the outcome in the journal (so no later run follows it again) and reports it.
 */
export async function resumeOperations(
  pending: readonly PendingOperation[],
  deps: ResumeDeps,
): Promise<ResumedOperation[]> {
  return Promise.all(pending.map((op) => resumeOne(op, deps)));
}

async function resumeOne(op: PendingOperation, deps: ResumeDeps): Promise<ResumedOperation> {
  const ctx = deps.contexts.get(op.provider);
  const { handle } = op;
  const base = {
    address: op.address,
    step: handle.step,
    run: op.run,
    startedAt: new Date(handle.startedAt).toISOString(),
    ...(handle.requestId ? { requestId: handle.requestId } : {}),
    ...(handle.jobId ? { jobId: handle.jobId } : {}),
  };
  if (!ctx)
    return { ...base, outcome: "not-followed", message: `provider ${op.provider} is not in the fleet file any more` };
  let resumed: ResumedOperation;
  if (handle.synchronous) {
    resumed = {
      ...base,
      outcome: "not-followed",
      message: "a synchronous call: its effect is read back from the server",
    };
  } else {
    // Said at once: following it can take as long as the step has left to run.
    ctx.reporter.report({
      type: "reattaching",
      address: op.address,
      step: handle.step,
      message: `waiting for ${describeOrigin(base)}`,
    });
    const remaining = Math.max(
      ctx.pollIntervalMs,
      handle.startedAt + deps.timeoutOf(op.address, handle.step) - ctx.clock.now(),
    );
    resumed = await follow(op, ctx, remaining, base);
  }
  await ctx.journal.append({
    time: new Date(ctx.clock.now()).toISOString(),
    run: deps.run,
    address: op.address,
    id: handle.instanceId,
    step: handle.step,
    event: resumed.outcome === "finished" ? "finished" : "failed",
    op: op.op,
    resumedBy: deps.run,
    ...(resumed.message ? { message: resumed.message } : {}),
  });
  const ended = resumed.outcome === "finished" || handle.synchronous;
  ctx.reporter.report(
    ended
      ? { type: "reattached", address: op.address, step: handle.step, message: describeResumed(resumed) }
      : { type: "warning", message: describeResumed(resumed) },
  );
  return resumed;
}

async function follow(
  op: PendingOperation,
  ctx: InstanceContext,
  timeoutMs: number,
  base: Omit<ResumedOperation, "outcome">,
): Promise<ResumedOperation> {
  try {
    const settled = await ctx.poller.wait(op.handle, timeoutMs, (status) =>
      ctx.reporter.report({ type: "waiting", address: op.address, status }),
    );
    if (settled.type === "done") return { ...base, outcome: "finished" };
    return { ...base, outcome: "failed", message: settled.message };
  } catch (error) {
    if (error instanceof ReformError && error.code === "TIMEOUT")
      return { ...base, outcome: "timed-out", message: error.message };
    throw error;
  }
}

/** "rebuild of dc1/web-1 started … by interrupted run … (request …, job …)". */
function describeOrigin(r: Omit<ResumedOperation, "outcome">): string {
  const ids = [r.requestId ? `request ${r.requestId}` : "", r.jobId ? `job ${r.jobId}` : ""]
    .filter((s) => s !== "")
    .join(", ");
  return `${r.step} of ${r.address} started ${r.startedAt} by interrupted run ${r.run}${ids ? ` (${ids})` : ""}`;
}

/** One line for progress output and reports. */
export function describeResumed(r: ResumedOperation): string {
  const head = `re-attached to ${describeOrigin(r)}`;
  switch (r.outcome) {
    case "finished":
      return `${head}: finished`;
    case "failed":
      return `${head}: failed: ${r.message ?? "no reason given"}`;
    case "timed-out":
      return `${head}: ${r.message ?? "timed out"}`;
    case "not-followed":
      return `${head}: not followed: ${r.message ?? ""}`;
  }
}
