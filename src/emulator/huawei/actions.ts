import type { CloudFaults } from "../faults.js";
import type { ApiResponse } from "../http.js";
import { isRecord } from "../http.js";
import type { HuaweiState, HwEffect, HwJob, HwServer } from "./state.js";
import { flapTask, runningJob } from "./state.js";

export interface ActionContext {
  readonly state: HuaweiState;
  readonly now: number;
  readonly newId: () => string;
  /** Durations in ms. */
  readonly timings: {
    readonly reinstall: number;
    readonly rebuild: number;
    readonly reboot: number;
    readonly stop: number;
    readonly start: number;
  };
  readonly record: (server: HwServer, action: string) => void;
  /** Seeded job failures (reprovisioning jobs), hangs and flaps (any job). @default none */
  readonly faults?: CloudFaults;
}

/** A job that hangs ends after every test and every user has given up (kept finite for JSON persistence). */
const NEVER = 8_640_000_000_000_000;

/**
 * The injected outcome of a job accepted now: a FAIL (reprovisioning jobs only), a hang, or else perhaps a flap: the job
 * ends SUCCESS on time (the operation is over) and the server goes on toggling for `flapMs` after it.
 */
function injected(
  ctx: ActionContext,
  effect: HwEffect,
  failing: boolean,
): { fail?: string; hangs: boolean; flapMs: number } {
  const reprovisioning = effect.kind === "reinstall" || effect.kind === "changeos" || effect.kind === "rebuild";
  const fail = reprovisioning ? ctx.faults?.actionFailure() : undefined;
  const hangs = ctx.faults?.hangs() ?? false;
  const flapMs = failing || fail !== undefined || hangs ? 0 : (ctx.faults?.flapMs() ?? 0);
  return { ...(fail !== undefined ? { fail } : {}), hangs, flapMs };
}

export function ecsError(status: number, code: string, message: string): ApiResponse {
  return { status, body: { error: { code, message } } };
}

/** 400 Ecs.0100 when the server is mid-operation (Huawei's v1 "busy" is a 400, not a 409). */
export function busyError(ctx: ActionContext, server: HwServer): ApiResponse | undefined {
  if (isBusy(ctx, server)) {
    return ecsError(
      400,
      "Ecs.0100",
      "The ECS status does not meet the requirements of the operation: another operation is in progress.",
    );
  }
  return undefined;
}

/** A job runs on the server, or a console operation does (a pending one starts now: see `HwServer.busyFor`), or a flap shows its task. */
function isBusy(ctx: ActionContext, server: HwServer): boolean {
  if (server.busyFor !== undefined) {
    server.busyUntil = ctx.now + server.busyFor;
    delete server.busyFor;
  }
  const job = runningJob(ctx.state, server, ctx.now) !== undefined;
  return (
    job || (server.busyUntil !== undefined && server.busyUntil > ctx.now) || flapTask(server, ctx.now) !== undefined
  );
}

interface JobSpec {
  readonly type: string;
  readonly effect: HwEffect;
  readonly duration: number;
  /** The job ends FAIL with this fail_reason. */
  readonly fail?: string;
  readonly parentId?: string;
  /** What the action record says (default: the job type), e.g. `reinstallServer withStopServer`. */
  readonly label?: string;
}

function startJob(ctx: ActionContext, server: HwServer, spec: JobSpec): HwJob {
  const { type, effect, duration, parentId } = spec;
  const fault = injected(ctx, effect, spec.fail !== undefined || server.failJobs !== undefined);
  const failure = spec.fail
    ? { failReason: spec.fail, errorCode: "Ecs.0032" }
    : server.failJobs
      ? { failReason: server.failJobs, errorCode: "Ecs.0000" }
      : fault.fail
        ? { failReason: fault.fail, errorCode: "Ecs.0000" }
        : {};
  const flap = fault.flapMs > 0 ? { flapMs: fault.flapMs } : {};
  const job: HwJob = {
    id: ctx.newId(),
    type,
    serverId: server.id,
    begin: ctx.now,
    end: fault.hangs ? NEVER : ctx.now + duration,
    effect,
    applied: false,
    ...failure,
    ...flap,
    ...(parentId ? { parentId } : {}),
  };
  ctx.state.jobs[job.id] = job;
  server.jobId = job.id;
  // A job accepted while a flap's task did not show ends the flapping: the server is this job's now.
  delete server.flap;
  ctx.record(server, spec.label ?? type);
  return job;
}

