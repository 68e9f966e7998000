import type { IncomingHttpHeaders } from "node:http";

/** A request as the API modules see it: the path below their prefix, the body already read. */
export interface ApiRequest {
  readonly method: string;
  /** Below the service prefix, starting with "/" (e.g. "/v2.1/servers/detail"). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** `req-<uuid>`, sent back in X-OpenStack-Request-Id. */
  readonly requestId: string;
  /** `http://host:port` as the client reached it. */
  readonly origin: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialized as JSON unless a string, bytes or EncodedJson (sent as they are); omitted when undefined. */
  readonly body?: unknown;
}

/**
 * JSON text already encoded, in chunks written one after the other (a list page: runs of the kept bytes of the
 * servers' documents). Written as they are, without joining them into one buffer first: a page is megabytes. The
 * chunks are never written to after they are given.
 */
export class EncodedJson {
  readonly length: number;

  constructor(readonly chunks: readonly Buffer[]) {
    let length = 0;
    for (const chunk of chunks) length += chunk.length;
    this.length = length;
  }

  /**
   * `head`, the entries separated by commas, then `tail`: a JSON list of entries already encoded (`head` opens it).
   * `entry` gives each item's bytes followed by a comma (`ViewCache.listEntry`); entries that lie one after another in
   * one memory block are sent as one chunk (a slice of that block, not a copy).
   */
  static list<T>(head: string, items: readonly T[], entry: (item: T) => Buffer, tail: string): EncodedJson {
    const runs = new Runs();
    for (const item of items) runs.add(entry(item));
    return new EncodedJson([Buffer.from(head), ...runs.chunks(), Buffer.from(tail)]);
  }

  /** The same text in one chunk: written with one call, where many chunks cost a write each. */
  joined(): EncodedJson {
    return this.chunks.length <= 1 ? this : new EncodedJson([Buffer.concat(this.chunks, this.length)]);
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/** Bytes gathered into runs of adjacent memory, the comma after the last entry left out. */
class Runs {
  readonly #runs: { block: ArrayBufferLike; start: number; end: number }[] = [];

  add(bytes: Buffer): void {
    const last = this.#runs[this.#runs.length - 1];
    if (last !== undefined && last.block === bytes.buffer && last.end === bytes.byteOffset)
      last.end += bytes.byteLength;
    else this.#runs.push({ block: bytes.buffer, start: bytes.byteOffset, end: bytes.byteOffset + bytes.byteLength });
  }

  chunks(): Buffer[] {
    const last = this.#runs.length - 1;
    return this.#runs.map((run, i) => Buffer.from(run.block, run.start, run.end - run.start - (i === last ? 1 : 0)));
  }
}

/** One cloud API mounted under a path prefix of the common server. */
export interface ApiService {
  /** e.g. "/compute". */
  readonly prefix: string;
  /** Version documents and similar calls that faults never touch. */
  isExempt(req: ApiRequest): boolean;
  /** Whether 5xx, 429 and drops may be injected (latency applies to everything). */
  readonly injectErrors: boolean;
  handle(req: ApiRequest): ApiResponse | Promise<ApiResponse>;
  /** Body of an injected error in this API's shape. */
  faultBody(status: 429 | 503, retryAfterSeconds: number): unknown;
  /** Headers this API adds to every response (e.g. X-Compute-Request-Id). */
  commonHeaders(req: ApiRequest): Readonly<Record<string, string>>;
}

/** A request body that is not valid JSON. */
export class MalformedBody extends Error {}

export function readJson(req: ApiRequest): unknown {
  if (req.body.length === 0) throw new MalformedBody("empty body");
  try {
    return JSON.parse(req.body.toString("utf8")) as unknown;
  } catch {
    throw new MalformedBody("invalid JSON");
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function header(req: ApiRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Path segments below a prefix, e.g. "/v2.1/servers/x" → ["v2.1", "servers", "x"]. */
export function segments(path: string): string[] {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The route key for statistics: ids replaced by `{id}`, request ids (`req-UUID`, Nova's instance actions) by `{request-id}`. */
export function routeKey(method: string, pathname: string): string {
  const route = pathname
    .split("/")
    .map((s) =>
      UUID.test(s) || /^[0-9a-f]{32}$/i.test(s)
        ? "{id}"
        : s.startsWith("req-") && UUID.test(s.slice(4))
          ? "{request-id}"
          : s,
    )
    .join("/");
  return `${method} ${route}`;
}
