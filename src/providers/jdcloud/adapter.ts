import type { ProviderRuntime } from "../../model/provider.js";
import type { ImageRef, InstanceSelector } from "../../model/desired.js";
import { AmbiguousError, CloudError, ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { OperationHandle, OperationObservation, OperationQuery, OperationRules } from "../../model/operation.js";
import { pollingSettings } from "../../model/operation.js";
import type {
  ImageResolution,
  ListInstancesRequest,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderEndpoint,
  StartStepRequest,
} from "../../model/provider.js";
import { chosenByFleet } from "../../model/provider.js";
import { requireAscii } from "../http/ascii.js";
import { HttpClient } from "../http/client.js";
import type { Exchange, HttpClientOptions } from "../http/types.js";
import { jdHint } from "./hints.js";
import { normalizeInstance, normalizeWithoutCustomData } from "./normalize.js";
import type { JdCall } from "./operations.js";
import { metadataCall, showsStep, stepCall, withVmState } from "./operations.js";
import { JdSigner } from "./sign.js";
import { JD_IMAGE_SOURCES, JdVmClient } from "./vm.js";
import type { JdImage, JdInstance } from "./vm.js";

export const DEFAULT_JD_ENDPOINT = "https://vm.jdcloud-api.com";

/**
 * The fleet file's options for a `jdcloud` provider. Keys come from JDC_ACCESS_KEY / JDC_SECRET_KEY (reform's convention).
 * - `region`: e.g. cn-north-1 (default: $JDC_REGION)
 * - `endpoint`: the VM API's base URL (default https://vm.jdcloud-api.com)
 * - `pollIntervalMs`: how often apply polls (default 2000)
 * - `settleMs`: a step that looks done must look so on polls spanning this long, and at least two, before it is done
 *   (a VM's status can flap back for a while after an action; default 0: two polls in a row)
 */
export interface JdCloudAdapterOptions extends ProviderRuntime {
  readonly name: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Jitter source for retries, and nothing else. @default Math.random */
  readonly random?: () => number;
  /** Timeouts and retry policy of the HTTP client. @default {} */
  readonly http?: Partial<Omit<HttpClientOptions, "provider" | "clock" | "random" | "onExchange">>;
  /** 409 (VM busy) is waited out this many times. @default 6 */
  readonly conflictRetries?: number;
  /** JD shows no update time: a step whose transition no poll saw is taken as having run after this (OperationRules.graceMs). @default 30000 */
  readonly settleGraceMs?: number;
}

export const JD_CAPABILITIES: ProviderCapabilities = {
  imageChangeStep: "rebuild",
  sameImageStep: "rebuild",
  reprovisionSetsKeyPair: true,
  reprovisionSetsUserData: true,
  reprovisionRemovesKeyPair: false,
  reprovisionSetsMetadata: true,
  reprovisionRequiresStopped: true,
  reprovisionLeavesStopped: true,
  reprovisionStartsStopped: false,
  reprovisionNeedsPassword: true,
  metadataUpdate: true,
  metadataUpdateInError: true,
  reprovisionInError: false,
  readsUserData: true,
  systemMetadataKeys: [],
  rebootTypes: ["SOFT"],
  softRebootRequiresRunning: true,
  maxMetadataValueLength: 16_384,
  description: "JD Cloud VM (rebuildInstance needs a stopped VM and leaves it stopped)",
};

export function createJdCloudAdapter(options: JdCloudAdapterOptions): ProviderAdapter {
  return new JdCloudAdapter(options);
}

function stringSetting(settings: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  const value = settings?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function debugLine(debug: (line: string) => void): (e: Exchange) => void {
  return (e) => {
    const outcome = e.status === undefined ? `error ${e.error ?? "?"}` : String(e.status);
    const headers = Object.entries(e.requestHeaders)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ");
    debug(`http ${e.method} ${e.url} -> ${outcome} in ${e.ms}ms${e.requestId ? ` [${e.requestId}]` : ""} {${headers}}`);
  };
}

class JdCloudAdapter implements ProviderAdapter {
  readonly name: string;
  readonly type = "jdcloud" as const;
  readonly pollIntervalMs: number;
  readonly operationRules: OperationRules;
  readonly #options: JdCloudAdapterOptions;
  readonly #http: HttpClient;
  readonly #vm: JdVmClient;

  constructor(options: JdCloudAdapterOptions) {
    this.#options = options;
    this.name = options.name;
    const { pollIntervalMs, settleMs } = pollingSettings(options.settings);
    this.pollIntervalMs = pollIntervalMs;
    this.operationRules = { settleMs, graceMs: options.settleGraceMs ?? 30_000 };
    const region = stringSetting(options.settings, "region") ?? options.env["JDC_REGION"];
    const accessKey = options.env["JDC_ACCESS_KEY"];
    const secretKey = options.env["JDC_SECRET_KEY"];
    if (!region)
      throw new ReformError(
        "USAGE",
        `provider ${options.name}: no region (set region: in the fleet file or JDC_REGION)`,
      );
    if (!accessKey || !secretKey)
      throw new ReformError(
        "AUTH_ERROR",
        `provider ${options.name}: JD Cloud keys missing: set JDC_ACCESS_KEY and JDC_SECRET_KEY`,
      );
    const regionSource = stringSetting(options.settings, "region")
      ? `region of provider ${options.name} in the fleet file`
      : "JDC_REGION";
    const endpoint = stringSetting(options.settings, "endpoint") ?? DEFAULT_JD_ENDPOINT;
    for (const [setting, value, secret] of [
      ["JDC_ACCESS_KEY", accessKey, false],
      ["JDC_SECRET_KEY", secretKey, true],
      [regionSource, region, false],
    ] as const) {
      requireAscii({ provider: `${options.name} (jdcloud)`, setting, value, secret });
    }
    this.#http = new HttpClient({
      ...options.http,
      provider: options.name,
      clock: options.clock,
      ...(options.random ? { random: options.random } : {}),
      requestIdHeaders: ["x-jdcloud-request-id"],
      hint: jdHint({ accessKey, region, regionSource, endpoint }),
      ...(options.debug ? { onExchange: debugLine(options.debug) } : {}),
    });
    const signer = new JdSigner({ credentials: { accessKey, secretKey }, region, clock: options.clock });
    this.#vm = new JdVmClient({ http: this.#http, signer, endpoint, region });
  }

  endpoints(): readonly ProviderEndpoint[] {
    return [
      {
        service: "vm",
        url: stringSetting(this.#options.settings, "endpoint") ?? DEFAULT_JD_ENDPOINT,
        source: chosenByFleet(this.#options.settings, "endpoint") ?? "default",
      },
    ];
  }

  capabilities(): Promise<ProviderCapabilities> {
    return Promise.resolve(JD_CAPABILITIES);
  }

  async resolveImages(refs: readonly ImageRef[], signal: AbortSignal): Promise<readonly ImageResolution[]> {
    if (refs.length === 0) return [];
    const ids = [...new Set(refs.flatMap((r) => ("id" in r ? [r.id] : [])))];
    const images = ids.length > 0 ? await this.#vm.describeImagesById(ids, signal) : [];
    if (refs.some((r) => "name" in r))
      for (const source of JD_IMAGE_SOURCES) images.push(...(await this.#vm.describeImagesBySource(source, signal)));
    return refs.map((ref) => ({ ref, result: resolveImage(ref, images) }));
  }

  async findKeyPairs(names: readonly string[], signal: AbortSignal): Promise<ReadonlySet<string>> {
    return new Set(names.length === 0 ? [] : (await this.#vm.describeKeypairs(names, signal)).map((k) => k.keyName));
  }

  async keyPairNames(signal: AbortSignal): Promise<readonly string[]> {
    return (await this.#vm.allKeypairs(signal)).map((k) => k.keyName);
  }

  async listInstances(req: ListInstancesRequest, signal: AbortSignal): Promise<readonly ObservedInstance[]> {
    const onlyIds = req.selectors.length > 0 && req.selectors.every((s) => "id" in s);
    const ids = onlyIds ? req.selectors.map((s) => ("id" in s ? s.id : "")) : undefined;
    const wanted = selectorFilter(req.selectors);
    const instances = (await this.#vm.describeInstances(ids, signal)).filter((i) =>
      wanted(i.instanceId, i.instanceName ?? ""),
    );
    if (req.metadata === false) return instances.map((i) => normalizeWithoutCustomData(i, this.name));
    return this.#withCustomData(instances, signal, true);
  }

  async startStep(req: StartStepRequest, signal: AbortSignal): Promise<OperationHandle> {
    const { instance, step } = req;
    const startedAt = this.#options.clock.now();
    const synchronous = step.kind === "update-metadata";
    if (step.kind === "reboot" && step.params.metadata)
      await this.#send(instance, metadataCall(step.params.metadata), signal);
    const requestId = await this.#send(instance, stepCall(step, instance, req.inputs), signal);
    return {
      instanceId: instance.id,
      step: step.kind,
      startedAt,
      ...(requestId ? { requestId } : {}),
      baseline: { updatedAt: instance.updatedAt, status: instance.rawStatus, imageId: instance.imageId },
      ...(step.kind === "rebuild" ? { targetImageId: step.params.imageId } : {}),
      synchronous,
    };
  }

  /**
   * One `describeInstances` call (filtered by id, 100 per page) for all operations: their status. Metadata and user
   * data (`describeInstancesCustomData`) are read only for the VMs whose step this poll can confirm done (`complete`).
   */
  async pollOperations(
    queries: readonly OperationQuery[],
    signal: AbortSignal,
  ): Promise<readonly OperationObservation[]> {
    if (queries.length === 0) return [];
    const listed = await this.#vm.describeInstances([...new Set(queries.map((q) => q.handle.instanceId))], signal);
    const byId = new Map(listed.map((i) => [i.instanceId, i]));
    const whole = [
      ...new Set(
        queries.flatMap((q) => (q.complete ? [byId.get(q.handle.instanceId)].filter((vm) => vm !== undefined) : [])),
      ),
    ];
    const full = new Map(whole.length > 0 ? (await this.#withCustomData(whole, signal)).map((i) => [i.id, i]) : []);
    return queries.map(({ handle }) => {
      const vm = byId.get(handle.instanceId);
      return { instance: vm ? (full.get(vm.instanceId) ?? normalizeInstance(vm, undefined, this.name)) : undefined };
    });
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  /**
   * Adds metadata and user data. With `strict`, a VM the custom-data call leaves out is an error: planning it with
   * no metadata would make a full-map write drop its keys.
   */
  async #withCustomData(
    instances: readonly JdInstance[],
    signal: AbortSignal,
    strict = false,
  ): Promise<ObservedInstance[]> {
    const custom = await this.#vm.describeCustomData(
      instances.map((i) => i.instanceId),
      signal,
    );
    const missing = strict ? instances.filter((i) => !custom.has(i.instanceId)) : [];
    if (missing.length > 0) {
      const which = missing.map((i) => `${i.instanceId} (${i.instanceName ?? "?"})`).join(", ");
      throw new CloudError({
        provider: this.name,
        operation: `GET /v1/regions/${this.#vm.region}/instancesCustomData`,
        cloudMessage: `no metadata and user data returned for ${which}: reform cannot plan without them`,
      });
    }
    return instances.map((i) => normalizeInstance(i, custom.get(i.instanceId), this.name));
  }

  /** Sends a call; 409 (busy) is waited out; after an ambiguous failure the VM is read once to see whether JD took it. */
  async #send(instance: ObservedInstance, call: JdCall, signal: AbortSignal): Promise<string | undefined> {
    const retries = this.#options.conflictRetries ?? 6;
    for (let retry = 0; ; retry++) {
      try {
        return await this.#vm.action(instance.id, call.verb, call.body, signal);
      } catch (error) {
        if (error instanceof CloudError && error.details.status === 409 && retry < retries) {
          await this.#options.clock.sleep(Math.min(30_000, 2000 * 2 ** retry), signal);
          continue;
        }
        const now = await this.#readBack(instance.id, signal);
        const step = verbStep(call);
        const ambiguous =
          error instanceof AmbiguousError || (error instanceof CloudError && (error.details.status ?? 0) >= 500);
        if (ambiguous && now && step && showsStep(step, now.status ?? ""))
          return error instanceof CloudError ? error.details.requestId : undefined;
        throw withVmState(error, now ? normalizeInstance(now, undefined, this.name) : instance);
      }
    }
  }

  /** The VM as it is now, after a refused or unanswered call; undefined when it cannot be read (the refusal matters more). */
  async #readBack(id: string, signal: AbortSignal): Promise<JdInstance | undefined> {
    try {
      return (await this.#vm.describeInstances([id], signal))[0];
    } catch {
      return undefined;
    }
  }
}

function verbStep(call: JdCall): "stop" | "start" | "reboot" | "rebuild" | undefined {
  switch (call.verb) {
    case "stopInstance":
      return "stop";
    case "startInstance":
      return "start";
    case "rebootInstance":
      return "reboot";
    case "rebuildInstance":
      return "rebuild";
    case "modifyInstanceAttribute":
      return undefined;
  }
}

function selectorFilter(selectors: readonly InstanceSelector[]): (id: string, name: string) => boolean {
  if (selectors.length === 0) return () => true;
  const ids = new Set(selectors.flatMap((s) => ("id" in s ? [s.id] : [])));
  const names = new Set(selectors.flatMap((s) => ("name" in s ? [s.name] : [])));
  return (id, name) => ids.has(id) || names.has(name);
}

function resolveImage(ref: ImageRef, images: readonly JdImage[]): ImageResolution["result"] {
  const matching = "id" in ref ? images.filter((i) => i.imageId === ref.id) : images.filter((i) => i.name === ref.name);
  const found = [...new Map(matching.map((i) => [i.imageId, i])).values()];
  const what = "id" in ref ? `id ${ref.id}` : `name "${ref.name}"`;
  if (found.length === 0)
    return {
      type: "error",
      message: `no JD Cloud image with ${what}`,
      known: [...new Set(images.flatMap((i) => (i.name ? [i.name] : [])))],
    };
  if (found.length > 1)
    return {
      type: "error",
      message: `image ${what} is ambiguous: ${found.map((i) => i.imageId).join(", ")}; use an id`,
    };
  const image = found[0]!;
  const properties: Record<string, string> = {};
  if (image.osType) properties["osType"] = image.osType;
  if (image.platform) properties["platform"] = image.platform;
  return { type: "found", id: image.imageId, name: image.name ?? image.imageId, properties };
}
