import type { ReprovisionStep, Step } from "../../model/action.js";
import { ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { HttpRequest } from "../http/types.js";

/** A request before signing: the adapter adds the signer and the abort signal. */
export type EcsRequest = Omit<HttpRequest, "signer" | "signal">;

/** What the request builders need to know about the provider. */
export interface EcsContext {
  /** The provider's name, for messages. */
  readonly name: string;
  /** `https://ecs.{region}.myhuaweicloud.com` or the override. */
  readonly endpoint: string;
  readonly projectId: string;
  /** IAM user id, sent as `userid` with `keyname`. */
  readonly userId?: string;
}

/** What a step needs beyond the plan: user_data content and the admin password, resolved at apply. */
export interface EcsStepInputs {
  readonly userData: string | null | undefined;
  readonly password: string | undefined;
  /** The reprovisioning API: v2 for images with Cloud-Init (carries user_data), v1 for images without. */
  readonly api: "v1" | "v2";
}

export function ecsUrl(ctx: EcsContext, path: string): string {
  return `${ctx.endpoint}${path.replace("{p}", encodeURIComponent(ctx.projectId))}`;
}

/** `GET /v2.1/{p}/os-keypairs`: the key pairs of the caller (native OpenStack API, not paginated). */
export function keypairsRequest(ctx: EcsContext): EcsRequest {
  return { method: "GET", url: ecsUrl(ctx, "/v2.1/{p}/os-keypairs"), operation: "GET /v2.1/{project_id}/os-keypairs" };
}

/** The names in an os-keypairs answer (`{keypairs: [{keypair: {name}}]}`). */
export function keypairNames(body: unknown): Set<string> {
  const list = (body as { keypairs?: unknown } | undefined)?.keypairs;
  const names = Array.isArray(list)
    ? list.map((entry: unknown) => (entry as { keypair?: { name?: unknown } } | null)?.keypair?.name)
    : [];
  return new Set(names.filter((n): n is string => typeof n === "string"));
}

/** `POST /v1/{p}/cloudservers/action`: one job with one sub-job per server. */
export function batchRequest(
  ctx: EcsContext,
  action: "reboot" | "os-start" | "os-stop",
  body: Record<string, unknown>,
): EcsRequest {
  return {
    method: "POST",
    url: ecsUrl(ctx, "/v1/{p}/cloudservers/action"),
    json: { [action]: body },
    operation: `POST /v1/{project_id}/cloudservers/action ${action}`,
  };
}

/** The mutating request of a step other than update-metadata (which is written by the adapter with merge/delete calls). */
export function stepRequest(
  ctx: EcsContext,
  instance: ObservedInstance,
  step: Step,
  inputs: EcsStepInputs,
): EcsRequest {
  switch (step.kind) {
    case "reboot":
      return batchRequest(ctx, "reboot", { type: step.params.type, servers: [{ id: instance.id }] });
    case "stop":
      return batchRequest(ctx, "os-stop", { type: "SOFT", servers: [{ id: instance.id }] });
    case "start":
      return batchRequest(ctx, "os-start", { servers: [{ id: instance.id }] });
    case "rebuild":
      return nativeRebuildRequest(ctx, instance, step, inputs.userData);
    case "reinstall":
    case "changeos":
      return reprovisionRequest(ctx, instance, step, inputs);
    case "update-metadata":
      throw new TypeError("update-metadata is written with the metadata API, not an ECS action");
  }
}

/** The native OpenStack-compatible rebuild (seed 000): key_name needs microversion 2.54, user_data 2.57. */
function nativeRebuildRequest(
  ctx: EcsContext,
  instance: ObservedInstance,
  step: ReprovisionStep,
  userData: string | null | undefined,
): EcsRequest {
  const p = step.params;
  const rebuild: Record<string, unknown> = { imageRef: p.imageId, metadata: p.metadata.full };
  if (p.keyPair !== undefined) rebuild["key_name"] = p.keyPair;
  if (p.userDataSha256 !== undefined)
    rebuild["user_data"] = p.userDataSha256 === null ? null : Buffer.from(userData ?? "", "utf8").toString("base64");
  return {
    method: "POST",
    url: ecsUrl(ctx, `/v2.1/{p}/servers/${encodeURIComponent(instance.id)}/action`),
    headers: { "X-OpenStack-Nova-API-Version": "2.57" },
    json: { rebuild },
    operation: "POST /v2.1/{project_id}/servers/{id}/action rebuild",
  };
}

/**
 * `reinstallos` / `changeos` on the v1 (no Cloud-Init) or v2 (Cloud-Init) API. The key pair goes with the IAM user id
 * (`userid` is required with `keyname`); the admin password only when there is no key pair (they are exclusive);
 * `mode: withStopServer` when the server runs (the cloud stops it first); user_data only on v2.
 */
export function reprovisionRequest(
  ctx: EcsContext,
  instance: ObservedInstance,
  step: ReprovisionStep,
  inputs: EcsStepInputs,
): EcsRequest {
  const p = step.params;
  const keyname = p.keyPair === undefined ? instance.keyPair : p.keyPair;
  const body: Record<string, unknown> = {};
  if (keyname) {
    if (!ctx.userId)
      throw new ReformError(
        "CLOUD_ERROR",
        `${ctx.name}: a ${step.kind} with key pair ${keyname} needs the IAM user id: set userId in the provider or HW_USER_ID`,
      );
    Object.assign(body, { keyname, userid: ctx.userId });
  } else if (inputs.password !== undefined) body["adminpass"] = inputs.password;
  if (step.kind === "changeos") body["imageid"] = p.imageId;
  if (instance.power !== "stopped") body["mode"] = "withStopServer";
  if (typeof p.userDataSha256 === "string" && sendsUserData(ctx, instance, step, inputs.api)) {
    body["metadata"] = { user_data: Buffer.from(inputs.userData ?? "", "utf8").toString("base64") };
  }
  const name = step.kind === "reinstall" ? "reinstallos" : "changeos";
  return {
    method: "POST",
    url: ecsUrl(ctx, `/${inputs.api}/{p}/cloudservers/${encodeURIComponent(instance.id)}/${name}`),
    json: { [step.kind === "reinstall" ? "os-reinstall" : "os-change"]: body },
    operation: `POST /${inputs.api}/{project_id}/cloudservers/{id}/${name}`,
  };
}

/**
 * The v2 API carries user_data; the v1 API (images without Cloud-Init) cannot, and nothing on such an image would run
 * it. Unchanged user_data is simply not sent on v1; a change refuses the step with the reason.
 */
function sendsUserData(ctx: EcsContext, instance: ObservedInstance, step: ReprovisionStep, api: "v1" | "v2"): boolean {
  if (api === "v2") return true;
  const observed = instance.userDataSha256;
  if (observed.known && observed.value === step.params.userDataSha256) return false;
  throw new ReformError(
    "CLOUD_ERROR",
    `${ctx.name}: image ${step.params.imageId} has no Cloud-Init, so the ${step.kind} uses the v1 API, which cannot set user_data (set cloudInit: always on the provider if the image does have Cloud-Init)`,
  );
}
