import { randomBytes } from "node:crypto";
import type { ApiResponse } from "../http.js";
import { isRecord, readJson } from "../http.js";
import type { OperationKind } from "./lifecycle.js";
import { beginOperation, recordInstanceAction } from "./lifecycle.js";
import { atLeast } from "./microversion.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { findServer, NovaError } from "./nova-common.js";
import { actionView } from "./nova-view.js";
import { noValidHost } from "./scheduler.js";
import {
  checkAllowed,
  checkMetadataQuota,
  invalidInput,
  rebuildFields,
  validateKeyName,
  validateMetadata,
  validateName,
  validateUserData,
  validateUuid,
} from "./nova-validate.js";
import type { ServerState, StageState, VmState, VolumeState } from "./state-types.js";
import { reimageStages } from "./volumes.js";

const ALLOW_HARD_REBOOT_TASKS = [
  null,
  "rebooting",
  "reboot_pending",
  "reboot_started",
  "rebooting_hard",
  "resuming",
  "unpausing",
  "pausing",
  "suspending",
];

/** POST /servers/{id}/action. */
export function serverAction(ctx: NovaContext, call: NovaCall, id: string): ApiResponse {
  const body = readJson(call.req);
  if (!isRecord(body)) throw new NovaError(400, "Malformed request body");
  const name = Object.keys(body)[0] ?? "";
  const args = body[name];
  switch (name) {
    case "rebuild":
      return rebuild(ctx, call, id, args);
    case "reboot":
      return reboot(ctx, call, id, args);
    case "os-stop":
      return powerAction(ctx, call, id, "stop");
    case "os-start":
      return powerAction(ctx, call, id, "start");
    case "lock":
    case "unlock":
      return lockAction(ctx, call, id, name);
    default:
      throw new NovaError(400, `There is no such action: ${name}`);
  }
}

function checkLock(call: NovaCall, server: ServerState): void {
  if (server.locked && !call.principal.isAdmin) throw new NovaError(409, `Instance ${server.id} is locked`);
}

function checkState(
  server: ServerState,
  action: string,
  vmStates: readonly VmState[],
  tasks: readonly (string | null)[],
): void {
  if (!vmStates.includes(server.vmState))
    throw new NovaError(409, `Cannot '${action}' instance ${server.id} while it is in vm_state ${server.vmState}`);
  if (!tasks.includes(server.taskState))
    throw new NovaError(409, `Cannot '${action}' instance ${server.id} while it is in task_state ${server.taskState}`);
}

function record(ctx: NovaContext, call: NovaCall, server: ServerState, action: string): void {
  ctx.stats.actions.push({
    serverId: server.id,
    serverName: server.name,
    action,
    at: ctx.cloud.now(),
    requestId: call.req.requestId,
  });
  ctx.changed();
}

function start(
  ctx: NovaContext,
  call: NovaCall,
  server: ServerState,
  kind: OperationKind,
  extra: { failMessage?: string; previousImageId?: string; rollbackTo?: "active" | "stopped" } = {},
): void {
  beginOperation(server, {
    kind,
    requestId: call.req.requestId,
    userId: call.principal.userId,
    now: ctx.cloud.now(),
    timings: ctx.timings,
    ...extra,
  });
  const flapMs = extra.failMessage === undefined ? (ctx.faults?.flapMs() ?? 0) : 0;
  if (flapMs > 0 && server.operation) addFlap(server.operation.stages, flapMs);
}

/** Injected flapping: after the operation's last stage the status toggles (a reboot task on and off) for `ms`. */
function addFlap(stages: StageState[], ms: number): void {
  const last = stages[stages.length - 1];
  if (!last) return;
  const final = last.kind === "settle" ? last.vmState : "active";
  const step = ms / 4;
  for (let i = 1; i <= 4; i++) {
    stages.push(
      i % 2 === 1
        ? { at: last.at + step * i, kind: "task", task: final === "active" ? "rebooting" : "powering-on" }
        : { at: last.at + step * i, kind: "settle", vmState: final },
    );
  }
}

interface RebuildInput {
  readonly imageId: string;
  readonly name?: string;
  readonly metadata?: Record<string, string>;
  readonly keyName?: string | null;
  readonly userData?: string | null;
  readonly adminPass?: string;
}

function parseRebuild(call: NovaCall, args: unknown): RebuildInput {
  if (!isRecord(args)) throw invalidInput("rebuild", args, `${JSON.stringify(args)} is not of type 'object'`);
  checkAllowed("rebuild", args, rebuildFields(call.version));
  if (!("imageRef" in args)) throw invalidInput("rebuild", args, "'imageRef' is a required property");
  return {
    imageId: validateUuid("imageRef", args.imageRef),
    ...("name" in args ? { name: validateName("name", args.name) } : {}),
    ...("metadata" in args ? { metadata: validateMetadata(args.metadata) } : {}),
    ...("key_name" in args && atLeast(call.version, 54) ? { keyName: validateKeyName(args.key_name, true) } : {}),
    ...("user_data" in args && atLeast(call.version, 57) ? { userData: validateUserData(args.user_data, true) } : {}),
    ...(typeof args.adminPass === "string" ? { adminPass: args.adminPass } : {}),
  };
}

