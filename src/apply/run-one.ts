import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { DesiredInstance, RolloutPolicy } from "../model/desired.js";
import { describeError } from "../model/errors.js";
import type { InstanceResult } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import type { InstanceReport } from "../model/report.js";
import type { GateProbe, GateSubject } from "./gate.js";
import { gateSubjectOf, waitForGate } from "./gate.js";
import type { InstanceContext } from "./run-instance.js";
import { runInstance } from "./run-instance.js";

/**
 * One server of a rollout to its report: its steps (runInstance), then its group's readiness gate. `subjects` keeps
 * what each server's gate placeholders stand for, for later bakes. `after` is told the server as last read.
 */
export async function runOne(
  ctx: InstanceContext,
  change: InstanceChange,
  desired: DesiredInstance,
  policy: RolloutPolicy | undefined,
  probeGate: GateProbe | undefined,
  subjects: Map<InstanceAddress, GateSubject>,
  after?: (instance: ObservedInstance | undefined) => void,
): Promise<InstanceReport> {
  const started = ctx.clock.now();
  let result: InstanceResult;
  let executed = change;
  try {
    const outcome = await runInstance(ctx, change, desired);
    executed = outcome.change;
    result = outcome.result;
    subjects.set(change.address, gateSubjectOf(change, outcome.instance, ctx.adapter));
    after?.(outcome.instance);
    if (result.type === "converged" && policy?.gate)
      result = await passGate(ctx, change, policy, outcome.instance, probeGate);
  } catch (error) {
    result = { type: "failed", why: describeError(error) };
  }
  return {
    address: change.address,
    id: change.id,
    action: executed.action,
    steps: executed.steps.map((s) => s.kind),
    result,
    durationMs: ctx.clock.now() - started,
  };
}

/** A converged server counts as done only once its group's readiness gate passes. */
export async function passGate(
  ctx: InstanceContext,
  change: InstanceChange,
  policy: RolloutPolicy,
  instance: ObservedInstance | undefined,
  probe: GateProbe | undefined,
): Promise<InstanceResult> {
  const gate = policy.gate;
  if (!gate) return { type: "converged" };
  if (!probe)
    return { type: "failed", why: "the group has a readiness gate but this apply was given no way to probe it" };
  ctx.reporter.report({ type: "waiting", address: change.address, status: "readiness gate" });
  const result = await waitForGate(gate, gateSubjectOf(change, instance, ctx.adapter), {
    clock: ctx.clock,
    signal: ctx.signal,
    probe,
  });
  return result.type === "passed" ? { type: "converged" } : { type: "failed", why: `converged, but ${result.why}` };
}