/** `os-reinstall` / `os-change` of the v1 (no Cloud-Init) or v2 (Cloud-Init) API. */
export function reprovision(
  ctx: ActionContext,
  server: HwServer,
  version: "v1" | "v2",
  kind: "reinstall" | "changeos",
  body: unknown,
): ApiResponse {
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
  const type = kind === "reinstall" ? "reinstallServer" : "changeOS";
  const password = typeof o["adminpass"] === "string" && o["adminpass"] !== "" ? " adminpass" : "";
  const label = `${version} ${type}${o["mode"] === "withStopServer" ? " withStopServer" : ""}${password}`;
  const job = startJob(ctx, server, {
    type,
    effect,
    duration: ctx.timings.reinstall,
    ...(image.fail ? { fail: image.fail } : {}),
    label,
  });
  return { status: 200, body: { job_id: job.id } };
}

function checkOptions(
  ctx: ActionContext,
  server: HwServer,
  o: Record<string, unknown>,
  version: "v1" | "v2",
  cloudInit: boolean,
): ApiResponse | undefined {
  if (server.status === "ERROR") return ecsError(400, "Ecs.0100", "The ECS in ERROR state cannot be reinstalled.");
  if (version === "v2" && !cloudInit) return ecsError(400, "Ecs.0005", "The image has no Cloud-Init: use the v1 API.");
  if (version === "v1" && cloudInit)
    return ecsError(400, "Ecs.0005", "The image has Cloud-Init installed: use the v2 API.");
  const keyname = o["keyname"];
  const adminpass = o["adminpass"];
  const hasKey = typeof keyname === "string" && keyname !== "";
  const hasPass = typeof adminpass === "string" && adminpass !== "";
  if (hasKey && hasPass) return ecsError(400, "Ecs.0005", "adminpass and keyname cannot be both specified.");
  const metadata = isRecord(o["metadata"]) ? o["metadata"] : {};
  if (version === "v1" && metadata["user_data"] !== undefined)
    return ecsError(400, "Ecs.0005", "user_data is not supported by the API for images without Cloud-Init.");
  if (!hasKey && !hasPass && (version === "v1" || typeof metadata["user_data"] !== "string"))
    return ecsError(400, "Ecs.0005", "adminpass and keyname cannot be both empty.");
  if (hasKey && !ctx.state.keypairs.includes(keyname)) return ecsError(400, "Ecs.0314", "The key pair does not exist.");
  if (hasKey && o["userid"] !== ctx.state.userId)
    return ecsError(400, "Ecs.0005", "userid is required with keyname and must be the user's id.");
  if (o["mode"] !== undefined && o["mode"] !== "withStopServer")
    return ecsError(400, "Ecs.0005", "mode must be withStopServer.");
  if (server.status === "ACTIVE" && o["mode"] !== "withStopServer")
    return ecsError(400, "Ecs.0100", "The ECS must be stopped (or use mode withStopServer).");
  return undefined;
}

/** `POST /v1/{p}/cloudservers/action`: os-start, os-stop, reboot for many servers; one job, one sub-job per server. */
export function batchAction(ctx: ActionContext, body: unknown): ApiResponse {
  if (!isRecord(body)) return ecsError(400, "Common.0002", "empty request body");
  const [name] = Object.keys(body);
  const o = name ? body[name] : undefined;
  if ((name !== "os-start" && name !== "os-stop" && name !== "reboot") || !isRecord(o) || !Array.isArray(o["servers"]))
    return ecsError(400, "Ecs.0005", "expected os-start, os-stop or reboot with servers");
  if (name === "reboot" && o["type"] !== "SOFT" && o["type"] !== "HARD")
    return ecsError(400, "Ecs.0005", "reboot.type must be SOFT or HARD");
  const servers: HwServer[] = [];
  for (const entry of o["servers"] as unknown[]) {
    const server = ctx.state.servers.find((s) => isRecord(entry) && s.id === entry["id"]);
    if (!server) return ecsError(404, "Ecs.0114", "The ECS does not exist.");
    const refused = busyError(ctx, server) ?? wrongState(server, name);
    if (refused) return refused;
    servers.push(server);
  }
  const parentId = ctx.newId();
  const effect: HwEffect =
    name === "reboot"
      ? { kind: "reboot", hard: o["type"] === "HARD" }
      : { kind: name === "os-start" ? "start" : "stop" };
  const duration = name === "reboot" ? ctx.timings.reboot : name === "os-start" ? ctx.timings.start : ctx.timings.stop;
  const type = name === "reboot" ? "rebootServer" : name === "os-start" ? "startServer" : "stopServer";
  const subJobIds = servers.map((server) => startJob(ctx, server, { type, effect, duration, parentId }).id);
  ctx.state.batches[parentId] = {
    id: parentId,
    type: `batch${type[0]?.toUpperCase() ?? ""}${type.slice(1)}`,
    begin: ctx.now,
    subJobIds,
  };
  return { status: 200, body: { job_id: parentId } };
}

