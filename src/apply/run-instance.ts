import type { Step, StepKind } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance } from "../model/desired.js";
import { AmbiguousError, CloudError, ReformError, describeError } from "../model/errors.js";
import type { InstanceResult, Reporter } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import { isBusy } from "../model/observed.js";
import type { ProviderAdapter, StepInputs } from "../model/provider.js";
import { fingerprintOf } from "../plan/fingerprint.js";
import { keyPairsNamed, missingKeyPair } from "../plan/key-pairs.js";
import { formatDuration } from "./duration.js";
import type { ReprovisionBudget } from "./reprovision-budget.js";
import { beforeStateOf } from "./before-state.js";
import type { BeforeStateEntry, Journal } from "./journal.js";
import type { OperationPoller } from "./poller.js";
import type { InstanceReader } from "./reader.js";
import { RESTART_STEP, needsRestart, withRestart } from "./restart.js";
import { verifyInstance } from "./verify.js";

/** Realistic defaults: a rebuild can take many minutes (first boots of 18 min have been reported). */
export const DEFAULT_STEP_TIMEOUTS_MS: Readonly<Record<StepKind, number>> = {
  rebuild: 30 * 60_000,
  reinstall: 30 * 60_000,
  changeos: 30 * 60_000,
  reboot: 10 * 60_000,
  stop: 10 * 60_000,
  start: 10 * 60_000,
  "update-metadata": 60_000,
};

export interface InstanceContext {
  readonly run: string;
  readonly adapter: ProviderAdapter;
  readonly poller: OperationPoller;
  readonly reader: InstanceReader;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly journal: Journal;
  /** Before-states that interrupted runs recorded for servers they left half-done (see openBeforeStates). */
  readonly openBeforeStates: ReadonlyMap<InstanceAddress, BeforeStateEntry>;
  readonly signal: AbortSignal;
  readonly timeouts: Readonly<Record<StepKind, number>>;
  /** How long to wait for a server that was busy at plan time. */
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  /**
   * Whether the cloud has this key pair for the caller; undefined when that cannot be read (not checked then).
   * Asked once per name and run (see apply.ts).
   */
  readonly keyPairExists: (name: string) => Promise<boolean | undefined>;
  /** The caller's key pair names, for the message when one is missing ([] when they cannot be listed). Asked once per run. */
  readonly keyPairNames: () => Promise<readonly string[]>;
  /** What a step needs that the plan does not carry; called for every step before the first is sent. */
  readonly resolveInputs: (desired: DesiredInstance, step: Step) => Promise<StepInputs>;
  /** Plans one server again from fresh state (for servers that were busy at plan time). */
  readonly replan: (desired: DesiredInstance, observed: ObservedInstance) => InstanceChange;
  /** The plan's reprovision limit across the run: a change planned again takes a slot before its first step. */
  readonly reprovisions: ReprovisionBudget;
  /** Journal each server's before-state before its first step; a rollback's steps write none. @default true */
  readonly recordsBeforeState?: boolean;
}

type Failed = Extract<InstanceResult, { type: "failed" }>;

export interface InstanceOutcome {
  readonly result: InstanceResult;
  readonly change: InstanceChange;
  /** The server as last read (after verification), for readiness gates. */
  readonly instance?: ObservedInstance;
}

/** Runs one server's steps: fingerprint check, each step and its wait, then verification. */
export async function runInstance(
  ctx: InstanceContext,
  planned: InstanceChange,
  desired: DesiredInstance,
): Promise<InstanceOutcome> {
  let current = await ctx.reader.read(planned.id);
  if (!current) return { change: planned, result: { type: "skipped", why: "the server no longer exists" } };
  let change = planned;
  if (planned.action === "wait") {
    current = await waitUntilSettled(ctx, planned, current);
    change = ctx.replan(desired, current);
    if (change.steps.length === 0) return { change, result: settledResult(change), instance: current };
    const overLimit = ctx.reprovisions.reserve(change);
    if (overLimit !== undefined)
      return { change, result: { type: "failed", why: `not started: ${overLimit}; nothing was sent to the server` } };
  } else if (fingerprintOf(current) !== planned.fingerprint) {
    return { change, result: { type: "skipped", why: "the server changed since the plan was made; run plan again" } };
  }
  const ready = await preflight(ctx, change, desired);
  if (ready.type === "failed") return { change, result: ready };
  const before = current;
  if (ctx.recordsBeforeState !== false) await recordBeforeState(ctx, change, desired, before);
  let confirmed: ObservedInstance | undefined;
  for (const [index, step] of change.steps.entries()) {
    const outcome = await runStep(ctx, change, step, ready.inputs[index] ?? {}, current, index);
    if (outcome.type === "failed") return { change, result: await afterFailure(ctx, change, desired, before, outcome) };
    current = outcome.instance;
    confirmed = outcome.confirmed ? outcome.instance : undefined;
  }
  ctx.reporter.report({ type: "verifying", address: change.address });
  // The poll that confirmed the last step read the server back whole, after it (OperationQuery.complete): that read is
  // the one verified. A last step that was not polled (metadata, synchronous) is followed by a read of its own.
  const after = confirmed ?? (await ctx.reader.read(change.id));
  if (!after) return { change, result: { type: "failed", why: "the server disappeared during apply" } };
  return { change, result: verifyInstance({ desired, change, before, after }), instance: after };
}

