import pLimit from "p-limit";
import { CloudError } from "../../model/errors.js";
import type { HttpClient } from "../http/client.js";
import type { HttpResponse, RequestSigner } from "../http/types.js";

/** The fields of a JD Cloud VM `Instance` that reform reads (describeInstances). */
export interface JdInstance {
  readonly instanceId: string;
  readonly instanceName?: string;
  readonly hostname?: string;
  readonly status?: string;
  readonly imageId?: string;
  readonly keyNames?: readonly string[] | null;
  readonly launchTime?: string;
  readonly privateIpAddress?: string;
  readonly description?: string;
}

export interface JdKeyValue {
  readonly key: string;
  readonly value: string;
}

/** One entry of describeInstancesCustomData. */
export interface JdCustomData {
  readonly instanceId: string;
  readonly metadata?: readonly JdKeyValue[] | null;
  readonly userdata?: readonly JdKeyValue[] | null;
}

export interface JdImage {
  readonly imageId: string;
  readonly name?: string;
  readonly osType?: string;
  readonly platform?: string;
}

export interface JdKeypair {
  readonly keyName: string;
  readonly keyFingerprint?: string;
}

/** describeImages' `imageSource` values: JD's public images, the marketplace, the account's own, shared with it. */
export type JdImageSource = "public" | "thirdparty" | "private" | "shared";
export const JD_IMAGE_SOURCES: readonly JdImageSource[] = ["private", "shared", "public", "thirdparty"];

export type JdVerb =
  "stopInstance" | "startInstance" | "rebootInstance" | "rebuildInstance" | "modifyInstanceAttribute";

/**
 * Refusals read from JD's envelope here (status word, message, request id from the header or the body).
 * 401 (signature), 429 and 5xx stay with the HTTP client: it retries them where that is safe.
 */
const ENVELOPE_ERRORS: readonly number[] = [400, 403, 404, 405, 409, 410, 412, 413, 422];

/** describeInstances accepts pageSize 10–100; describeInstancesCustomData 1–10. */
const INSTANCE_PAGE = 100;
const CUSTOM_DATA_PAGE = 10;
/** Custom-data calls in flight at once: ten VMs per call makes a 1,000-VM fleet 100 calls; four at a time keeps them polite. */
const CUSTOM_DATA_IN_FLIGHT = 4;

/** `POST /v1/regions/{r}/instances/{id}:verb`, with `:` sent as %3A as the SDKs do. */
export function actionUrl(endpoint: string, region: string, instanceId: string, verb: JdVerb): URL {
  return new URL(
    `${trimSlash(endpoint)}/v1/regions/${encodeURIComponent(region)}/instances/${encodeURIComponent(instanceId)}%3A${verb}`,
  );
}

function trimSlash(text: string): string {
  return text.replace(/\/+$/, "");
}

/** `filters.N.name` / `filters.N.values.M`, as the SDKs flatten them. */
export function filterQuery(
  filters: readonly { readonly name: string; readonly values: readonly string[] }[],
): Record<string, string> {
  const query: Record<string, string> = {};
  filters.forEach((filter, i) => {
    query[`filters.${i + 1}.name`] = filter.name;
    filter.values.forEach((value, j) => (query[`filters.${i + 1}.values.${j + 1}`] = value));
  });
  return query;
}

