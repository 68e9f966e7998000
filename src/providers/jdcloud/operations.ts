import type { MetadataTarget, Step } from "../../model/action.js";
import { CloudError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { SettleRun } from "../../model/settle.js";
import { checkSettled } from "../../model/settle.js";
import type { OperationHandle, OperationStatus, StepInputs } from "../../model/provider.js";
import { LAUNCH_SCRIPT_KEY } from "./normalize.js";
import type { JdKeyValue, JdVerb } from "./vm.js";

/** What one step sends: the verb and its JSON body (JD's SDK sends `{}` for stop, start and reboot). */
export interface JdCall {
  readonly verb: JdVerb;
  readonly body: Readonly<Record<string, unknown>>;
}

export function toKeyValues(map: Readonly<Record<string, string>>): JdKeyValue[] {
  return Object.entries(map).map(([key, value]) => ({ key, value }));
}

/** modifyInstanceAttribute with the whole resulting map (correct under replace semantics; under merge, verification catches a key that stayed). */
export function metadataCall(target: MetadataTarget): JdCall {
  return { verb: "modifyInstanceAttribute", body: { metadata: toKeyValues(target.full) } };
}

/** The call for a step. A rebuild without a managed key pair keeps the VM's current one (JD would otherwise drop it). */
export function stepCall(step: Step, instance: ObservedInstance, inputs: StepInputs): JdCall {
  switch (step.kind) {
    case "stop":
      return { verb: "stopInstance", body: {} };
    case "start":
      return { verb: "startInstance", body: {} };
    case "reboot":
      return { verb: "rebootInstance", body: {} };
    case "update-metadata":
      return metadataCall(step.params.metadata);
    case "rebuild": {
      const p = step.params;
      const keyPair = p.keyPair === undefined ? instance.keyPair : p.keyPair;
      const body: Record<string, unknown> = { imageId: p.imageId, metadata: toKeyValues(p.metadata.full) };
      if (keyPair !== null) body["keyNames"] = [keyPair];
      if (inputs.password) body["password"] = inputs.password.reveal();
      if (p.userDataSha256 === null) body["userdata"] = [];
      else if (p.userDataSha256 !== undefined) body["userdata"] = [{ key: LAUNCH_SCRIPT_KEY, value: encodeUserData(inputs.userData) }];
      return { verb: "rebuildInstance", body };
    }
    case "reinstall":
    case "changeos":
      throw new TypeError(`step ${step.kind} does not exist on JD Cloud VM`);
  }
}

function encodeUserData(content: string | null | undefined): string {
  if (typeof content !== "string") throw new TypeError("the rebuild sets user_data but apply passed no user_data content");
  return Buffer.from(content, "utf8").toString("base64");
}

/** Statuses that show a step was taken (after an ambiguous POST, or to know a transition was seen). */
const SHOWS_STEP: Readonly<Record<string, readonly string[]>> = {
  stop: ["stopping", "stopped"],
  start: ["starting", "running"],
  reboot: ["rebooting"],
  rebuild: ["rebuilding"],
};

export function showsStep(step: Step["kind"], rawStatus: string): boolean {
  return SHOWS_STEP[step]?.includes(rawStatus) ?? false;
}

const STABLE = new Set(["running", "stopped", "error"]);

/** What the adapter remembers of an operation it started: JD has no job ids, so a seen transition is the evidence. */
export interface Tracking {
  sawTransition: boolean;
  /** The polls in a row on which the step looked done (see model/settle.ts). */
  settle?: SettleRun;
}

/** The adapter's settings for deciding. */
export interface JdDecideOptions {
  readonly now: number;
  /** A reboot or rebuild whose transition no poll saw is taken as done after this long. */
  readonly graceMs: number;
  /** A step that looks done must look so on polls spanning this long (and at least two): statuses can flap after an action. */
  readonly settleMs: number;
}

/**
 * One handle's state from the VM as listed now. stop/start look done at stopped/running; reboot and rebuild
 * end where they started, so they look done once a transition was seen (rebooting, rebuilding) and the
 * status settled, or, when none was seen (it was quicker than the poll), after `graceMs`. Looking done is not
 * enough: a VM can flap back to the transitional status for a while (JD shows no update time to tell), so the step
 * is done only when it has looked done on two polls or more in a row spanning `settleMs` (`checkSettled`).
 */
export function decideJdOperation(handle: OperationHandle, instance: ObservedInstance, tracking: Tracking, options: JdDecideOptions): OperationStatus {
  if (handle.synchronous) return { type: "done", handle, instance };
  const status = instance.rawStatus;
  const rid = handle.requestId ? { requestId: handle.requestId } : {};
  if (!STABLE.has(status)) {
    tracking.sawTransition = true;
    delete tracking.settle;
    return { type: "running", handle, status };
  }
  if (status === "error") return { type: "failed", handle, message: `the VM went to status error during ${handle.step}`, ...rid };
  const waiting = notYetDone(handle, instance, tracking, options);
  const check = checkSettled(tracking.settle, waiting === undefined, options.now, "", options.settleMs);
  if (check.run) tracking.settle = check.run;
  else delete tracking.settle;
  if (check.settled) return { type: "done", handle, instance };
  return { type: "running", handle, status: waiting ?? `${status} (settling)` };
}

/** Why the step does not look done yet (the status to show), or undefined when it does. */
function notYetDone(handle: OperationHandle, instance: ObservedInstance, tracking: Tracking, options: JdDecideOptions): string | undefined {
  const status = instance.rawStatus;
  const settled = tracking.sawTransition || options.now - handle.startedAt >= options.graceMs || movedToTargetImage(handle, instance);
  switch (handle.step) {
    case "stop":
      return status === "stopped" ? undefined : status;
    case "start":
      return status === "running" ? undefined : status;
    case "reboot":
      return status === "running" && settled ? undefined : `${status} (no reboot seen yet)`;
    case "rebuild":
      return status === "stopped" && settled ? undefined : `${status} (no rebuild seen yet)`;
    case "update-metadata":
    case "reinstall":
    case "changeos":
      return undefined;
  }
}

/**
 * JD shows no update time, so a rebuild whose busy status no poll saw (it was quick, or this run re-attached to an
 * interrupted run's step) is known done without waiting out the grace only when it changed the image.
 */
function movedToTargetImage(handle: OperationHandle, instance: ObservedInstance): boolean {
  const { targetImageId } = handle;
  const before = handle.baseline.imageId;
  return targetImageId !== undefined && before !== undefined && before !== targetImageId && instance.imageId === targetImageId;
}

/** A refused step says where the VM is after the refusal (read back): what apply restarts, or the next run starts from. */
export function withVmState(error: unknown, instance: ObservedInstance): unknown {
  if (!(error instanceof CloudError)) return error;
  const where = `after the refusal the VM ${instance.id} is ${instance.rawStatus || "in an unknown state"} with image ${instance.imageId || "unknown"}`;
  return new CloudError({ ...error.details, cloudMessage: `${error.details.cloudMessage}; ${where}` }, { cause: error });
}