/**
 * The server's before-state, in the journal before its first step is sent: from the observation the (re)plan was
 * made from (the fingerprint check just proved the server still matches it). A server an interrupted run left
 * half-done keeps that run's record.
 */
async function recordBeforeState(
  ctx: InstanceContext,
  change: InstanceChange,
  desired: DesiredInstance,
  observed: ObservedInstance,
): Promise<void> {
  const carried = ctx.openBeforeStates.get(change.address);
  const original = carried?.id === change.id ? carried : undefined;
  await ctx.journal.append({
    time: new Date(ctx.clock.now()).toISOString(),
    run: ctx.run,
    event: "before-state",
    address: change.address,
    id: change.id,
    provider: ctx.adapter.name,
    steps: change.steps.map((s) => s.kind),
    firstRun: original?.firstRun ?? ctx.run,
    state: original?.state ?? beforeStateOf(observed, desired.spec, change),
  });
}

function settledResult(change: InstanceChange): InstanceResult {
  if (change.action === "no-op") return { type: "converged" };
  const why = change.reasons.map((r) => r.message).join("; ") || change.action;
  return { type: change.action === "unsupported" || change.action === "error" ? "failed" : "skipped", why };
}

/**
 * Everything the server's steps need, made sure of before the first step: what the plan does not carry (secrets,
 * user_data content) resolved, one per step, and the key pairs they name found. A missing one fails the server with
 * nothing sent to it, rather than after a `stop`. (Images were resolved by the plan apply was given.)
 */
async function preflight(
  ctx: InstanceContext,
  change: InstanceChange,
  desired: DesiredInstance,
): Promise<{ readonly type: "ready"; readonly inputs: readonly StepInputs[] } | Failed> {
  const notStarted = (problem: string): Failed => ({
    type: "failed",
    why: `not started: ${problem}; nothing was sent to the server`,
  });
  const inputs: StepInputs[] = [];
  try {
    for (const step of change.steps) inputs.push(await ctx.resolveInputs(desired, step));
  } catch (error) {
    return notStarted(describeError(error));
  }
  for (const named of keyPairsNamed(change)) {
    if ((await ctx.keyPairExists(named.name)) === false)
      return notStarted(missingKeyPair(change, named, await ctx.keyPairNames()).message);
  }
  return { type: "ready", inputs };
}

/**
 * A failed step may have left stopped a server that was running (JD's stop before a refused rebuild, Huawei's
 * withStopServer job that failed): it is started again unless the fleet file wants it stopped, and the result
 * reports both the failure and the restart.
 */
async function afterFailure(
  ctx: InstanceContext,
  change: InstanceChange,
  desired: DesiredInstance,
  before: ObservedInstance,
  failed: Failed,
): Promise<Failed> {
  // Interrupted: the signal is aborted, no call could be sent; the next apply plans from the server as it is.
  if (ctx.signal.aborted || failed.step === undefined || failed.step === "start") return failed;
  let now: ObservedInstance | undefined;
  try {
    now = await ctx.reader.read(change.id);
  } catch (error) {
    return { ...failed, why: `${failed.why}; the server could not be read after the failure: ${describeError(error)}` };
  }
  if (now && isBusy(now)) {
    // Still busy (a step whose outcome is unknown may still run): waited for, as long as a start may take.
    try {
      now = await waitUntilSettled(ctx, change, now, ctx.timeouts.start);
    } catch (error) {
      return { ...failed, why: `${failed.why}; not started again: ${describeError(error)}` };
    }
  }
  if (!now || !needsRestart({ before, now, desired, failedStep: failed.step })) return failed;
  ctx.reporter.report({ type: "restarting", address: change.address, failedStep: failed.step });
  const restarted = await runStep(ctx, change, RESTART_STEP, {}, now, change.steps.length);
  return withRestart(
    failed,
    restarted.type === "ok" ? { outcome: "started" } : { outcome: "failed", why: restarted.why },
  );
}

async function waitUntilSettled(
  ctx: InstanceContext,
  change: InstanceChange,
  first: ObservedInstance,
  timeoutMs = ctx.waitTimeoutMs,
): Promise<ObservedInstance> {
  const deadline = ctx.clock.now() + timeoutMs;
  let current = first;
  while (isBusy(current)) {
    if (ctx.clock.now() >= deadline)
      throw new ReformError("TIMEOUT", `wait timed out: still ${current.rawStatus} after ${formatDuration(timeoutMs)}`);
    ctx.reporter.report({ type: "waiting", address: change.address, status: current.rawStatus });
    await ctx.clock.sleep(ctx.pollIntervalMs, ctx.signal);
    const next = await ctx.reader.read(change.id);
    if (!next) throw new ReformError("CLOUD_ERROR", "the server disappeared while busy");
    current = next;
  }
  return current;
}