/** RFC 3986 escaping (space → %20, never `+`), as the SDKs send the query and as the signature's canonical query has it. */
export function jdEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function queryString(params: Readonly<Record<string, string>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${jdEscape(k)}=${jdEscape(v)}`)
    .join("&");
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The JD Cloud VM API: bulk reads (paginated, filtered by id) and the instance actions. */
export class JdVmClient {
  readonly #http: HttpClient;
  readonly #signer: RequestSigner;
  readonly #endpoint: string;
  readonly #region: string;

  constructor(options: { http: HttpClient; signer: RequestSigner; endpoint: string; region: string }) {
    this.#http = options.http;
    this.#signer = options.signer;
    this.#endpoint = trimSlash(options.endpoint);
    this.#region = options.region;
  }

  get region(): string {
    return this.#region;
  }

  /** Every instance of the region (ids empty), or the given ones: one call per 100 ids, paginated. */
  async describeInstances(ids: readonly string[] | undefined, signal: AbortSignal): Promise<JdInstance[]> {
    if (ids !== undefined && ids.length === 0) return [];
    const groups = ids === undefined ? [undefined] : chunks(ids, INSTANCE_PAGE);
    const out: JdInstance[] = [];
    for (const group of groups) {
      const filters = group ? filterQuery([{ name: "instanceId", values: group }]) : {};
      out.push(...(await this.#paged<JdInstance>("instances", "instances", INSTANCE_PAGE, filters, signal)));
    }
    return out;
  }

  /** Metadata and user data, ten instances per call (the API's largest page), a few calls in flight. */
  async describeCustomData(ids: readonly string[], signal: AbortSignal): Promise<Map<string, JdCustomData>> {
    const limit = pLimit(CUSTOM_DATA_IN_FLIGHT);
    const read = (group: readonly string[]) =>
      this.#paged<JdCustomData>(
        "instancesCustomData",
        "customData",
        CUSTOM_DATA_PAGE,
        filterQuery([{ name: "instanceId", values: group }]),
        signal,
      );
    try {
      const pages = await Promise.all(chunks(ids, CUSTOM_DATA_PAGE).map((group) => limit(() => read(group))));
      return new Map(pages.flat().map((entry) => [entry.instanceId, entry]));
    } finally {
      limit.clearQueue(); // after a failed page, the calls not yet sent are not sent
    }
  }

  /** The given images (`ids.N`, 100 per call). */
  async describeImagesById(ids: readonly string[], signal: AbortSignal): Promise<JdImage[]> {
    const out: JdImage[] = [];
    for (const group of chunks(ids, INSTANCE_PAGE)) {
      const query = Object.fromEntries(group.map((id, i) => [`ids.${i + 1}`, id]));
      out.push(...(await this.#paged<JdImage>("images", "images", INSTANCE_PAGE, query, signal)));
    }
    return out;
  }

  /** Every image of one source: `imageSource` is required when no ids are given. */
  async describeImagesBySource(source: JdImageSource, signal: AbortSignal): Promise<JdImage[]> {
    return this.#paged<JdImage>("images", "images", INSTANCE_PAGE, { imageSource: source }, signal);
  }

  /** describeKeypairs: the named key pairs that exist (`keyNames` filter, exact, 100 names per call). */
  async describeKeypairs(names: readonly string[], signal: AbortSignal): Promise<JdKeypair[]> {
    const out: JdKeypair[] = [];
    for (const group of chunks(names, INSTANCE_PAGE))
      out.push(
        ...(await this.#paged<JdKeypair>(
          "keypairs",
          "keypairs",
          INSTANCE_PAGE,
          filterQuery([{ name: "keyNames", values: group }]),
          signal,
        )),
      );
    return out;
  }

  /** describeKeypairs without a filter: every key pair of the region (for a suggestion when a name is missing). */
  async allKeypairs(signal: AbortSignal): Promise<JdKeypair[]> {
    return this.#paged<JdKeypair>("keypairs", "keypairs", INSTANCE_PAGE, {}, signal);
  }

  /** One instance action; resolves with the request id once JD acknowledged it (`result: {}`). */
  async action(
    instanceId: string,
    verb: JdVerb,
    body: Readonly<Record<string, unknown>>,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const operation = `POST /v1/regions/${this.#region}/instances/{id}:${verb}`;
    const res = await this.#http.request({
      method: "POST",
      url: actionUrl(this.#endpoint, this.#region, instanceId, verb).toString(),
      json: body,
      operation,
      signer: this.#signer,
      accept: ENVELOPE_ERRORS,
      signal,
    });
    resultOf(res, operation, this.#http.provider);
    return requestIdOf(res);
  }

  async #paged<T>(
    path: string,
    key: string,
    pageSize: number,
    filters: Record<string, string>,
    signal: AbortSignal,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const query = queryString({ pageNumber: String(page), pageSize: String(pageSize), ...filters });
      const operation = `GET /v1/regions/${this.#region}/${path}`;
      const res = await this.#http.request({
        method: "GET",
        url: `${this.#endpoint}/v1/regions/${encodeURIComponent(this.#region)}/${path}?${query}`,
        headers: { "content-type": "application/json" },
        operation,
        signer: this.#signer,
        accept: ENVELOPE_ERRORS,
        signal,
      });
      const result = resultOf(res, operation, this.#http.provider);
      const items = Array.isArray(result[key]) ? (result[key] as T[]) : [];
      out.push(...items);
      // totalCount decides when it is given (a gateway may cap the page); otherwise a short page is the last
      const total = result["totalCount"];
      if (items.length === 0 || (typeof total === "number" ? out.length >= total : items.length < pageSize)) return out;
    }
  }
}

function requestIdOf(res: HttpResponse): string | undefined {
  if (res.requestId) return res.requestId;
  const body = res.json as { requestId?: unknown } | undefined;
  return typeof body?.requestId === "string" ? body.requestId : undefined;
}

/** JD's envelope: `{requestId, result}` on success, `{requestId, error: {code, status, message}}` otherwise. */
export function resultOf(res: HttpResponse, operation: string, provider: string): Record<string, unknown> {
  const body = res.json as
    { result?: unknown; error?: { code?: unknown; status?: unknown; message?: unknown } } | undefined;
  const error = typeof body?.error === "object" && body.error !== null ? body.error : undefined;
  if (error || res.status >= 300) {
    const rid = requestIdOf(res);
    const status = typeof error?.code === "number" && res.status < 300 ? error.code : res.status;
    const message =
      typeof error?.message === "string" && error.message !== ""
        ? error.message
        : res.text.trim().slice(0, 300) || `HTTP ${res.status}`;
    const code = typeof error?.status === "string" && error.status !== "" ? { cloudCode: error.status } : {};
    throw new CloudError({
      provider,
      operation,
      status,
      cloudMessage: message,
      ...code,
      ...(rid ? { requestId: rid } : {}),
    });
  }
  const result = body?.result;
  return typeof result === "object" && result !== null && !Array.isArray(result)
    ? (result as Record<string, unknown>)
    : {};
}
