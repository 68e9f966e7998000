import type { CloudFaults } from "../faults.js";
import { isRecord } from "../http.js";
import type { JdCloud, JdInstanceState } from "./state.js";
import { flapping } from "./state.js";

/** A refusal in JD's envelope: HTTP status, `error.status` word, message. */
export class JdApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "JdApiError";
  }
}

const POWER = {
  stopInstance: { requires: "running", action: "stop" },
  startInstance: { requires: "stopped", action: "start" },
  rebootInstance: { requires: "running", action: "reboot" },
} as const;

function refuseBusy(instance: JdInstanceState, verb: string): void {
  if (instance.op || flapping(instance))
    throw new JdApiError(
      409,
      "CONFLICT",
      `${verb}: instance ${instance.id} has a task in progress (status ${instance.status})`,
    );
}

/** stop / start / reboot: the VM must be in the required stable status with no task in progress. */
export function powerAction(cloud: JdCloud, instance: JdInstanceState, verb: keyof typeof POWER): void {
  const rule = POWER[verb];
  refuseBusy(instance, verb);
  if (instance.status !== rule.requires)
    throw new JdApiError(
      400,
      "FAILED_PRECONDITION",
      `${verb}: instance ${instance.id} must be ${rule.requires}, it is ${instance.status}`,
    );
  cloud.begin(instance, rule.action);
}

/**
 * Injected flapping after an action just begun (not one injected to fail): once its op ends, its transitional status
 * (stopping, starting, rebooting, rebuilding) comes and goes with the final one for the drawn time.
 */
export function injectFlap(faults: CloudFaults | undefined, instance: JdInstanceState): void {
  const op = instance.op;
  if (!op || op.then === "error") return;
  const ms = faults?.flapMs() ?? 0;
  if (ms > 0) instance.op = { ...op, flap: { status: instance.status, ms } };
}

/** 8–30 characters with at least three of: lower case, upper case, digits, special characters. */
export function passwordAcceptable(password: string): boolean {
  if (password.length < 8 || password.length > 30) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
  return classes >= 3;
}

function keyValues(value: unknown, what: string, max: number): Record<string, string> {
  if (!Array.isArray(value)) throw new JdApiError(400, "INVALID_ARGUMENT", `${what} must be a list of {key, value}`);
  if (value.length > max) throw new JdApiError(400, "OUT_OF_RANGE", `${what}: at most ${max} pairs`);
  const out: Record<string, string> = {};
  for (const entry of value) {
    if (
      !isRecord(entry) ||
      typeof entry["key"] !== "string" ||
      typeof entry["value"] !== "string" ||
      entry["key"] === ""
    ) {
      throw new JdApiError(400, "INVALID_ARGUMENT", `${what}: every entry needs a string key and value`);
    }
    out[entry["key"]] = entry["value"];
  }
  return out;
}

function launchScript(value: unknown): string | null {
  const pairs = keyValues(value, "userdata", 1);
  const script = pairs["launch-script"];
  if (Object.keys(pairs).length > 0 && script === undefined)
    throw new JdApiError(400, "INVALID_ARGUMENT", "userdata: the only key is launch-script");
  if (script === undefined || script === "") return null;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(script) || script.length % 4 !== 0)
    throw new JdApiError(400, "ARGUMENT_WRONG_FORMAT", "userdata launch-script must be base64");
  if (Buffer.from(script, "base64").length > 16 * 1024)
    throw new JdApiError(400, "OUT_OF_RANGE", "userdata launch-script is larger than 16 KB");
  return script;
}

function keyNamesOf(cloud: JdCloud, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((k) => typeof k !== "string"))
    throw new JdApiError(400, "INVALID_ARGUMENT", "keyNames must be a list of strings");
  if (value.length > 1) throw new JdApiError(400, "OUT_OF_RANGE", "keyNames: only one key pair is supported");
  for (const name of value as string[])
    if (!cloud.hasKeypair(name)) throw new JdApiError(404, "RESOURCE_NOT_EXIST", `key pair ${name} does not exist`);
  return [...(value as string[])];
}

/** rebuildInstance: only a stopped VM; a password is required when no key pair is given. The VM goes rebuilding → stopped. */
export function rebuild(cloud: JdCloud, instance: JdInstanceState, body: Record<string, unknown>): void {
  refuseBusy(instance, "rebuildInstance");
  if (instance.status !== "stopped")
    throw new JdApiError(
      400,
      "FAILED_PRECONDITION",
      `rebuildInstance: instance ${instance.id} must be stopped, it is ${instance.status}`,
    );
  const imageId = body["imageId"] === undefined ? instance.imageId : body["imageId"];
  if (typeof imageId !== "string" || !cloud.images().some((i) => i.id === imageId))
    throw new JdApiError(404, "RESOURCE_NOT_EXIST", `image ${String(imageId)} does not exist`);
  const keyNames = keyNamesOf(cloud, body["keyNames"]);
  const password = body["password"];
  if (password !== undefined && typeof password !== "string")
    throw new JdApiError(400, "INVALID_ARGUMENT", "password must be a string");
  if (keyNames.length === 0 && password === undefined)
    throw new JdApiError(400, "INVALID_ARGUMENT", "password is required when no key pair is given");
  if (password !== undefined && !passwordAcceptable(password))
    throw new JdApiError(
      400,
      "INVALID_ARGUMENT",
      "password does not meet the rules: 8-30 characters, at least three of lower case, upper case, digits and special characters",
    );
  const metadata = body["metadata"] === undefined ? undefined : keyValues(body["metadata"], "metadata", 40);
  const userData = body["userdata"] === undefined ? undefined : launchScript(body["userdata"]);
  instance.imageId = imageId;
  instance.keyNames = keyNames;
  if (metadata !== undefined) instance.metadata = metadata;
  if (userData !== undefined) instance.userData = userData;
  cloud.begin(instance, "rebuild");
}

/** modifyInstanceAttribute: name, description, metadata (the whole set is replaced), userdata. Synchronous. */
export function modifyAttribute(instance: JdInstanceState, body: Record<string, unknown>): void {
  const name = body["name"];
  if (name !== undefined && (typeof name !== "string" || name === ""))
    throw new JdApiError(400, "INVALID_ARGUMENT", "name must be a non-empty string");
  const metadata = body["metadata"] === undefined ? undefined : keyValues(body["metadata"], "metadata", 40);
  const userData = body["userdata"] === undefined ? undefined : launchScript(body["userdata"]);
  if (typeof name === "string") instance.name = name;
  if (metadata !== undefined) instance.metadata = metadata;
  if (userData !== undefined) instance.userData = userData;
}