/**
 * A step that ended well: the server as apply last saw it, and whether that is the read of the poll that confirmed the
 * step done (a whole server, read after the step ended), rather than the server before a synchronous step.
 */
type StepOutcome = { readonly type: "ok"; readonly instance: ObservedInstance; readonly confirmed: boolean } | Failed;

async function runStep(
  ctx: InstanceContext,
  change: InstanceChange,
  step: Step,
  inputs: StepInputs,
  current: ObservedInstance,
  index: number,
): Promise<StepOutcome> {
  const moreSteps = index < change.steps.length - 1;
  const base = {
    run: ctx.run,
    address: change.address,
    id: change.id,
    step: step.kind,
    op: `${ctx.run}:${change.address}:${index}`,
  };
  let sentRequestId: string | undefined;
  let sent = false;
  const halted = ctx.journal.halted?.();
  // No step starts that the journal could not record; the server's earlier steps (if any) did run.
  if (halted !== undefined) return { type: "failed", why: `${step.kind} not started: ${halted}` };
  try {
    const handle = await ctx.adapter.startStep({ instance: current, step, inputs }, ctx.signal);
    sentRequestId = handle.requestId;
    sent = true;
    const ids = {
      ...(handle.requestId ? { requestId: handle.requestId } : {}),
      ...(handle.jobId ? { jobId: handle.jobId } : {}),
    };
    const follow = {
      provider: ctx.adapter.name,
      startedAt: handle.startedAt,
      baseline: handle.baseline,
      ...(handle.targetImageId ? { targetImageId: handle.targetImageId } : {}),
      synchronous: handle.synchronous,
    };
    await ctx.journal.append({
      ...base,
      time: new Date(ctx.clock.now()).toISOString(),
      event: "started",
      ...ids,
      ...follow,
    });
    ctx.reporter.report({ type: "step-started", address: change.address, step: step.kind, ...ids });
    let instance = current;
    let confirmed = false;
    if (!handle.synchronous) {
      const settled = await ctx.poller.wait(handle, ctx.timeouts[step.kind], (status) =>
        ctx.reporter.report({ type: "waiting", address: change.address, status }),
      );
      if (settled.type === "failed") {
        const failed = {
          type: "failed" as const,
          step: step.kind,
          why: `${step.kind} failed: ${settled.message}`,
          ...((settled.requestId ?? handle.requestId) ? { requestId: settled.requestId ?? handle.requestId } : {}),
        };
        await ctx.journal.append({
          ...base,
          time: new Date(ctx.clock.now()).toISOString(),
          event: "failed",
          message: failed.why,
          ...ids,
        });
        return failed;
      }
      instance = settled.instance;
      confirmed = true;
    } else if (moreSteps) {
      instance = (await ctx.reader.read(change.id)) ?? current;
    }
    await ctx.journal.append({ ...base, time: new Date(ctx.clock.now()).toISOString(), event: "finished", ...ids });
    ctx.reporter.report({ type: "step-finished", address: change.address, step: step.kind });
    return { type: "ok", instance, confirmed };
  } catch (error) {
    const described = describeFailure(error, step.kind, change.address);
    const failed =
      described.requestId === undefined && sentRequestId !== undefined
        ? { ...described, requestId: sentRequestId }
        : described;
    // Interrupted (Ctrl-C, SIGTERM) after the step was sent: it goes on in the cloud, so it stays open in the
    // journal for the next run to follow and report.
    if (ctx.signal.aborted && sent)
      return {
        ...failed,
        why: `interrupted: the ${step.kind} was sent and goes on in the cloud; the next apply follows it to its end`,
      };
    await ctx.journal.append({
      ...base,
      time: new Date(ctx.clock.now()).toISOString(),
      event: "failed",
      message: failed.why,
      ...(failed.requestId ? { requestId: failed.requestId } : {}),
    });
    return failed;
  }
}

function describeFailure(error: unknown, step: StepKind, address: string): Failed {
  if (error instanceof CloudError) {
    const e = error.withContext({ address, step });
    return { type: "failed", step, why: e.message, ...(e.details.requestId ? { requestId: e.details.requestId } : {}) };
  }
  if (error instanceof AmbiguousError)
    return { type: "failed", step, why: `${step}: ${error.message}; run plan to see the server's real state` };
  const message = describeError(error);
  if (error instanceof ReformError)
    return { type: "failed", step, why: message.startsWith(`${step} `) ? message : `${step}: ${message}` };
  return { type: "failed", step, why: `${step}: ${message}` };
}
