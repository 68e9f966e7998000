import { flapShowsTask } from "../faults.js";

/** The emulated Huawei ECS state: plain JSON, persisted with the rest of the world. */

export interface HwCredential {
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface HwImage {
  readonly id: string;
  readonly name: string;
  /** Cloud-Init (or Cloudbase-Init) installed: the v2 reinstall/changeos APIs apply. */
  readonly cloudInit: boolean;
  /** A changeos/reinstall with this image ends in a FAIL job with this fail_reason. */
  readonly fail?: string;
  /** false: a changeos/reinstall to it succeeds, but its servers never pass the health route. @default true */
  readonly healthy?: false;
}

export type HwStatus = "ACTIVE" | "SHUTOFF" | "ERROR";

export interface HwServer {
  readonly id: string;
  name: string;
  status: HwStatus;
  imageId: string;
  keyName: string | null;
  metadata: Record<string, string>;
  /** base64, as sent. */
  userData: string | null;
  readonly created: string;
  updated: string;
  fault?: string;
  /** The running job on this server (ids of HwJob). */
  jobId?: string;
  /** Operations are refused with 400 Ecs.0100 until this time (ms), without a visible status (a console operation). */
  busyUntil?: number;
  /** Every job started on this server ends FAIL with this fail_reason (error code Ecs.0000). */
  failJobs?: string;
  /** A console operation that starts with the first operation attempted on the server and lasts this long (ms): sets `busyUntil` then. */
  busyFor?: number;
  /** Injected flapping after a job's end (see HwFlap); removed once over, or when a new job starts. */
  flap?: HwFlap;
}

/**
 * A server still settling after its job ended SUCCESS (the injected "flap" fault): from `from` for `ms` its status and
 * task toggle between the settled state and `status`/`task` (on in the second and fourth quarters: `flapShowsTask`),
 * `updated` moving at each toggle. While the task shows, the server is busy (Ecs.0100 / 409); a job accepted while it
 * does not ends the flapping.
 */
export interface HwFlap {
  readonly from: number;
  readonly ms: number;
  readonly status: string;
  readonly task: string;
}

export type HwEffect =
  | {
      readonly kind: "reinstall" | "changeos" | "rebuild";
      readonly imageId: string;
      readonly keyName: string | null;
      readonly userData?: string | null;
      readonly metadata?: Record<string, string>;
    }
  | { readonly kind: "reboot"; readonly hard: boolean }
  | { readonly kind: "stop" | "start" };

export interface HwJob {
  readonly id: string;
  readonly type: string;
  readonly serverId: string;
  readonly begin: number;
  readonly end: number;
  readonly effect: HwEffect;
  /** undefined: success. */
  readonly failReason?: string;
  readonly errorCode?: string;
  /** Parent job of a batch action. */
  readonly parentId?: string;
  /** Injected: after the job ends SUCCESS the server flaps for this long (ms). */
  readonly flapMs?: number;
  applied: boolean;
}

export interface HwParentJob {
  readonly id: string;
  readonly type: string;
  readonly begin: number;
  readonly subJobIds: readonly string[];
}

/** The region the world's project is named after when the world names none (the region of examples/huaweicloud.yaml). */
export const DEFAULT_HW_REGION = "ap-southeast-1";

export interface HuaweiState {
  readonly projectId: string;
  /** The IAM project's name: `GET /v3/projects?name=` finds the project under it. Absent in states saved before it existed: DEFAULT_HW_REGION. */
  readonly region?: string;
  readonly userId: string;
  readonly credentials: readonly HwCredential[];
  readonly images: HwImage[];
  readonly keypairs: readonly string[];
  readonly servers: HwServer[];
  readonly jobs: Record<string, HwJob>;
  readonly batches: Record<string, HwParentJob>;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Applies the effects of every job that has ended by `now`, in end order, then moves flapping servers on to `now`. */
export function settle(state: HuaweiState, now: number): void {
  const due = Object.values(state.jobs)
    .filter((j) => !j.applied && j.end <= now)
    .sort((a, b) => a.end - b.end);
  for (const job of due) {
    job.applied = true;
    const server = state.servers.find((s) => s.id === job.serverId);
    if (!server) continue;
    if (server.jobId === job.id) delete server.jobId;
    server.updated = iso(job.end);
    if (job.failReason !== undefined) {
      // A failed reinstall/changeos/rebuild leaves the server stopped (its disk half replaced); failed power actions change nothing.
      if (job.effect.kind === "reinstall" || job.effect.kind === "changeos" || job.effect.kind === "rebuild")
        server.status = "SHUTOFF";
      continue;
    }
    applyEffect(server, job.effect, state.images);
    if (job.flapMs !== undefined && job.flapMs > 0)
      server.flap = { from: job.end, ms: job.flapMs, ...flapShows(job.effect) };
  }
  for (const server of state.servers) if (server.flap) advanceFlap(server, server.flap, now);
}

/** What a server flapping after a job shows while its task is on: the reboot again, or the power task of its end state. */
function flapShows(effect: HwEffect): { status: string; task: string } {
  switch (effect.kind) {
    case "reboot":
      return effect.hard ? { status: "HARD_REBOOT", task: "rebooting_hard" } : { status: "REBOOT", task: "rebooting" };
    case "stop":
      return { status: "SHUTOFF", task: "powering-off" };
    case "start":
    case "reinstall":
    case "changeos":
    case "rebuild":
      return { status: "ACTIVE", task: "powering-on" };
  }
}

/** `updated` is the last toggle's time (ECS writes it at each state change); the flap is dropped once over. */
function advanceFlap(server: HwServer, flap: HwFlap, now: number): void {
  const quarter = flap.ms / 4;
  const toggles = Math.min(4, Math.floor((now - flap.from) / quarter));
  if (toggles > 0) server.updated = iso(flap.from + toggles * quarter);
  if (now >= flap.from + flap.ms) delete server.flap;
}

/** The flap's task while it shows at `now` (the server is then busy), else undefined. */
export function flapTask(server: HwServer, now: number): { status: string; task: string } | undefined {
  const flap = server.flap;
  return flap && flapShowsTask(flap.from, flap.ms, now) ? { status: flap.status, task: flap.task } : undefined;
}

function applyEffect(server: HwServer, effect: HwEffect, images: readonly HwImage[]): void {
  switch (effect.kind) {
    case "reinstall":
    case "changeos":
    case "rebuild": {
      server.imageId = effect.imageId;
      server.keyName = effect.keyName;
      if (effect.userData !== undefined) server.userData = effect.userData;
      if (effect.metadata) server.metadata = { ...systemKeys(server.metadata), ...effect.metadata };
      Object.assign(server.metadata, imageMetadata(images.find((i) => i.id === effect.imageId)));
      server.status = "ACTIVE";
      delete server.fault;
      return;
    }
    case "reboot":
    case "start":
      server.status = "ACTIVE";
      return;
    case "stop":
      server.status = "SHUTOFF";
      return;
  }
}

/** Keys ECS owns and writes itself. */
export const SYSTEM_KEYS = [
  "image_name",
  "metering.image_id",
  "metering.imagetype",
  "os_type",
  "os_bit",
  "charging_mode",
  "virtual_env_type",
] as const;

function systemKeys(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SYSTEM_KEYS) if (metadata[key] !== undefined) out[key] = metadata[key];
  return out;
}

export function imageMetadata(image: HwImage | undefined): Record<string, string> {
  if (!image) return {};
  return {
    image_name: image.name,
    "metering.image_id": image.id,
    "metering.imagetype": "gold",
    os_type: "Linux",
    os_bit: "64",
    charging_mode: "0",
    virtual_env_type: "FusionCompute",
  };
}

/** The job currently running on a server, if any. */
export function runningJob(state: HuaweiState, server: HwServer, now: number): HwJob | undefined {
  const job = server.jobId ? state.jobs[server.jobId] : undefined;
  return job && job.end > now ? job : undefined;
}
