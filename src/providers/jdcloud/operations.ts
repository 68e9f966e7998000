import type { MetadataTarget, Step } from "../../model/action.js";
import { CloudError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { StepInputs } from "../../model/provider.js";
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
      else if (p.userDataSha256 !== undefined)
        body["userdata"] = [{ key: LAUNCH_SCRIPT_KEY, value: encodeUserData(inputs.userData) }];
      return { verb: "rebuildInstance", body };
    }
    case "reinstall":
    case "changeos":
      throw new TypeError(`step ${step.kind} does not exist on JD Cloud VM`);
  }
}

function encodeUserData(content: string | null | undefined): string {
  if (typeof content !== "string")
    throw new TypeError("the rebuild sets user_data but apply passed no user_data content");
  return Buffer.from(content, "utf8").toString("base64");
}

/** Statuses that show a step was taken (after an ambiguous POST). */
const SHOWS_STEP: Readonly<Record<string, readonly string[]>> = {
  stop: ["stopping", "stopped"],
  start: ["starting", "running"],
  reboot: ["rebooting"],
  rebuild: ["rebuilding"],
};

export function showsStep(step: Step["kind"], rawStatus: string): boolean {
  return SHOWS_STEP[step]?.includes(rawStatus) ?? false;
}

/** A refused step says where the VM is after the refusal (read back): what apply restarts, or the next run starts from. */
export function withVmState(error: unknown, instance: ObservedInstance): unknown {
  if (!(error instanceof CloudError)) return error;
  const where = `after the refusal the VM ${instance.id} is ${instance.rawStatus || "in an unknown state"} with image ${instance.imageId || "unknown"}`;
  return new CloudError(
    { ...error.details, cloudMessage: `${error.details.cloudMessage}; ${where}` },
    { cause: error },
  );
}
