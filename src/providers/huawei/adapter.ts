import pLimit from "p-limit";
import type { MetadataTarget } from "../../model/action.js";
import type { Clock } from "../../model/clock.js";
import type { ProviderRuntime } from "../../model/provider.js";
import type { ImageRef } from "../../model/desired.js";
import { AmbiguousError, CloudError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import { isStable } from "../../model/observed.js";
import type { OperationHandle, OperationObservation, OperationQuery, OperationRules } from "../../model/operation.js";
import type {
  ImageResolution,
  ListInstancesRequest,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderEndpoint,
  ReprovisionVariant,
  ReprovisionVariants,
  StartStepRequest,
} from "../../model/provider.js";
import { chosenByFleet } from "../../model/provider.js";
import { HttpClient } from "../http/client.js";
import type { HttpResponse } from "../http/types.js";
import type { EcsContext, EcsRequest } from "./ecs.js";
import { ecsUrl, keypairNames, keypairsRequest, stepRequest } from "./ecs.js";
import { projectIdFrom, projectsRequest } from "./iam.js";
import { jobOutcome } from "./jobs.js";
import type { HuaweiSettings } from "./config.js";
import { resolveSettings } from "./config.js";
import { huaweiHint } from "./hints.js";
import type { EcsServer } from "./normalize.js";
import { normalizeEcsServer, SYSTEM_METADATA_KEYS } from "./normalize.js";
import { HuaweiSigner } from "./sign.js";

export interface HuaweiAdapterOptions extends ProviderRuntime {
  readonly name: string;
  /** The fleet provider entry's options (see HuaweiSettings). @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Jitter source for retries. @default Math.random */
  readonly random?: () => number;
}

/** Servers per page of `/cloudservers/detail`: the API's largest page (1000), as for Nova. */
const PAGE_SIZE = 1000;
/** `server_id` filters per bulk read: the API takes about 100. */
const IDS_PER_READ = 100;

/** What every ECS and IMS call needs once the project id is known: the request context and the signer sending X-Project-Id. */
interface Project {
  readonly ctx: EcsContext;
  readonly signer: HuaweiSigner;
}

export function createHuaweiAdapter(options: HuaweiAdapterOptions): ProviderAdapter {
  return new HuaweiAdapter(options, resolveSettings(options.name, options.settings ?? {}, options.env));
}

class HuaweiAdapter implements ProviderAdapter {
  readonly name: string;
  readonly type = "huaweicloud" as const;
  readonly pollIntervalMs: number;
  readonly operationRules: OperationRules;
  readonly #s: HuaweiSettings;
  /** The provider's options as the fleet file wrote them (to say who chose an endpoint). */
  readonly #written: Readonly<Record<string, unknown>>;
  readonly #clock: Clock;
  readonly #http: HttpClient;
  /** Image id → the image supports Cloud-Init, from every image resolved. */
  readonly #cloudInit = new Map<string, boolean>();
  /** The project: at once when configured, else from IAM on the first call that needs it (shared by concurrent callers; forgotten if it fails). */
  #project: Promise<Project> | undefined;

  constructor(options: HuaweiAdapterOptions, settings: HuaweiSettings) {
    this.name = options.name;
    this.#s = settings;
    this.#written = options.settings ?? {};
    this.#clock = options.clock;
    this.pollIntervalMs = settings.pollIntervalMs;
    this.operationRules = { settleMs: settings.settleMs, maxMs: settings.jobTimeoutMs };
    if (settings.projectId) this.#project = Promise.resolve(this.#projectWith(settings.projectId));
    const debug = options.debug;
    this.#http = new HttpClient({
      provider: options.name,
      clock: options.clock,
      ...(options.random ? { random: options.random } : {}),
      requestIdHeaders: ["x-request-id"],
      hint: huaweiHint(settings),
      ...(debug
        ? {
            onExchange: (e) =>
              debug(
                `${e.method} ${e.url} ${e.status ?? e.error ?? ""} ${e.ms}ms${e.requestId ? ` [${e.requestId}]` : ""}`,
              ),
          }
        : {}),
    });
  }

  /** An ECS or IMS call, signed with X-Project-Id; `build` gets the context holding the project id for the path. */
  async #call(build: EcsRequest | ((ctx: EcsContext) => EcsRequest), signal: AbortSignal): Promise<HttpResponse> {
    const { ctx, signer } = await this.#projectFor(signal);
    return this.#http.request({ ...(typeof build === "function" ? build(ctx) : build), signer, signal });
  }

  #projectFor(signal: AbortSignal): Promise<Project> {
    this.#project ??= this.#lookUpProject(signal).catch((error: unknown) => {
      this.#project = undefined;
      throw error;
    });
    return this.#project;
  }

  /** No project id configured: IAM's project named after the region, as the official SDK does (HttpClient retries the GET). */
  async #lookUpProject(signal: AbortSignal): Promise<Project> {
    const signer = new HuaweiSigner(this.#s.credentials, undefined, () => this.#clock.now());
    const res = await this.#http.request({ ...projectsRequest(this.#s.iamEndpoint, this.#s.region), signer, signal });
    return this.#projectWith(projectIdFrom(this.name, this.#s.region, res.json));
  }

  #projectWith(projectId: string): Project {
    const ctx: EcsContext = {
      name: this.name,
      endpoint: this.#s.ecsEndpoint,
      projectId,
      ...(this.#s.userId ? { userId: this.#s.userId } : {}),
    };
    return { ctx, signer: new HuaweiSigner(this.#s.credentials, projectId, () => this.#clock.now()) };
  }

  endpoints(): readonly ProviderEndpoint[] {
    const chosen = (key: string) => chosenByFleet(this.#written, key);
    const byRegion = `default for region ${this.#s.region}`;
    return [
      { service: "ecs", url: this.#s.ecsEndpoint, source: chosen("endpoint") ?? byRegion },
      { service: "ims", url: this.#s.imsEndpoint, source: chosen("endpoint") ?? byRegion },
      ...(this.#s.projectId
        ? []
        : [
            {
              service: "iam",
              url: this.#s.iamEndpoint,
              source: chosen("iamEndpoint") ?? chosen("endpoint") ?? "default",
            },
          ]),
    ];
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
      description: `Huawei ECS ${this.#s.region}: image change by ${native ? "the native v2.1 rebuild (imageChange: rebuild)" : "changeos"}, key pair/user_data by reinstallos; ${cloudInitRule(this.#s.cloudInit)}; running servers with mode withStopServer`,
      reprovisionVariants: cloudInitVariants(this.#s.cloudInit),
      keyPairsOfCaller: true,
    });
  }

  async resolveImages(refs: readonly ImageRef[], signal: AbortSignal): Promise<readonly ImageResolution[]> {
    const out: ImageResolution[] = [];
    for (const ref of refs) {
      const query = "id" in ref ? { id: ref.id } : { name: ref.name };
      const res = await this.#call(
        { method: "GET", url: `${this.#s.imsEndpoint}/v2/cloudimages`, query, operation: "GET /v2/cloudimages" },
        signal,
      );
      const images = ((res.json as { images?: Record<string, unknown>[] } | undefined)?.images ?? []).filter(
        (i) => typeof i["id"] === "string",
      );
      const what = "id" in ref ? `id ${ref.id}` : `name ${ref.name}`;
      if (images.length > 1) {
        out.push({ ref, result: { type: "error", message: `image ${what} is ambiguous (${images.length} images)` } });
        continue;
      }
      if (images.length === 0) {
        out.push({
          ref,
          result: {
            type: "error",
            message: `no image with ${what}`,
            ...("name" in ref ? { known: await this.#imageNames(signal) } : {}),
          },
        });
        continue;
      }
      const image = images[0]!;
      const properties = Object.fromEntries(
        Object.entries(image)
          .filter(([, v]) => typeof v === "string")
          .map(([k, v]) => [k, v as string]),
      );
      this.#cloudInit.set(String(image["id"]), properties["__support_cloudinit"] !== "false");
      out.push({
        ref,
        result: { type: "found", id: String(image["id"]), name: String(image["name"] ?? ""), properties },
      });
    }
    return out;
  }

  /** `GET /v2.1/{project_id}/os-keypairs` (the native API; not paginated): the caller's key pairs. */
  async findKeyPairs(names: readonly string[], signal: AbortSignal): Promise<ReadonlySet<string>> {
    if (names.length === 0) return new Set();
    const listed = new Set(await this.keyPairNames(signal));
    return new Set(names.filter((n) => listed.has(n)));
  }

  async keyPairNames(signal: AbortSignal): Promise<readonly string[]> {
    return [...keypairNames((await this.#call((ctx) => keypairsRequest(ctx), signal)).json)];
  }

  /** Names of the images IMS lists, one page: what a name not found is compared with for a suggestion. */
  async #imageNames(signal: AbortSignal): Promise<string[]> {
    const res = await this.#call(
      {
        method: "GET",
        url: `${this.#s.imsEndpoint}/v2/cloudimages`,
        query: { limit: 1000 },
        operation: "GET /v2/cloudimages",
      },
      signal,
    );
    const images = (res.json as { images?: Record<string, unknown>[] } | undefined)?.images ?? [];
    return [...new Set(images.flatMap((i) => (typeof i["name"] === "string" && i["name"] !== "" ? [i["name"]] : [])))];
  }

  async listInstances(req: ListInstancesRequest, signal: AbortSignal): Promise<readonly ObservedInstance[]> {
    const ids = req.selectors.flatMap((s) => ("id" in s ? [s.id] : []));
    const names = new Set(req.selectors.flatMap((s) => ("name" in s ? [s.name] : [])));
    const wanted = (s: EcsServer) => req.selectors.length === 0 || ids.includes(s.id) || names.has(s.name ?? "");
    const instances: ObservedInstance[] = [];
    const digest = (page: readonly EcsServer[]) => {
      const observed = page
        .filter((s) => s.status !== undefined && s.status !== "DELETED" && wanted(s))
        .map((s) => normalizeEcsServer(s, this.name));
      for (const instance of observed) instances.push(instance);
      req.onPage?.(observed);
    };
    if (ids.length === req.selectors.length && ids.length > 0) digest(await this.#byIds(ids, signal));
    else await this.#allServers(signal, digest);
    return instances;
  }

  /** Every server, PAGE_SIZE per page (`offset` is a page number), each page given to `visit` as it arrives. */
  async #allServers(signal: AbortSignal, visit: (page: readonly EcsServer[]) => void): Promise<void> {
    let read = 0;
    for (let page = 1; ; page++) {
      const res = await this.#call(
        (ctx) => ({
          method: "GET",
          url: ecsUrl(ctx, "/v1/{p}/cloudservers/detail"),
          query: { offset: page, limit: PAGE_SIZE },
          operation: "GET /v1/{project_id}/cloudservers/detail",
        }),
        signal,
      );
      const body = res.json as { count?: number; servers?: EcsServer[] } | undefined;
      const servers = body?.servers ?? [];
      read += servers.length;
      visit(servers);
      if (servers.length < PAGE_SIZE || read >= (body?.count ?? 0)) return;
    }
  }

  /** Servers by repeated `server_id`, 100 per call. */
  async #byIds(ids: readonly string[], signal: AbortSignal): Promise<EcsServer[]> {
    const all: EcsServer[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const res = await this.#call(
        (ctx) => ({
          method: "GET",
          url: ecsUrl(ctx, "/v1/{p}/cloudservers/detail"),
          query: { server_id: ids.slice(i, i + IDS_PER_READ), limit: IDS_PER_READ },
          operation: "GET /v1/{project_id}/cloudservers/detail",
        }),
        signal,
      );
      all.push(...((res.json as { servers?: EcsServer[] } | undefined)?.servers ?? []));
    }
    return all;
  }

  async startStep(req: StartStepRequest, signal: AbortSignal): Promise<OperationHandle> {
    const { instance, step } = req;
    const startedAt = this.#clock.now();
    const base = {
      instanceId: instance.id,
      step: step.kind,
      startedAt,
      baseline: { updatedAt: instance.updatedAt, status: instance.rawStatus },
    };
    if (step.kind === "update-metadata" || (step.kind === "reboot" && step.params.metadata)) {
      const metadata = step.kind === "update-metadata" ? step.params.metadata : step.params.metadata!;
      const requestId = await this.#whenNotBusy(
        instance,
        () => this.#writeMetadata(instance.id, metadata, signal),
        signal,
      );
      if (step.kind === "update-metadata") return { ...base, ...(requestId ? { requestId } : {}), synchronous: true };
    }
    const api =
      step.kind === "reinstall" || step.kind === "changeos"
        ? await this.#apiFor(step.params.imageId, step.params.variant, signal)
        : "v2";
    const { ctx } = await this.#projectFor(signal);
    const request = stepRequest(ctx, instance, step, {
      userData: req.inputs.userData,
      password: req.inputs.password?.reveal(),
      api,
    });
    let res: HttpResponse;
    try {
      res = await this.#whenNotBusy(instance, () => this.#call(request, signal), signal);
    } catch (error) {
      // No answer (or a 5xx) to a mutation: it may have been taken. Never sent again blindly; the server read once
      // decides. Taken: followed by the server's state alone (the job id was in the lost answer).
      if (!(error instanceof AmbiguousError) && !(error instanceof CloudError && (error.details.status ?? 0) >= 500))
        throw error;
      const [now] = await this.#byIds([instance.id], signal).catch(() => []);
      if (!now || !showsStarted(now, instance.updatedAt)) throw error;
      const requestId = error instanceof CloudError ? error.details.requestId : undefined;
      return { ...base, ...(requestId ? { requestId } : {}), synchronous: false };
    }
    const jobId = (res.json as { job_id?: unknown } | undefined)?.job_id;
    return {
      ...base,
      ...(res.requestId ? { requestId: res.requestId } : {}),
      ...(typeof jobId === "string" ? { jobId } : {}),
      synchronous: false,
    };
  }

  /** v2 (Cloud-Init) or v1: as planned (`variant`), else from the config, else from the image's `__support_cloudinit` (v2 when absent). */
  async #apiFor(imageId: string, planned: string | undefined, signal: AbortSignal): Promise<"v1" | "v2"> {
    if (planned === "v1" || planned === "v2") return planned;
    if (this.#s.cloudInit !== "auto") return this.#s.cloudInit === "always" ? "v2" : "v1";
    if (!this.#cloudInit.has(imageId)) await this.resolveImages([{ id: imageId }], signal);
    return this.#cloudInit.get(imageId) === false ? "v1" : "v2";
  }

  async #writeMetadata(id: string, target: MetadataTarget, signal: AbortSignal): Promise<string | undefined> {
    let requestId: string | undefined;
    const base = `/v1/{p}/cloudservers/${encodeURIComponent(id)}/metadata`;
    if (Object.keys(target.set).length > 0)
      requestId = (
        await this.#call(
          (ctx) => ({
            method: "POST",
            url: ecsUrl(ctx, base),
            json: { metadata: target.set },
            idempotent: true,
            operation: "POST /v1/{project_id}/cloudservers/{id}/metadata",
          }),
          signal,
        )
      ).requestId;
    for (const key of target.remove)
      await this.#call(
        (ctx) => ({
          method: "DELETE",
          url: ecsUrl(ctx, `${base}/${encodeURIComponent(key)}`),
          idempotent: true,
          accept: [404],
          operation: "DELETE /v1/{project_id}/cloudservers/{id}/metadata/{key}",
        }),
        signal,
      );
    return requestId;
  }

  /**
   * Waits out a busy server (400 Ecs.0100, 501 Ecs.0603: the cloud refused, so sending again is safe) with backoff,
   * for at most `busyTimeoutMs`. A server in ERROR is not busy: Ecs.0100 there is final.
   */
  async #whenNotBusy<T>(instance: ObservedInstance, send: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const started = this.#clock.now();
    for (let retry = 0; ; retry++) {
      try {
        return await send();
      } catch (error) {
        const code = error instanceof CloudError ? error.details.cloudCode : undefined;
        const busy = (code === "Ecs.0100" || code === "Ecs.0603") && instance.status !== "error";
        const delay = Math.min(30_000, this.pollIntervalMs * 2 ** Math.min(retry, 10));
        if (!busy || this.#clock.now() + delay - started > this.#s.busyTimeoutMs) throw error;
        await this.#clock.sleep(delay, signal);
      }
    }
  }

  /**
   * One bulk read of the servers (repeated `server_id`), then a job read for each operation apply asks about whose
   * server looks settled (jobs have no batch query): while a server shows REBUILD or a task, its job is not asked about.
   */
  async pollOperations(
    queries: readonly OperationQuery[],
    signal: AbortSignal,
  ): Promise<readonly OperationObservation[]> {
    if (queries.length === 0) return [];
    const servers = new Map(
      (await this.#byIds([...new Set(queries.map((q) => q.handle.instanceId))], signal)).map((s) => [s.id, s]),
    );
    const limit = pLimit(8);
    return Promise.all(
      queries.map((query) => limit(() => this.#observe(query, servers.get(query.handle.instanceId), signal))),
    );
  }

  async #observe(
    { handle, readJob }: OperationQuery,
    server: EcsServer | undefined,
    signal: AbortSignal,
  ): Promise<OperationObservation> {
    if (!server || server.status === undefined) return { instance: undefined };
    const instance = normalizeEcsServer(server, this.name);
    if (!readJob || !handle.jobId || !isStable(instance)) return { instance };
    return { instance, job: jobOutcome(handle.jobId, await this.#job(handle.jobId, signal), handle.instanceId) };
  }

  async #job(jobId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.#call(
      (ctx) => ({
        method: "GET",
        url: ecsUrl(ctx, `/v1/{p}/jobs/${encodeURIComponent(jobId)}`),
        operation: "GET /v1/{project_id}/jobs/{job_id}",
      }),
      signal,
    );
    return (res.json ?? {}) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    await this.#http.close();
  }
}

/** After a lost answer: the server shows an operation under way, or changed since apply read it just before the call. */
function showsStarted(server: EcsServer, baselineUpdated: string): boolean {
  const task = server["OS-EXT-STS:task_state"];
  const busy =
    (typeof task === "string" && task !== "") ||
    ["REBUILD", "REBOOT", "HARD_REBOOT"].includes((server.status ?? "").toUpperCase());
  return busy || (server.updated !== undefined && server.updated !== baselineUpdated);
}

const V2: ReprovisionVariant = { name: "v2", setsUserData: true, description: "Cloud-Init: user_data is carried" };
const V1: ReprovisionVariant = {
  name: "v1",
  setsUserData: false,
  description: "no Cloud-Init: user_data cannot be sent",
};

/** The reinstall/changeos API per image, for the planner: from `__support_cloudinit` (v2 when absent), or fixed by `cloudInit`. */
function cloudInitVariants(setting: HuaweiSettings["cloudInit"]): ReprovisionVariants {
  switch (setting) {
    case "auto":
      return { imageProperty: "__support_cloudinit", byValue: { false: V1 }, otherwise: V2 };
    case "always":
      return { otherwise: { ...V2, description: "cloudInit: always in the provider's settings" } };
    case "never":
      return {
        otherwise: { ...V1, description: "cloudInit: never in the provider's settings: user_data cannot be sent" },
      };
  }
}

/** How the reinstall/changeos API is chosen, in words (shown with the capabilities). */
function cloudInitRule(setting: HuaweiSettings["cloudInit"]): string {
  switch (setting) {
    case "auto":
      return "v2 API (Cloud-Init, carries user_data) or v1 (no Cloud-Init, no user_data) from the image's __support_cloudinit property";
    case "always":
      return "v2 API for every image (cloudInit: always)";
    case "never":
      return "v1 API for every image, no user_data (cloudInit: never)";
  }
}
