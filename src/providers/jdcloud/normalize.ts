import { splitAnnotations } from "../../model/annotations.js";
import type { PowerState } from "../../model/desired.js";
import type { InstanceStatus, Observed, ObservedInstance } from "../../model/observed.js";
import { decodeBase64UserData, decodeUtf8, userDataSha256 } from "../../model/user-data.js";
import type { JdCustomData, JdInstance } from "./vm.js";

/** The userdata entry JD runs at first boot (`[{key: "launch-script", value: base64}]`). */
export const LAUNCH_SCRIPT_KEY = "launch-script";
export const CUSTOM_DATA_MISSING = "describeInstancesCustomData did not return this VM; no reform annotation yet";
export const CUSTOM_DATA_NOT_READ = "not read: the plan asked for no metadata or user_data of this VM";

/** JD status words → provider-neutral status. */
export function mapJdStatus(status: string | undefined): InstanceStatus {
  switch (status ?? "") {
    case "running":
      return "active";
    case "stopped":
      return "stopped";
    case "pending":
      return "building";
    case "starting":
      return "starting";
    case "stopping":
      return "stopping";
    case "rebooting":
      return "rebooting";
    case "rebuilding":
      return "rebuilding";
    case "error":
      return "error";
    default:
      return "unknown";
  }
}

function mapJdPower(status: string | undefined): PowerState | "unknown" {
  return status === "running" ? "running" : status === "stopped" ? "stopped" : "unknown";
}

/** JD's own tasks in progress (resizing, deleting) have no neutral status: shown as a task so the plan waits. */
function taskOf(status: string | undefined): string | null {
  return status === "resizing" || status === "deleting" ? status : null;
}

function userDataOf(
  custom: JdCustomData | undefined,
  annotated: string | undefined,
): { readonly sha: Observed<string | null>; readonly text?: string | null } {
  if (!custom)
    return annotated !== undefined
      ? { sha: { known: true, value: annotated } }
      : { sha: { known: false, reason: CUSTOM_DATA_MISSING } };
  const script = (custom.userdata ?? []).find((u) => u.key === LAUNCH_SCRIPT_KEY)?.value;
  if (script === undefined || script === "") return { sha: { known: true, value: null }, text: null };
  const bytes = decodeBase64UserData(script);
  if (bytes === undefined) return { sha: { known: true, value: userDataSha256(script) }, text: script };
  const text = decodeUtf8(bytes);
  return text === undefined
    ? { sha: { known: true, value: userDataSha256(bytes) } }
    : { sha: { known: true, value: userDataSha256(text) }, text };
}

/**
 * A VM listed without its custom data, on purpose (`ListInstancesRequest` `metadata: false`): metadata, annotations
 * and user data marked not read.
 */
export function normalizeWithoutCustomData(instance: JdInstance, provider: string): ObservedInstance {
  return {
    ...normalizeInstance(instance, undefined, provider),
    userDataSha256: { known: false, reason: CUSTOM_DATA_NOT_READ },
    metadataRead: false,
  };
}

/** A JD Instance plus its custom data (metadata, userdata) → ObservedInstance. */
export function normalizeInstance(
  instance: JdInstance,
  custom: JdCustomData | undefined,
  provider: string,
): ObservedInstance {
  const metadata: Record<string, string> = {};
  for (const { key, value } of custom?.metadata ?? []) metadata[key] = String(value);
  const { user, annotations } = splitAnnotations(metadata);
  const userData = userDataOf(custom, annotations.userDataSha256);
  const keyNames = instance.keyNames ?? [];
  return {
    id: instance.instanceId,
    name: instance.instanceName ?? "",
    provider,
    status: mapJdStatus(instance.status),
    rawStatus: instance.status ?? "",
    task: taskOf(instance.status),
    imageId: instance.imageId ?? "",
    keyPair: keyNames[0] ?? null,
    metadata: user,
    systemMetadata: {},
    annotations,
    userDataSha256: userData.sha,
    ...("text" in userData ? { userData: userData.text } : {}),
    power: mapJdPower(instance.status),
    updatedAt: instance.launchTime ?? "",
    locked: false,
    ...(instance.status === "error" ? { fault: { message: `JD Cloud reports the VM in status error` } } : {}),
    addresses: instance.privateIpAddress ? [instance.privateIpAddress] : [],
  };
}
