import type { HuaweiState, HwJob, HwServer } from "./state.js";
import { flapTask, iso, runningJob } from "./state.js";
import { ViewCache } from "../view-cache.js";

/**
 * Status word, task_state and power_state as ECS shows a server: a running job shows as its transitional state, and a
 * server flapping after its job (injected) shows the flap's task in turn with its settled state.
 */
export function states(
  server: HwServer,
  job: HwJob | undefined,
  now: number,
): { status: string; task: string | null; vm: string; power: number } {
  const stable = {
    status: server.status,
    task: null,
    vm: server.status === "ACTIVE" ? "active" : server.status === "SHUTOFF" ? "stopped" : "error",
    power: server.status === "ACTIVE" ? 1 : 4,
  };
  if (!job) {
    const flap = flapTask(server, now);
    return flap ? { ...stable, ...flap } : stable;
  }
  switch (job.effect.kind) {
    case "reinstall":
    case "changeos":
    case "rebuild":
      return { ...stable, status: "REBUILD", task: "rebuilding", power: 4 };
    case "reboot":
      return {
        ...stable,
        status: job.effect.hard ? "HARD_REBOOT" : "REBOOT",
        task: job.effect.hard ? "rebooting_hard" : "rebooting",
      };
    case "stop":
      return { ...stable, task: "powering-off" };
    case "start":
      return { ...stable, task: "powering-on" };
  }
}

/** A server as its document may show it: its scheduling and fault-injection bookkeeping is shown through `states`. */
export type ShownHwServer = Omit<HwServer, HiddenField>;
type HiddenField = "jobId" | "busyUntil" | "failJobs" | "busyFor" | "flap";
export type HwShownStates = ReturnType<typeof states>;

/** Each server's encoded document, kept while the server and the states it shows are unchanged (ViewCache). */
export type HwServerViews = ViewCache<HwServer, HiddenField, HwShownStates>;

export function hwServerViews(): HwServerViews {
  return new ViewCache({
    hidden: ["jobId", "busyUntil", "failJobs", "busyFor", "flap"],
    render: (server, shown) => renderServer(server, shown),
  });
}

/** The server's document as `GET /v1/{project}/cloudservers/{id}` and the list show it. */
export function serverDetail(state: HuaweiState, server: HwServer, now: number): Record<string, unknown> {
  return renderServer(server, states(server, runningJob(state, server, now), now));
}

/** `serverDetail` as UTF-8 JSON bytes followed by a comma (a list entry), kept in `views` while nothing it shows changed. */
export function serverDetailListEntry(views: HwServerViews, state: HuaweiState, server: HwServer, now: number): Buffer {
  return views.listEntry(server, null, states(server, runningJob(state, server, now), now));
}

function renderServer(server: ShownHwServer, s: HwShownStates): Record<string, unknown> {
  return {
    id: server.id,
    name: server.name,
    status: s.status,
    created: server.created,
    updated: server.updated,
    image: { id: server.imageId },
    key_name: server.keyName ?? "",
    metadata: server.metadata,
    locked: false,
    progress: 0,
    tags: [],
    addresses: {
      "vpc-default": [
        {
          addr: `192.168.0.${(parseInt(server.id.slice(0, 2), 16) % 250) + 2}`,
          version: 4,
          "OS-EXT-IPS:type": "fixed",
        },
      ],
    },
    "OS-EXT-STS:vm_state": s.vm,
    "OS-EXT-STS:task_state": s.task,
    "OS-EXT-STS:power_state": s.power,
    "OS-EXT-SRV-ATTR:user_data": server.userData ?? "",
    ...(server.fault ? { fault: { code: 500, message: server.fault, created: server.updated } } : {}),
  };
}

function jobStatus(job: HwJob, now: number): "INIT" | "RUNNING" | "SUCCESS" | "FAIL" {
  if (now >= job.end) return job.failReason === undefined ? "SUCCESS" : "FAIL";
  return now < job.begin + Math.min(50, (job.end - job.begin) / 5) ? "INIT" : "RUNNING";
}

function oneJob(job: HwJob, now: number): Record<string, unknown> {
  const status = jobStatus(job, now);
  const done = status === "SUCCESS" || status === "FAIL";
  return {
    job_id: job.id,
    job_type: job.type,
    status,
    begin_time: new Date(job.begin).toISOString(),
    end_time: done ? new Date(job.end).toISOString() : "",
    error_code: status === "FAIL" ? (job.errorCode ?? "Ecs.0000") : null,
    fail_reason: status === "FAIL" ? (job.failReason ?? "") : null,
    entities: { server_id: job.serverId },
  };
}

/** A job as `GET /v1/{project_id}/jobs/{job_id}` returns it; a batch job carries its sub-jobs. */
export function jobView(state: HuaweiState, jobId: string, now: number): Record<string, unknown> | undefined {
  const job = state.jobs[jobId];
  if (job && job.parentId === undefined) return oneJob(job, now);
  const batch = state.batches[jobId];
  if (!batch) return undefined;
  const subs = batch.subJobIds
    .map((id) => state.jobs[id])
    .filter((j): j is HwJob => j !== undefined)
    .map((j) => oneJob(j, now));
  const statuses = subs.map((s) => s["status"]);
  const status = statuses.every((s) => s === "SUCCESS")
    ? "SUCCESS"
    : statuses.some((s) => s === "INIT" || s === "RUNNING")
      ? "RUNNING"
      : "FAIL";
  const failed = subs.filter((s) => s["status"] === "FAIL");
  return {
    job_id: batch.id,
    job_type: batch.type,
    status,
    begin_time: new Date(batch.begin).toISOString(),
    end_time: status === "RUNNING" ? "" : iso(now),
    error_code: status === "FAIL" ? (failed[0]?.["error_code"] ?? null) : null,
    fail_reason: status === "FAIL" ? failed.map((s) => s["fail_reason"]).join("; ") : null,
    entities: { sub_jobs_total: subs.length, sub_jobs: subs },
  };
}
