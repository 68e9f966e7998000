import type { Timings } from "../types.js";
import { isoNaive, isoSeconds, nextUpdated } from "./time.js";
import type { InstanceActionState, OperationState, ServerState, StageState, VmState } from "./state-types.js";

/** Nova's `_STATE_MAP` (nova/api/openstack/common.py), for the states the emulator uses. */
export function novaStatus(vmState: VmState, taskState: string | null): string {
  if (taskState !== null && vmState !== "building") {
    if (taskState.startsWith("rebuild")) return "REBUILD";
    if (vmState === "active") {
      if (["rebooting", "reboot_pending", "reboot_started"].includes(taskState)) return "REBOOT";
      if (["rebooting_hard", "reboot_pending_hard", "reboot_started_hard"].includes(taskState)) return "HARD_REBOOT";
    }
  }
  switch (vmState) {
    case "active":
      return "ACTIVE";
    case "building":
      return "BUILD";
    case "stopped":
      return "SHUTOFF";
    case "error":
      return "ERROR";
  }
}

export const EVENT_NAMES: Readonly<Record<string, string>> = {
  create: "compute__do_build_and_run_instance",
  rebuild: "compute_rebuild_instance",
  reboot: "compute_reboot_instance",
  stop: "compute_stop_instance",
  start: "compute_start_instance",
};

export type OperationKind = "build" | "rebuild" | "reboot-soft" | "reboot-hard" | "stop" | "start";

export interface OperationRequest {
  readonly kind: OperationKind;
  readonly requestId: string;
  readonly userId: string;
  readonly now: number;
  readonly timings: Timings;
  /** Rebuild/build: the image ends the operation in ERROR with this message. */
  readonly failMessage?: string;
  /** Rebuild: image_ref to roll back to on failure. */
  readonly previousImageId?: string;
  /** Rebuild: the failure rolls the server back to this vm_state (InstanceFaultRollback) instead of ERROR. */
  readonly rollbackTo?: "active" | "stopped";
  /** Rebuild of a volume-backed server at 2.93+: the root volume is re-imaged, then its block device mapping re-attached. */
  readonly reimagesVolume?: boolean;
}

/** The first task_state and the remaining stages of an operation (Nova sets the first before answering 202). */
function plan(req: OperationRequest, server: ServerState): { task: string; stages: StageState[] } {
  const t = req.now;
  switch (req.kind) {
    case "build": {
      const d = req.timings.build;
      return {
        task: "scheduling",
        stages: [
          { at: t + d / 2, kind: "task", task: "spawning" },
          { at: t + d, kind: "built" },
        ],
      };
    }
    case "rebuild": {
      const d = req.timings.rebuild;
      const thenStop = server.vmState === "stopped" && req.failMessage === undefined;
      const attach: StageState[] =
        req.reimagesVolume === true ? [{ at: t + d * 0.5, kind: "task", task: "rebuild_block_device_mapping" }] : [];
      const stages: StageState[] = [
        ...attach,
        { at: t + d * 0.6, kind: "task", task: "rebuild_spawning" },
        { at: t + d, kind: "rebuilt", thenStop },
      ];
      if (thenStop) stages.push({ at: t + d + req.timings.stop, kind: "settle", vmState: "stopped" });
      return { task: "rebuilding", stages };
    }
    case "reboot-soft":
    case "reboot-hard": {
      const d = req.timings.reboot;
      const hard = req.kind === "reboot-hard";
      const middle = hard ? "reboot_started_hard" : "reboot_pending";
      return {
        task: hard ? "rebooting_hard" : "rebooting",
        stages: [
          { at: t + d / 2, kind: "task", task: middle },
          { at: t + d, kind: "settle", vmState: "active" },
        ],
      };
    }
    case "stop":
      return { task: "powering-off", stages: [{ at: t + req.timings.stop, kind: "settle", vmState: "stopped" }] };
    case "start":
      return { task: "powering-on", stages: [{ at: t + req.timings.start, kind: "settle", vmState: "active" }] };
  }
}

const ACTION_NAMES: Readonly<Record<OperationKind, string>> = {
  build: "create",
  rebuild: "rebuild",
  "reboot-soft": "reboot",
  "reboot-hard": "reboot",
  stop: "stop",
  start: "start",
};