function wrongState(server: HwServer, action: string): ApiResponse | undefined {
  const need = action === "os-start" ? "SHUTOFF" : "ACTIVE";
  if (action === "os-stop" && server.status === "SHUTOFF") return undefined;
  return server.status === need
    ? undefined
    : ecsError(400, "Ecs.0100", `The ECS status ${server.status} does not meet the requirements of ${action}.`);
}

/** Native `POST /v2.1/{p}/servers/{id}/action` rebuild: 202 with the server, status REBUILD (no job id). */
export function nativeRebuild(ctx: ActionContext, server: HwServer, o: Record<string, unknown>): ApiResponse | HwJob {
  if (server.status === "ERROR")
    return {
      status: 409,
      body: { conflictingRequest: { code: 409, message: "Cannot 'rebuild' instance while it is in vm_state error" } },
    };
  const image = ctx.state.images.find((i) => i.id === o["imageRef"]);
  if (!image) return { status: 400, body: { badRequest: { code: 400, message: "Invalid imageRef provided." } } };
  if (isBusy(ctx, server))
    return {
      status: 409,
      body: {
        conflictingRequest: { code: 409, message: "Cannot 'rebuild' instance while it is in task_state rebuilding" },
      },
    };
  const keyName =
    o["key_name"] === undefined ? server.keyName : typeof o["key_name"] === "string" ? o["key_name"] : null;
  if (keyName !== null && !ctx.state.keypairs.includes(keyName))
    return { status: 400, body: { badRequest: { code: 400, message: `Invalid key_name provided.` } } };
  const metadata = isRecord(o["metadata"])
    ? Object.fromEntries(Object.entries(o["metadata"]).map(([k, v]) => [k, String(v)]))
    : undefined;
  const userData =
    o["user_data"] === undefined ? undefined : typeof o["user_data"] === "string" ? o["user_data"] : null;
  const effect: HwEffect = {
    kind: "rebuild",
    imageId: image.id,
    keyName,
    ...(userData === undefined ? {} : { userData }),
    ...(metadata ? { metadata } : {}),
  };
  return startJob(ctx, server, {
    type: "rebuild",
    effect,
    duration: ctx.timings.rebuild,
    ...(image.fail ? { fail: image.fail } : {}),
  });
}

const conflict = (message: string): ApiResponse => ({
  status: 409,
  body: { conflictingRequest: { code: 409, message } },
});

/** Native `reboot` / `os-start` / `os-stop` (seed 003): 202 without a body, status REBOOT / task powering-* while it runs. */
export function nativePowerAction(
  ctx: ActionContext,
  server: HwServer,
  name: "reboot" | "os-start" | "os-stop",
  o: Record<string, unknown>,
): ApiResponse {
  if (name === "reboot" && o["type"] !== "SOFT" && o["type"] !== "HARD")
    return { status: 400, body: { badRequest: { code: 400, message: "reboot.type must be SOFT or HARD" } } };
  if (isBusy(ctx, server)) return conflict(`Cannot '${name}' instance while another operation is in progress`);
  const need = name === "os-start" ? "SHUTOFF" : "ACTIVE";
  if (server.status !== need && !(name === "reboot" && o["type"] === "HARD" && server.status !== "ERROR"))
    return conflict(`Cannot '${name}' instance while it is in status ${server.status}`);
  const effect: HwEffect =
    name === "reboot"
      ? { kind: "reboot", hard: o["type"] === "HARD" }
      : { kind: name === "os-start" ? "start" : "stop" };
  const duration = name === "reboot" ? ctx.timings.reboot : name === "os-start" ? ctx.timings.start : ctx.timings.stop;
  startJob(ctx, server, {
    type: name === "reboot" ? "rebootServer" : name === "os-start" ? "startServer" : "stopServer",
    effect,
    duration,
    label: `native ${name}`,
  });
  return { status: 202 };
}
