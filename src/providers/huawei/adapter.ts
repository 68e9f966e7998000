import pLimit from "p-limit";
import type { MetadataTarget, ReprovisionStep, Step } from "../../model/action.js";
import type { Clock } from "../../model/clock.js";
import type { ImageRef } from "../../model/desired.js";
import { CloudError, ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ImageResolution, ListInstancesRequest, OperationHandle, OperationStatus, ProviderAdapter, ProviderCapabilities, StartStepRequest } from "../../model/provider.js";
import { HttpClient } from "../http/client.js";
import type { HttpRequest, HttpResponse } from "../http/types.js";
import type { HuaweiSettings } from "./config.js";
import { resolveSettings } from "./config.js";
import type { EcsServer } from "./normalize.js";
import { normalizeEcsServer, SYSTEM_METADATA_KEYS } from "./normalize.js";
import { HuaweiSigner } from "./sign.js";

export interface HuaweiAdapterOptions {
  readonly name: string;
  /** The fleet provider entry's options (see HuaweiSettings). @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  readonly clock: Clock;
  readonly warn: (message: string) => void;
  /** @default undefined */
  readonly debug?: (line: string) => void;
  /** Jitter source for retries. @default Math.random */
  readonly random?: () => number;
}

/** A busy server (400 Ecs.0100, 501 Ecs.0603) is waited out for at most this long. */
const BUSY_LIMIT_MS = 10 * 60_000;
const JOB_TIMEOUT_MS = 60 * 60_000;

export function createHuaweiAdapter(options: HuaweiAdapterOptions): ProviderAdapter {
  return new HuaweiAdapter(options, resolveSettings(options.name, options.settings ?? {}, options.env));
}

class HuaweiAdapter implements ProviderAdapter {
  readonly name: string;
  readonly type = "huaweicloud" as const;
  readonly pollIntervalMs: number;
  readonly #s: HuaweiSettings;
  readonly #clock: Clock;
  readonly #http: HttpClient;
  readonly #signer: HuaweiSigner;
  readonly #cloudInit = new Map<string, boolean>();