function rebuild(ctx: NovaContext, call: NovaCall, id: string, args: unknown): ApiResponse {
  const input = parseRebuild(call, args);
  const server = findServer(ctx, call, id);
  checkLock(call, server);
  checkState(server, "rebuild", ["active", "stopped", "error"], [null]);
  if (server.launchedAt === null)
    throw new NovaError(409, `Cannot 'rebuild' instance ${id} while it is in launched_at None`);
  const image = ctx.cloud.images.get(input.imageId);
  if (!image) throw new NovaError(400, "Cannot find image for rebuild");
  if (typeof input.keyName === "string" && !ctx.cloud.keypair(call.principal.projectId, input.keyName))
    throw new NovaError(400, "Invalid key_name provided.");
  if (input.metadata) checkMetadataQuota(Object.keys(input.metadata).length);
  const rootVolume = checkVolumes(ctx, call, server, image.id);
  const previousImageId = server.imageId;
  // Nova keeps image_ref "" for a volume-backed server across a rebuild: its image is the root volume's.
  if (rootVolume === undefined) server.imageId = image.id;
  if (input.name !== undefined) ctx.cloud.rename(server, input.name);
  if (input.metadata !== undefined) server.metadata = { ...input.metadata };
  if (input.keyName !== undefined) server.keyPair = input.keyName;
  if (input.userData !== undefined) server.userData = input.userData;
  const failMessage = image.fail ?? noValidHost(image) ?? ctx.faults?.actionFailure();
  const rollbackTo =
    image.fail !== null && image.rollback && (server.vmState === "active" || server.vmState === "stopped")
      ? server.vmState
      : undefined;
  const reimagesVolume = rootVolume !== undefined && atLeast(call.version, 93);
  start(ctx, call, server, "rebuild", {
    previousImageId,
    ...(failMessage !== undefined ? { failMessage } : {}),
    ...(rollbackTo ? { rollbackTo } : {}),
    ...(reimagesVolume ? { reimagesVolume } : {}),
  });
  if (reimagesVolume && rootVolume) {
    rootVolume.stages = reimageStages({
      start: ctx.cloud.now(),
      duration: ctx.timings.rebuild,
      imageId: failMessage === undefined ? image.id : (rootVolume.imageId ?? image.id),
    });
  }
  record(ctx, call, server, "rebuild");
  const adminPass = input.adminPass ?? randomBytes(9).toString("base64url");
  return {
    status: 202,
    headers: { location: `${call.base}/servers/${id}` },
    body: { server: actionView(ctx, call, server, adminPass) },
  };
}

/**
 * A volume-backed server (nova/compute/api.py `rebuild`): below 2.93 another image than the root volume's is refused
 * (400 ImageUnacceptable), and every mapped volume must be in use (400 InvalidVolume). Returns the root volume.
 */
function checkVolumes(ctx: NovaContext, call: NovaCall, server: ServerState, imageId: string): VolumeState | undefined {
  const volumes = ctx.cloud.volumesOf(server.id);
  const root = volumes.find((v) => v.id === server.rootVolumeId);
  if (root && root.imageId !== imageId && !atLeast(call.version, 93)) {
    throw new NovaError(
      400,
      `Image ${imageId} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`,
    );
  }
  for (const volume of volumes) {
    if (volume.status !== "in-use")
      throw new NovaError(
        400,
        `Invalid volume: volume '${volume.id}' status must be 'in-use'. Currently in '${volume.status}' status`,
      );
  }
  return root;
}

function reboot(ctx: NovaContext, call: NovaCall, id: string, args: unknown): ApiResponse {
  const type = isRecord(args) && typeof args.type === "string" ? args.type.toUpperCase() : undefined;
  if (
    !isRecord(args) ||
    (type !== "SOFT" && type !== "HARD") ||
    !["SOFT", "Soft", "soft", "HARD", "Hard", "hard"].includes(args.type as string)
  ) {
    throw invalidInput(
      "type",
      isRecord(args) ? args.type : args,
      "is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
    );
  }
  const server = findServer(ctx, call, id);
  checkLock(call, server);
  if (type === "SOFT") checkState(server, "reboot", ["active"], [null]);
  else checkState(server, "reboot", ["active", "stopped", "error"], ALLOW_HARD_REBOOT_TASKS);
  start(ctx, call, server, type === "SOFT" ? "reboot-soft" : "reboot-hard");
  record(ctx, call, server, "reboot");
  return { status: 202 };
}

function powerAction(ctx: NovaContext, call: NovaCall, id: string, action: "stop" | "start"): ApiResponse {
  const server = findServer(ctx, call, id);
  checkLock(call, server);
  checkState(server, action, action === "stop" ? ["active", "error"] : ["stopped"], [null]);
  start(ctx, call, server, action);
  record(ctx, call, server, action);
  return { status: 202 };
}

function lockAction(ctx: NovaContext, call: NovaCall, id: string, action: "lock" | "unlock"): ApiResponse {
  const server = findServer(ctx, call, id);
  server.locked = action === "lock";
  recordInstanceAction(server, {
    action,
    requestId: call.req.requestId,
    userId: call.principal.userId,
    now: ctx.cloud.now(),
    finished: true,
  });
  record(ctx, call, server, action);
  return { status: 202 };
}
