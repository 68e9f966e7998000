import { setMaxListeners } from "node:events";
import type { Agent, Dispatcher } from "undici";
// Two of undici's files, not its entry, which loads much reform never uses (undici-parts.d.ts).
import UndiciAgent from "undici/lib/dispatcher/agent.js";
import requestOn from "undici/lib/api/api-request.js";
import { AmbiguousError, CloudError } from "../../model/errors.js";
import { extractCloudMessage } from "./cloud-message.js";
import { decodeBody, parseJson } from "./decode.js";
import { redactHeaders, redactUrl } from "./redact.js";
import type { RetryPolicy } from "./retry.js";
import { DEFAULT_RETRY_POLICY, backoffDelay, isRetryableStatus, parseRetryAfter } from "./retry.js";
import type { HttpClientOptions, HttpRequest, HttpResponse, QueryValue } from "./types.js";
import { DEFAULT_REQUEST_ID_HEADERS } from "./types.js";

/** Network failures that happen before a byte of the request left: safe to repeat even for a mutation. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** TLS failures: retrying cannot help. */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|EPROTO/;

type Attempt =
  | { readonly type: "response"; readonly response: HttpResponse }
  | { readonly type: "error"; readonly error: unknown; readonly code: string; readonly sent: boolean };

/** One HTTP client per provider connection: keep-alive pool, timeouts, retries, CloudError mapping. */
export class HttpClient {
  readonly #options: HttpClientOptions;
  readonly #agent: Agent;
  readonly #retry: RetryPolicy;
  readonly #random: () => number;
  readonly #requestIdHeaders: readonly string[];

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#random = options.random ?? Math.random;
    this.#requestIdHeaders = (options.requestIdHeaders ?? DEFAULT_REQUEST_ID_HEADERS).map((h) => h.toLowerCase());
    this.#agent = new UndiciAgent({
      connect: {
        timeout: options.connectTimeoutMs ?? 10_000,
        rejectUnauthorized: options.insecure !== true,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      },
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      headersTimeout: options.headersTimeoutMs ?? 60_000,
      bodyTimeout: options.bodyTimeoutMs ?? 60_000,
      connections: options.connectionsPerOrigin ?? 64,
    });
  }

  get provider(): string {
    return this.#options.provider;
  }

  /**
   * Sends a request. 2xx (and `accept`ed statuses) are returned; other statuses throw CloudError with the cloud's message.
   * Reads retry network errors, 5xx and 429; mutations retry only refusals (429, 503 Service Unavailable: the cloud did
   * not take the request) and failures before the request was sent,
   * and throw AmbiguousError when the outcome is unknown. A 401 with a signer that can refresh is retried once.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const clock = this.#options.clock;
    const started = clock.now();
    const idempotent = req.idempotent ?? (req.method === "GET" || req.method === "HEAD");
    const url = buildUrl(req.url, req.query);
    let retries = 0;
    let throttled = 0;
    let reauthenticated = false;
    for (let attemptNo = 1; ; attemptNo++) {
      const outcome = await this.#attempt(req, url, attemptNo);
      req.signal?.throwIfAborted();
      if (outcome.type === "error") {
        if (TLS_CODE.test(outcome.code)) throw this.#networkError(req, url, outcome, "TLS verification failed");
        if (!idempotent && outcome.sent)
          throw new AmbiguousError(`${this.provider}: ${req.operation}`, { cause: outcome.error });
        if (await this.#backoff(retries++, this.#retry.maxAttempts, started, undefined, req.signal)) continue;
        throw this.#networkError(req, url, outcome, "no answer");
      }
      const res = outcome.response;
      if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status)) return res;
      if (res.status === 401 && !reauthenticated && req.signer?.invalidate?.() === true) {
        reauthenticated = true;
        continue;
      }
      const retryable = res.status === 429 || res.status === 503 || (idempotent && isRetryableStatus(res.status));
      const retryAfter = parseRetryAfter(res.headers["retry-after"] ?? res.headers["x-retry-after"], clock.now());
      if (retryable) {
        const throttle = res.status === 429;
        const retry = throttle ? throttled++ : retries++;
        if (
          await this.#backoff(
            retry,
            throttle ? this.#retry.maxThrottledAttempts : this.#retry.maxAttempts,
            started,
            retryAfter,
            req.signal,
          )
        )
          continue;
      }
      const error = this.#cloudError(req, url, res);
      if (!idempotent && (res.status === 502 || res.status === 504))
        throw new AmbiguousError(`${this.provider}: ${req.operation}`, { cause: error });
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  /** Sleeps before retry number `retry` (0-based) of a budget of `attempts`; false when they or the total time are used up. */
  async #backoff(
    retry: number,
    attempts: number,
    started: number,
    retryAfterMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    if (retry + 1 >= attempts) return false;
    const delay = backoffDelay(this.#retry, retry, this.#random, retryAfterMs);
    const clock = this.#options.clock;
    if (clock.now() + delay - started > this.#retry.maxTotalMs) return false;
    await clock.sleep(delay, signal);
    return true;
  }

  async #attempt(req: HttpRequest, url: URL, attemptNo: number): Promise<Attempt> {
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": this.#options.userAgent ?? "reform",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...req.headers,
    };
    const signal = req.signal ?? new AbortController().signal;
    if (req.signer) Object.assign(headers, await req.signer.sign({ method: req.method, url, headers, body }, signal));
    const begin = this.#options.clock.now();
    const outcome = await this.#send(req.method, url, headers, body, req.signal, req.raw === true);
    this.#report(req, url, headers, attemptNo, begin, outcome);
    return outcome;
  }

  async #send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal | undefined,
    raw: boolean,
  ): Promise<Attempt> {
    let data: Dispatcher.ResponseData;
    try {
      const options: Dispatcher.RequestOptions = {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
      };
      // One signal serves every request of a run, many in flight at once (each removes its listener when done):
      // not a leak, so Node's warning at 11 listeners is turned off for it.
      if (signal) setMaxListeners(0, signal);
      data = await requestOn.call(this.#agent, signal ? { ...options, signal } : options);
    } catch (error) {
      signal?.throwIfAborted();
      const code = errorCode(error);
      return { type: "error", error, code, sent: !NOT_SENT_CODES.has(code) };
    }
    const responseHeaders = flattenHeaders(data.headers);
    let bytes: Uint8Array;
    try {
      bytes = await data.body.bytes();
    } catch (error) {
      signal?.throwIfAborted();
      return { type: "error", error, code: errorCode(error), sent: true };
    }
    const requestId = this.#requestIdHeaders.map((h) => responseHeaders[h]).find((v) => v !== undefined && v !== "");
    const base = { status: data.statusCode, headers: responseHeaders, ...(requestId ? { requestId } : {}) };
    if (raw && data.statusCode >= 200 && data.statusCode < 300)
      return { type: "response", response: { ...base, json: undefined, text: "", bytes } };
    const text = decodeBody(bytes);
    return { type: "response", response: { ...base, json: parseJson(text), text } };
  }

  #report(
    req: HttpRequest,
    url: URL,
    headers: Record<string, string>,
    attempt: number,
    begin: number,
    outcome: Attempt,
  ): void {
    const hook = this.#options.onExchange;
    if (!hook) return;
    const base = {
      method: req.method,
      url: redactUrl(url.toString()),
      operation: req.operation,
      ms: this.#options.clock.now() - begin,
      attempt,
      requestHeaders: redactHeaders(headers),
    };
    if (outcome.type === "error") hook({ ...base, error: outcome.code });
    else
      hook({
        ...base,
        status: outcome.response.status,
        ...(outcome.response.requestId ? { requestId: outcome.response.requestId } : {}),
      });
  }

  #cloudError(req: HttpRequest, url: URL, res: HttpResponse): CloudError {
    const { message, code } = extractCloudMessage(res.json, res.text, res.status);
    const hint = this.#options.hint?.({
      operation: req.operation,
      url: redactUrl(url.toString()),
      status: res.status,
      ...(code === undefined ? {} : { cloudCode: code }),
    });
    return new CloudError({
      provider: this.provider,
      operation: req.operation,
      status: res.status,
      cloudMessage: message,
      ...(code === undefined ? {} : { cloudCode: code }),
      ...(res.requestId ? { requestId: res.requestId } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  #networkError(req: HttpRequest, url: URL, outcome: Extract<Attempt, { type: "error" }>, what: string): CloudError {
    const detail = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    const hint = this.#options.hint?.({
      operation: req.operation,
      url: redactUrl(url.toString()),
      networkCode: outcome.code,
    });
    return new CloudError(
      {
        provider: this.provider,
        operation: req.operation,
        cloudMessage: `${what} from ${url.host}: ${outcome.code} ${detail}`.trim(),
        ...(hint ? { hint } : {}),
      },
      { cause: outcome.error },
    );
  }
}

function buildUrl(base: string, query: Readonly<Record<string, QueryValue>> | undefined): URL {
  const url = new URL(base);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) url.searchParams.append(key, item);
    else url.searchParams.set(key, String(value));
  }
  return url;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
  }
  return error instanceof Error ? error.name : "ERROR";
}
