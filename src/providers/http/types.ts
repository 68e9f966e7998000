import type { Clock } from "../../model/clock.js";
import type { RetryPolicy } from "./retry.js";

/** One HTTP exchange as the debug hook sees it: no body, credentials redacted. */
export interface Exchange {
  readonly method: string;
  /** Redacted (no user info, secret-looking query values replaced). */
  readonly url: string;
  readonly operation: string;
  /** Absent when no response arrived. */
  readonly status?: number;
  /** The network error's code, when no response arrived. */
  readonly error?: string;
  readonly ms: number;
  readonly requestId?: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Request headers with X-Auth-Token, Authorization, signatures… redacted. */
  readonly requestHeaders: Readonly<Record<string, string>>;
}

export interface HttpClientOptions {
  /** The provider's name: goes into every CloudError. */
  readonly provider: string;
  /** Backoff sleeps and timings. */
  readonly clock: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** TCP + TLS connect timeout. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Time to wait for the response headers. @default 60000 */
  readonly headersTimeoutMs?: number;
  /** Longest silence while reading the body. @default 60000 */
  readonly bodyTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this. @default 30000 */
  readonly keepAliveTimeoutMs?: number;
  /** Most sockets per origin. @default 64 */
  readonly connectionsPerOrigin?: number;
  /** Extra trusted CA certificates (PEM), read by the caller from `cacert`. @default undefined (system CAs) */
  readonly ca?: string | Buffer;
  /** Turn TLS verification off. The caller warns the user. @default false */
  readonly insecure?: boolean;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: Partial<RetryPolicy>;
  /** Response headers holding the cloud's request id, tried in order (case-insensitive). @default DEFAULT_REQUEST_ID_HEADERS */
  readonly requestIdHeaders?: readonly string[];
  /** Debug hook: called once per attempt, secrets redacted, bodies never included. @default undefined */
  readonly onExchange?: (exchange: Exchange) => void;
  /** @default "reform" */
  readonly userAgent?: string;
  /**
   * What the user should check when a request fails (a refused credential, an endpoint that is not the API): the
   * provider knows its settings and where they came from; the hint goes into the CloudError. @default no hint
   */
  readonly hint?: (failure: RequestFailure) => string | undefined;
}

/** A failed request as a provider's hint sees it. */
export interface RequestFailure {
  readonly operation: string;
  /** Redacted, with its query. */
  readonly url: string;
  /** Absent when no answer arrived. */
  readonly status?: number;
  /** The cloud's error code (e.g. "APIGW.0301"). */
  readonly cloudCode?: string;
  /** The network error's code when no answer arrived (e.g. "ECONNREFUSED", "ENOTFOUND"). */
  readonly networkCode?: string;
}

export const DEFAULT_REQUEST_ID_HEADERS: readonly string[] = [
  "x-openstack-request-id",
  "x-compute-request-id",
  "x-request-id",
  "x-jdcloud-request-id",
];

/** What a signer sees of the request it signs. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent, as text. */
  readonly body: string | undefined;
}

/** The per-request authentication hook (Keystone token, AK/SK signature). */
export interface RequestSigner {
  /** Headers to add to this attempt. Called again on every attempt (signatures carry a date). */
  sign(request: SignableRequest, signal: AbortSignal): Promise<Readonly<Record<string, string>>>;
  /** The cloud answered 401: drop cached credentials. Return true to retry the request once with fresh ones. */
  invalidate?(): boolean;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Appended to the URL; undefined values are skipped, arrays repeat the key. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Serialized as the JSON body. */
  readonly json?: unknown;
  /** Human label for errors, e.g. "POST /servers/{id}/action rebuild". */
  readonly operation: string;
  /** Safe to repeat after an ambiguous failure. @default true for GET and HEAD, false otherwise */
  readonly idempotent?: boolean;
  /** Non-2xx statuses returned to the caller instead of thrown. @default [] */
  readonly accept?: readonly number[];
  readonly signer?: RequestSigner;
  readonly signal?: AbortSignal;
  /**
   * Leave the body of a successful (2xx) answer as bytes, undecoded and unparsed, in `bytes` (`text` is then empty and
   * `json` undefined): for a large answer that is parsed elsewhere (a worker thread). Other answers are decoded as
   * usual, for their error message. @default false
   */
  readonly raw?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed body, undefined when empty or not JSON. */
  readonly json: unknown;
  readonly text: string;
  /** The undecoded body of a successful answer to a `raw` request (and only then). */
  readonly bytes?: Uint8Array;
  readonly requestId?: string;
}