/** Starts an operation: sets its first task_state, records the instance action, keeps the stages for later. */
export function beginOperation(server: ServerState, req: OperationRequest): void {
  const { task, stages } = plan(req, server);
  const action = ACTION_NAMES[req.kind];
  server.taskState = task;
  server.operation = {
    action,
    requestId: req.requestId,
    stages,
    ...(req.previousImageId !== undefined ? { previousImageId: req.previousImageId } : {}),
    ...(req.failMessage !== undefined ? { failMessage: req.failMessage } : {}),
    ...(req.rollbackTo !== undefined ? { rollbackTo: req.rollbackTo } : {}),
  };
  recordInstanceAction(server, { action, requestId: req.requestId, userId: req.userId, now: req.now, finished: false });
  server.updated = nextUpdated(server.updated, req.now);
}

/** A world server that starts mid-operation: its task settles after `busyFor` (never when null). */
export function beginWorldTask(server: ServerState, task: string, busyFor: number | null, now: number): void {
  server.taskState = task;
  const finalVm: VmState =
    task === "powering-off"
      ? "stopped"
      : task === "powering-on" || task.startsWith("reboot") || server.vmState === "error"
        ? "active"
        : server.vmState;
  const stages: StageState[] =
    busyFor === null
      ? []
      : [{ at: now + busyFor, kind: "settle", vmState: finalVm === "building" ? "active" : finalVm }];
  server.operation = {
    action: task.startsWith("rebuild") ? "rebuild" : task.startsWith("reboot") ? "reboot" : "world",
    requestId: "",
    stages,
  };
}

export interface ActionRecordInput {
  readonly action: string;
  readonly requestId: string;
  readonly userId: string;
  readonly now: number;
  /** Synchronous actions (lock, unlock, delete) are finished when recorded. */
  readonly finished: boolean;
}

export function recordInstanceAction(server: ServerState, input: ActionRecordInput): void {
  const time = isoNaive(input.now);
  const event = EVENT_NAMES[input.action] ?? `compute_${input.action}_instance`;
  const action: InstanceActionState = {
    action: input.action,
    requestId: input.requestId,
    userId: input.userId,
    projectId: server.projectId,
    startTime: time,
    message: null,
    updatedAt: time,
    events: input.finished ? [] : [{ event, startTime: time, finishTime: null, result: null }],
  };
  server.actions.push(action);
}

/** Applies every stage whose time has come, in order, each at its own time. Cheap when nothing is due. */
export function advance(server: ServerState, now: number): void {
  const op = server.operation;
  if (!op) return;
  let stage = op.stages[0];
  while (stage && stage.at <= now) {
    op.stages.shift();
    applyStage(server, op, stage);
    server.updated = nextUpdated(server.updated, stage.at);
    if (op.stages.length === 0) finish(server, op, stage.at);
    stage = op.stages[0];
  }
}

function applyStage(server: ServerState, op: OperationState, stage: StageState): void {
  switch (stage.kind) {
    case "task":
      server.taskState = stage.task;
      return;
    case "settle":
      server.vmState = stage.vmState;
      server.taskState = null;
      if (stage.vmState !== "error") server.fault = null;
      server.powerState = stage.vmState === "stopped" ? 4 : 1;
      return;
    case "rebuilt":
    case "built":
      if (op.failMessage !== undefined && op.rollbackTo !== undefined) {
        // Nova's InstanceFaultRollback: back to the earlier state, what the API wrote stays, no fault shown.
        server.vmState = op.rollbackTo;
        server.taskState = null;
        server.powerState = op.rollbackTo === "stopped" ? 4 : 1;
        server.fault = null;
        return;
      }
      if (op.failMessage !== undefined) {
        server.vmState = "error";
        server.taskState = null;
        if (op.previousImageId !== undefined) server.imageId = op.previousImageId;
        server.fault = { code: 500, message: op.failMessage, created: isoSeconds(stage.at) };
        return;
      }
      server.vmState = "active";
      server.taskState = stage.kind === "rebuilt" && stage.thenStop ? "powering-off" : null;
      server.powerState = 1;
      server.launchedAt = isoNaive(stage.at);
      server.fault = null;
      return;
  }
}

function finish(server: ServerState, op: OperationState, at: number): void {
  server.operation = null;
  const action = server.actions.find((a) => a.requestId === op.requestId && op.requestId !== "");
  if (!action) return;
  const failed = op.failMessage !== undefined;
  const time = isoNaive(at);
  action.updatedAt = time;
  if (failed) action.message = "Error";
  for (const event of action.events) {
    event.finishTime = time;
    event.result = failed ? "Error" : "Success";
  }
}
