import type { ApiResponse } from "../http.js";
import { isRecord } from "../http.js";
import type { HuaweiState, HwEffect, HwJob, HwServer } from "./state.js";
import { runningJob } from "./state.js";

export interface ActionContext {
  readonly state: HuaweiState;
  readonly now: number;
  readonly newId: () => string;
  /** Durations in ms. */
  readonly timings: { readonly reinstall: number; readonly rebuild: number; readonly reboot: number; readonly stop: number; readonly start: number };
  readonly record: (server: HwServer, action: string) => void;
}

export function ecsError(status: number, code: string, message: string): ApiResponse {
  return { status, body: { error: { code, message } } };
}

/** 400 Ecs.0100 when the server is mid-operation (Huawei's v1 "busy" is a 400, not a 409). */
export function busyError(ctx: ActionContext, server: HwServer): ApiResponse | undefined {
  if (runningJob(ctx.state, server, ctx.now) || (server.busyUntil !== undefined && server.busyUntil > ctx.now)) {
    return ecsError(400, "Ecs.0100", "The ECS status does not meet the requirements of the operation: another operation is in progress.");
  }
  return undefined;
}

function startJob(ctx: ActionContext, server: HwServer, type: string, effect: HwEffect, duration: number, fail?: string, parentId?: string): HwJob {
  const job: HwJob = { id: ctx.newId(), type, serverId: server.id, begin: ctx.now, end: ctx.now + duration, effect, applied: false, ...(fail ? { failReason: fail, errorCode: "Ecs.0032" } : {}), ...(parentId ? { parentId } : {}) };
  ctx.state.jobs[job.id] = job;
  server.jobId = job.id;
  ctx.record(server, type);
  return job;
}

/** `os-reinstall` / `os-change` of the v1 (no Cloud-Init) or v2 (Cloud-Init) API. */
export function reprovision(ctx: ActionContext, server: HwServer, version: "v1" | "v2", kind: "reinstall" | "changeos", body: unknown): ApiResponse {
  const key = kind === "reinstall" ? "os-reinstall" : "os-change";
  const o = isRecord(body) ? body[key] : undefined;
  if (!isRecord(o)) return ecsError(400, "Common.0002", `request body must carry "${key}"`);
  const imageId = kind === "changeos" ? o["imageid"] : server.imageId;
  const image = ctx.state.images.find((i) => i.id === imageId);
  if (typeof imageId !== "string" || !image) return ecsError(400, "Ecs.0031", "The image does not exist.");
  const problem = checkOptions(ctx, server, o, version, image.cloudInit);
  if (problem) return problem;
  const busy = busyError(ctx, server);
  if (busy) return busy;
  const metadata = isRecord(o["metadata"]) ? o["metadata"] : {};
  const userData = typeof metadata["user_data"] === "string" ? metadata["user_data"] : undefined;
  const keyName = typeof o["keyname"] === "string" && o["keyname"] !== "" ? o["keyname"] : null;
  const effect: HwEffect = { kind, imageId: image.id, keyName, ...(userData === undefined ? {} : { userData }) };
  const job = startJob(ctx, server, kind === "reinstall" ? "reinstallServer" : "changeOS", effect, ctx.timings.reinstall, image.fail);
  return { status: 200, body: { job_id: job.id } };
}

function checkOptions(ctx: ActionContext, server: HwServer, o: Record<string, unknown>, version: "v1" | "v2", cloudInit: boolean): ApiResponse | undefined {
  if (server.status === "ERROR") return ecsError(400, "Ecs.0100", "The ECS in ERROR state cannot be reinstalled.");
  if (version === "v2" && !cloudInit) return ecsError(400, "Ecs.0005", "The image has no Cloud-Init: use the v1 API.");
  if (version === "v1" && cloudInit) return ecsError(400, "Ecs.0005", "The image has Cloud-Init installed: use the v2 API.");
  const keyname = o["keyname"];
  const adminpass = o["adminpass"];
  const hasKey = typeof keyname === "string" && keyname !== "";
  const hasPass = typeof adminpass === "string" && adminpass !== "";
  if (hasKey && hasPass) return ecsError(400, "Ecs.0005", "adminpass and keyname cannot be both specified.");
  const metadata = isRecord(o["metadata"]) ? o["metadata"] : {};
  if (version === "v1" && metadata["user_data"] !== undefined) return ecsError(400, "Ecs.0005", "user_data is not supported by the API for images without Cloud-Init.");
  if (!hasKey && !hasPass && (version === "v1" || typeof metadata["user_data"] !== "string")) return ecsError(400, "Ecs.0005", "adminpass and keyname cannot be both empty.");
  if (hasKey && !ctx.state.keypairs.includes(keyname)) return ecsError(400, "Ecs.0314", "The key pair does not exist.");
  if (hasKey && o["userid"] !== ctx.state.userId) return ecsError(400, "Ecs.0005", "userid is required with keyname and must be the user's id.");
  if (o["mode"] !== undefined && o["mode"] !== "withStopServer") return ecsError(400, "Ecs.0005", "mode must be withStopServer.");
  if (server.status === "ACTIVE" && o["mode"] !== "withStopServer") return ecsError(400, "Ecs.0100", "The ECS must be stopped (or use mode withStopServer).");
  return undefined;
}