  constructor(options: HuaweiAdapterOptions, settings: HuaweiSettings) {
    this.name = options.name;
    this.#s = settings;
    this.#clock = options.clock;
    this.pollIntervalMs = settings.pollIntervalMs;
    this.#signer = new HuaweiSigner(settings.credentials, settings.projectId, () => options.clock.now());
    const debug = options.debug;
    this.#http = new HttpClient({
      provider: options.name,
      clock: options.clock,
      ...(options.random ? { random: options.random } : {}),
      requestIdHeaders: ["x-request-id"],
      ...(debug ? { onExchange: (e) => debug(`${e.method} ${e.url} ${e.status ?? e.error ?? ""} ${e.ms}ms${e.requestId ? ` [${e.requestId}]` : ""}`) } : {}),
    });
  }

  #call(req: Omit<HttpRequest, "signer">, signal: AbortSignal): Promise<HttpResponse> {
    return this.#http.request({ ...req, signer: this.#signer, signal });
  }

  #ecs(path: string): string {
    return `${this.#s.ecsEndpoint}${path.replace("{p}", this.#s.projectId)}`;
  }

  capabilities(): Promise<ProviderCapabilities> {
    const native = this.#s.imageChange === "rebuild";
    return Promise.resolve({
      imageChangeStep: native ? "rebuild" : "changeos",
      sameImageStep: "reinstall",
      reprovisionSetsKeyPair: true,
      reprovisionSetsUserData: true,
      reprovisionRemovesKeyPair: false,
      reprovisionSetsMetadata: false,
      reprovisionRequiresStopped: false,
      reprovisionLeavesStopped: false,
      reprovisionStartsStopped: true,
      reprovisionNeedsPassword: false,
      metadataUpdate: true,
      metadataUpdateInError: false,
      reprovisionInError: false,
      readsUserData: false,
      systemMetadataKeys: SYSTEM_METADATA_KEYS,
      rebootTypes: ["SOFT", "HARD"],
      softRebootRequiresRunning: true,
      maxMetadataValueLength: 255,
      description: `Huawei ECS ${this.#s.region}: ${native ? "native v2.1 rebuild" : "changeos"} for images, reinstallos for key pair/user_data (v2 API for Cloud-Init images, v1 without; cloudInit: ${this.#s.cloudInit}), withStopServer for running servers`,
    });
  }

  async resolveImages(refs: readonly ImageRef[], signal: AbortSignal): Promise<readonly ImageResolution[]> {
    const out: ImageResolution[] = [];
    for (const ref of refs) {
      const query = "id" in ref ? { id: ref.id } : { name: ref.name };
      const res = await this.#call({ method: "GET", url: `${this.#s.imsEndpoint}/v2/cloudimages`, query, operation: "GET /v2/cloudimages" }, signal);
      const images = ((res.json as { images?: Record<string, unknown>[] } | undefined)?.images ?? []).filter((i) => typeof i["id"] === "string");
      const what = "id" in ref ? `id ${ref.id}` : `name ${ref.name}`;
      if (images.length !== 1) {
        out.push({ ref, result: { type: "error", message: images.length === 0 ? `no image with ${what}` : `image ${what} is ambiguous (${images.length} images)` } });
        continue;
      }
      const image = images[0]!;
      const properties = Object.fromEntries(Object.entries(image).filter(([, v]) => typeof v === "string").map(([k, v]) => [k, v as string]));
      this.#cloudInit.set(String(image["id"]), properties["__support_cloudinit"] !== "false");
      out.push({ ref, result: { type: "found", id: String(image["id"]), name: String(image["name"] ?? ""), properties } });
    }
    return out;
  }

  async listInstances(req: ListInstancesRequest, signal: AbortSignal): Promise<readonly ObservedInstance[]> {
    const ids = req.selectors.flatMap((s) => ("id" in s ? [s.id] : []));
    const servers = ids.length === req.selectors.length && ids.length > 0 ? await this.#byIds(ids, signal) : await this.#allServers(signal);
    const names = new Set(req.selectors.flatMap((s) => ("name" in s ? [s.name] : [])));
    const wanted = (s: EcsServer) => req.selectors.length === 0 || ids.includes(s.id) || names.has(s.name ?? "");
    return servers.filter((s) => s.status !== undefined && s.status !== "DELETED" && wanted(s)).map((s) => normalizeEcsServer(s, this.name));
  }

  /** Every server, 100 per page; `offset` is a page number. */
  async #allServers(signal: AbortSignal): Promise<EcsServer[]> {
    const all: EcsServer[] = [];
    for (let page = 1; ; page++) {
      const res = await this.#call({ method: "GET", url: this.#ecs("/v1/{p}/cloudservers/detail"), query: { offset: page, limit: 100 }, operation: "GET /v1/{project_id}/cloudservers/detail" }, signal);
      const body = res.json as { count?: number; servers?: EcsServer[] } | undefined;
      const servers = body?.servers ?? [];
      all.push(...servers);
      if (servers.length < 100 || all.length >= (body?.count ?? 0)) return all;
    }
  }

  /** Servers by repeated `server_id`, 100 per call. */
  async #byIds(ids: readonly string[], signal: AbortSignal): Promise<EcsServer[]> {
    const all: EcsServer[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const res = await this.#call({ method: "GET", url: this.#ecs("/v1/{p}/cloudservers/detail"), query: { server_id: ids.slice(i, i + 100), limit: 100 }, operation: "GET /v1/{project_id}/cloudservers/detail" }, signal);
      all.push(...((res.json as { servers?: EcsServer[] } | undefined)?.servers ?? []));
    }
    return all;
  }

  async startStep(req: StartStepRequest, signal: AbortSignal): Promise<OperationHandle> {
    const { instance, step } = req;
    const startedAt = this.#clock.now();
    const base = { instanceId: instance.id, step: step.kind, startedAt, baseline: { updatedAt: instance.updatedAt, status: instance.rawStatus } };
    if (step.kind === "update-metadata" || (step.kind === "reboot" && step.params.metadata)) {
      const metadata = step.kind === "update-metadata" ? step.params.metadata : step.params.metadata!;
      const requestId = await this.#whenNotBusy(() => this.#writeMetadata(instance.id, metadata, signal), signal);
      if (step.kind === "update-metadata") return { ...base, ...(requestId ? { requestId } : {}), synchronous: true };
    }
    const request = await this.#stepRequest(instance, step, req.inputs.userData, req.inputs.password?.reveal());
    const res = await this.#whenNotBusy(() => this.#call(request, signal), signal);
    const jobId = (res.json as { job_id?: unknown } | undefined)?.job_id;
    return { ...base, ...(res.requestId ? { requestId: res.requestId } : {}), ...(typeof jobId === "string" ? { jobId } : {}), synchronous: false };
  }

  async #stepRequest(instance: ObservedInstance, step: Step, userData: string | null | undefined, password: string | undefined): Promise<Omit<HttpRequest, "signer">> {
    switch (step.kind) {
      case "reboot":
        return this.#batch("reboot", { type: step.params.type, servers: [{ id: instance.id }] });
      case "stop":
        return this.#batch("os-stop", { type: "SOFT", servers: [{ id: instance.id }] });
      case "start":
        return this.#batch("os-start", { servers: [{ id: instance.id }] });
      case "rebuild": {
        const p = step.params;
        const rebuild: Record<string, unknown> = { imageRef: p.imageId, metadata: p.metadata.full };
        if (p.keyPair !== undefined) rebuild["key_name"] = p.keyPair;
        if (p.userDataSha256 !== undefined) rebuild["user_data"] = p.userDataSha256 === null ? null : Buffer.from(userData ?? "", "utf8").toString("base64");
        return { method: "POST", url: this.#ecs(`/v2.1/{p}/servers/${encodeURIComponent(instance.id)}/action`), headers: { "X-OpenStack-Nova-API-Version": "2.57" }, json: { rebuild }, operation: "POST /v2.1/{project_id}/servers/{id}/action rebuild" };
      }
      case "reinstall":
      case "changeos":
        return this.#reprovisionRequest(instance, step, userData, password);
      case "update-metadata":
        throw new TypeError("update-metadata is not an ECS action");
    }
  }

  #batch(action: string, body: Record<string, unknown>): Omit<HttpRequest, "signer"> {
    return { method: "POST", url: this.#ecs("/v1/{p}/cloudservers/action"), json: { [action]: body }, operation: `POST /v1/{project_id}/cloudservers/action ${action}` };
  }

  async #reprovisionRequest(instance: ObservedInstance, step: ReprovisionStep, userData: string | null | undefined, password: string | undefined): Promise<Omit<HttpRequest, "signer">> {
    const p = step.params;
    const version = (await this.#hasCloudInit(p.imageId)) ? "v2" : "v1";
    const keyname = p.keyPair === undefined ? instance.keyPair : p.keyPair;
    const body: Record<string, unknown> = {};
    if (keyname) {
      if (!this.#s.userId) throw new ReformError("CLOUD_ERROR", `${this.name}: a ${step.kind} with key pair ${keyname} needs the IAM user id: set userId in the provider or HW_USER_ID`);
      Object.assign(body, { keyname, userid: this.#s.userId });
    } else if (password !== undefined) body["adminpass"] = password;
    if (step.kind === "changeos") body["imageid"] = p.imageId;
    if (instance.power !== "stopped") body["mode"] = "withStopServer";
    if (typeof p.userDataSha256 === "string") {
      if (version === "v1") throw new ReformError("CLOUD_ERROR", `${this.name}: image ${p.imageId} has no Cloud-Init (v1 ${step.kind} API): user_data cannot be set`);
      body["metadata"] = { user_data: Buffer.from(userData ?? "", "utf8").toString("base64") };
    }
    const name = step.kind === "reinstall" ? "reinstallos" : "changeos";
    return { method: "POST", url: this.#ecs(`/${version}/{p}/cloudservers/${encodeURIComponent(instance.id)}/${name}`), json: { [step.kind === "reinstall" ? "os-reinstall" : "os-change"]: body }, operation: `POST /${version}/{project_id}/cloudservers/{id}/${name}` };
  }

  async #hasCloudInit(imageId: string): Promise<boolean> {
    if (this.#s.cloudInit !== "auto") return this.#s.cloudInit === "always";
    if (!this.#cloudInit.has(imageId)) await this.resolveImages([{ id: imageId }], new AbortController().signal);
    return this.#cloudInit.get(imageId) ?? true;
  }

  async #writeMetadata(id: string, target: MetadataTarget, signal: AbortSignal): Promise<string | undefined> {
    let requestId: string | undefined;
    const base = `/v1/{p}/cloudservers/${encodeURIComponent(id)}/metadata`;
    if (Object.keys(target.set).length > 0) requestId = (await this.#call({ method: "POST", url: this.#ecs(base), json: { metadata: target.set }, idempotent: true, operation: "POST /v1/{project_id}/cloudservers/{id}/metadata" }, signal)).requestId;
    for (const key of target.remove) await this.#call({ method: "DELETE", url: this.#ecs(`${base}/${encodeURIComponent(key)}`), idempotent: true, accept: [404], operation: "DELETE /v1/{project_id}/cloudservers/{id}/metadata/{key}" }, signal);
    return requestId;
  }

  /** Waits out 400 Ecs.0100 / 501 Ecs.0603 (the cloud refused, so re-sending is safe), with backoff, bounded. */
  async #whenNotBusy<T>(send: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const started = this.#clock.now();
    for (let retry = 0; ; retry++) {
      try {
        return await send();
      } catch (error) {
        const busy = error instanceof CloudError && (error.details.cloudCode === "Ecs.0100" || error.details.cloudCode === "Ecs.0603") && !/ERROR/.test(error.details.cloudMessage);
        const delay = Math.min(30_000, this.pollIntervalMs * 2 ** Math.min(retry, 10));
        if (!busy || this.#clock.now() + delay - started > BUSY_LIMIT_MS) throw error;
        await this.#clock.sleep(delay, signal);
      }
    }
  }

  async pollOperations(handles: readonly OperationHandle[], signal: AbortSignal): Promise<readonly OperationStatus[]> {
    if (handles.length === 0) return [];
    const limit = pLimit(8);
    const jobs = await Promise.all(handles.map((h) => limit(async () => (h.jobId ? this.#job(h.jobId, signal) : undefined))));
    const servers = new Map((await this.#byIds([...new Set(handles.map((h) => h.instanceId))], signal)).map((s) => [s.id, s]));
    return handles.map((handle, i) => this.#decide(handle, jobs[i], servers.get(handle.instanceId)));
  }

  async #job(jobId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.#call({ method: "GET", url: this.#ecs(`/v1/{p}/jobs/${encodeURIComponent(jobId)}`), operation: "GET /v1/{project_id}/jobs/{job_id}" }, signal);
    return (res.json ?? {}) as Record<string, unknown>;
  }

  #decide(handle: OperationHandle, job: Record<string, unknown> | undefined, server: EcsServer | undefined): OperationStatus {
    const rid = handle.requestId ? { requestId: handle.requestId } : {};
    if (!server || server.status === undefined) return { type: "failed", handle, message: `server ${handle.instanceId} no longer exists`, ...rid };
    const instance = normalizeEcsServer(server, this.name);
    if (handle.synchronous) return { type: "done", handle, instance };
    if (this.#clock.now() - handle.startedAt > JOB_TIMEOUT_MS) return { type: "failed", handle, message: `timed out after ${JOB_TIMEOUT_MS / 60_000} min (job ${handle.jobId ?? "none"})`, ...rid };
    if (job) {
      const status = String(job["status"] ?? "");
      if (status === "FAIL") return { type: "failed", handle, message: `job ${handle.jobId ?? ""} failed: ${failReason(job)}`, ...rid };
      if (status !== "SUCCESS") return { type: "running", handle, status: `job ${status || "?"}` };
    } else if (instance.updatedAt === handle.baseline.updatedAt) return { type: "running", handle, status: `${instance.rawStatus} (no change seen yet)` };
    if (instance.task !== null || (instance.status !== "active" && instance.status !== "stopped")) {
      return instance.status === "error" ? { type: "failed", handle, message: instance.fault?.message ?? "server went to ERROR", ...rid } : { type: "running", handle, status: `${instance.rawStatus}${instance.task ? `/${instance.task}` : ""}` };
    }
    return { type: "done", handle, instance };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}

/** fail_reason and error_code of a job and of its failed sub-jobs. */
function failReason(job: Record<string, unknown>): string {
  const own = [job["error_code"], job["fail_reason"]].filter((v) => typeof v === "string" && v !== "").join(" ");
  const entities = job["entities"] as { sub_jobs?: Record<string, unknown>[] } | undefined;
  const subs = (entities?.sub_jobs ?? []).filter((s) => s["status"] === "FAIL").map((s) => String(s["fail_reason"] ?? ""));
  return [own, ...subs].filter((t) => t !== "").join("; ") || "no fail_reason given";
}