/** `POST /v1/{p}/cloudservers/action`: os-start, os-stop, reboot for many servers; one job, one sub-job per server. */
export function batchAction(ctx: ActionContext, body: unknown): ApiResponse {
  if (!isRecord(body)) return ecsError(400, "Common.0002", "empty request body");
  const [name] = Object.keys(body);
  const o = name ? body[name] : undefined;
  if ((name !== "os-start" && name !== "os-stop" && name !== "reboot") || !isRecord(o) || !Array.isArray(o["servers"])) return ecsError(400, "Ecs.0005", "expected os-start, os-stop or reboot with servers");
  if (name === "reboot" && o["type"] !== "SOFT" && o["type"] !== "HARD") return ecsError(400, "Ecs.0005", "reboot.type must be SOFT or HARD");
  const servers: HwServer[] = [];
  for (const entry of o["servers"] as unknown[]) {
    const server = ctx.state.servers.find((s) => isRecord(entry) && s.id === entry["id"]);
    if (!server) return ecsError(404, "Ecs.0114", "The ECS does not exist.");
    const refused = busyError(ctx, server) ?? wrongState(server, name);
    if (refused) return refused;
    servers.push(server);
  }
  const parentId = ctx.newId();
  const effect: HwEffect = name === "reboot" ? { kind: "reboot", hard: o["type"] === "HARD" } : { kind: name === "os-start" ? "start" : "stop" };
  const duration = name === "reboot" ? ctx.timings.reboot : name === "os-start" ? ctx.timings.start : ctx.timings.stop;
  const type = name === "reboot" ? "rebootServer" : name === "os-start" ? "startServer" : "stopServer";
  const subJobIds = servers.map((server) => startJob(ctx, server, type, effect, duration, undefined, parentId).id);
  ctx.state.batches[parentId] = { id: parentId, type: `batch${type[0]?.toUpperCase() ?? ""}${type.slice(1)}`, begin: ctx.now, subJobIds };
  return { status: 200, body: { job_id: parentId } };
}

function wrongState(server: HwServer, action: string): ApiResponse | undefined {
  const need = action === "os-start" ? "SHUTOFF" : "ACTIVE";
  if (action === "os-stop" && server.status === "SHUTOFF") return undefined;
  return server.status === need ? undefined : ecsError(400, "Ecs.0100", `The ECS status ${server.status} does not meet the requirements of ${action}.`);
}

/** Native `POST /v2.1/{p}/servers/{id}/action` rebuild: 202 with the server, status REBUILD (no job id). */
export function nativeRebuild(ctx: ActionContext, server: HwServer, o: Record<string, unknown>): ApiResponse | HwJob {
  if (server.status === "ERROR") return { status: 409, body: { conflictingRequest: { code: 409, message: "Cannot 'rebuild' instance while it is in vm_state error" } } };
  const image = ctx.state.images.find((i) => i.id === o["imageRef"]);
  if (!image) return { status: 400, body: { badRequest: { code: 400, message: "Invalid imageRef provided." } } };
  if (runningJob(ctx.state, server, ctx.now) || (server.busyUntil ?? 0) > ctx.now) return { status: 409, body: { conflictingRequest: { code: 409, message: "Cannot 'rebuild' instance while it is in task_state rebuilding" } } };
  const keyName = o["key_name"] === undefined ? server.keyName : typeof o["key_name"] === "string" ? o["key_name"] : null;
  if (keyName !== null && !ctx.state.keypairs.includes(keyName)) return { status: 400, body: { badRequest: { code: 400, message: `Invalid key_name provided.` } } };
  const metadata = isRecord(o["metadata"]) ? Object.fromEntries(Object.entries(o["metadata"]).map(([k, v]) => [k, String(v)])) : undefined;
  const userData = o["user_data"] === undefined ? undefined : typeof o["user_data"] === "string" ? o["user_data"] : null;
  const effect: HwEffect = { kind: "rebuild", imageId: image.id, keyName, ...(userData === undefined ? {} : { userData }), ...(metadata ? { metadata } : {}) };
  return startJob(ctx, server, "rebuild", effect, ctx.timings.rebuild, image.fail);
}
