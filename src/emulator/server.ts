import { createHash } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { FaultInjector } from "./faults.js";
import type { ApiRequest, ApiResponse, ApiService } from "./http.js";
import { EncodedJson, routeKey } from "./http.js";
import { requestId } from "./ids.js";
import type { ListCache } from "./list-cache.js";
import { mayChangeWorld } from "./list-cache.js";
import type { ActionRecord, DuplicateRecord, FaultKind } from "./types.js";

const MAX_BODY = 1024 * 1024;

/** The stats object the server and the API modules update in place. */
export interface MutableStats {
  requests: number;
  byRoute: Record<string, number>;
  actions: ActionRecord[];
  faults: Record<FaultKind, number>;
  duplicates: DuplicateRecord[];
  /** Per server (or path), the last accepted mutation (`METHOD path sha256(body)`) and how many times in a row. */
  lastMutation: Map<string, { readonly key: string; readonly count: number }>;
}

export function emptyStats(): MutableStats {
  const faults: Record<FaultKind, number> = {
    error5xx: 0,
    throttled: 0,
    dropped: 0,
    droppedResponses: 0,
    ambiguous: 0,
    failedActions: 0,
    hungJobs: 0,
    flaps: 0,
  };
  return { requests: 0, byRoute: {}, actions: [], faults, duplicates: [], lastMutation: new Map() };
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly services: readonly ApiService[];
  readonly faults: FaultInjector;
  readonly stats: MutableStats;
  /** Told of every request that may change the world (mayChangeWorld), before and after it is handled. */
  readonly lists: ListCache;
}

export interface RunningServer {
  /** `http://host:port`. */
  readonly origin: string;
  close(): Promise<void>;
}

/** One node:http server for every emulated API: routing by prefix, request ids, statistics and faults. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(options, req, res).catch(() => {
      if (!res.headersSent)
        send(
          res,
          { status: 500, body: { computeFault: { code: 500, message: "Unexpected error in the emulator." } } },
          {},
        );
      else res.destroy();
    });
  });
  server.listen(options.port, options.host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    origin: `http://${host}:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function handle(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
  const url = new URL(req.url ?? "/", origin);
  const method = req.method ?? "GET";
  const { stats } = options;
  stats.requests++;
  const key = routeKey(method, url.pathname);
  stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
  const rid = requestId();
  const service = options.services.find((s) => url.pathname === s.prefix || url.pathname.startsWith(`${s.prefix}/`));
  if (!service)
    return send(
      res,
      { status: 404, body: { error: { code: 404, title: "Not Found", message: "The resource could not be found." } } },
      { "x-openstack-request-id": rid },
    );
  const apiReq: ApiRequest = {
    method,
    path: url.pathname.slice(service.prefix.length) || "/",
    query: url.searchParams,
    headers: req.headers,
    body: body ?? Buffer.alloc(0),
    requestId: rid,
    origin,
  };
  const common = { "x-openstack-request-id": rid, ...service.commonHeaders(apiReq) };
  if (body === undefined)
    return send(res, { status: 413, body: { overLimit: { code: 413, message: "Request is too large." } } }, common);
  const exempt = service.isExempt(apiReq);
  if (!exempt && options.faults.options.latencyMs > 0) await delay(options.faults.options.latencyMs);
  if (!exempt && service.injectErrors && injectFault(options, service, res, common)) return;
  const actionsBefore = stats.actions.length;
  const mutation = method !== "GET" && method !== "HEAD";
  const changes = mayChangeWorld(method, url.pathname);
  if (changes) options.lists.changed();
  let response: ApiResponse;
  try {
    response = await service.handle(apiReq);
  } finally {
    if (changes) options.lists.changed();
  }
  // Server actions only (the clouds record them): metadata writes are idempotent merges, safe to repeat.
  if (service.injectErrors && stats.actions.length > actionsBefore && response.status < 300)
    countMutation(stats, method, url.pathname, apiReq.body);
  if (!exempt && service.injectErrors) {
    const fault = options.faults.decideResponse(mutation);
    if (fault === "lost") {
      stats.faults.ambiguous++;
      res.socket?.destroy();
      return;
    }
    if (fault === "cut") {
      stats.faults.droppedResponses++;
      return sendCut(res, response, common);
    }
  }
  send(res, response, common);
}

/**
 * Counts an accepted mutation. The same one (method, path, body) accepted again for the same server with no other
 * mutation of that server in between (the first in flight or already applied) is a duplicate.
 */
function countMutation(stats: MutableStats, method: string, pathname: string, body: Buffer): void {
  const key = `${method} ${pathname} ${createHash("sha256").update(body).digest("hex")}`;
  const inPath = /\/(?:servers|cloudservers|instances)\/([^/:]+)/.exec(decodePath(pathname))?.[1];
  const inBody = /"id"\s*:\s*"([^"]+)"/.exec(body.toString("utf8"))?.[1];
  const serverId = inPath === "action" || inPath === "detail" ? inBody : (inPath ?? inBody);
  const last = stats.lastMutation.get(serverId ?? pathname);
  const count = last?.key === key ? last.count + 1 : 1;
  stats.lastMutation.set(serverId ?? pathname, { key, count });
  if (count >= 2) stats.duplicates.push({ request: `${method} ${pathname}`, serverId, count, at: Date.now() });
}

/** Applies the seeded fault decision; true when the request was answered (or dropped) by it. */
function injectFault(
  options: HttpServerOptions,
  service: ApiService,
  res: ServerResponse,
  common: Record<string, string>,
): boolean {
  const decision = options.faults.decide();
  const { stats } = options;
  const retryAfter = options.faults.options.retryAfterSeconds;
  switch (decision) {
    case "none":
      return false;
    case "drop":
      stats.faults.dropped++;
      res.socket?.destroy();
      return true;
    case "error5xx":
      stats.faults.error5xx++;
      send(res, { status: 503, body: service.faultBody(503, retryAfter) }, common);
      return true;
    case "throttle":
      stats.faults.throttled++;
      send(
        res,
        { status: 429, headers: { "retry-after": String(retryAfter) }, body: service.faultBody(429, retryAfter) },
        common,
      );
      return true;
  }
}

/** The path with %-escapes decoded (JD Cloud's `instances/{id}%3AstopInstance`); as it is when malformed. */
function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** Mid-response drop: the status line, the headers and half of the body, then the connection is destroyed. */
function sendCut(res: ServerResponse, response: ApiResponse, common: Readonly<Record<string, string>>): void {
  const payload =
    response.body === undefined || response.status === 204
      ? ""
      : typeof response.body === "string" || Buffer.isBuffer(response.body) || response.body instanceof EncodedJson
        ? response.body.toString()
        : JSON.stringify(response.body);
  const headers: Record<string, string> = {
    ...common,
    ...response.headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload) + 16),
  };
  res.writeHead(response.status, headers);
  res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
}

function send(res: ServerResponse, response: ApiResponse, common: Readonly<Record<string, string>>): void {
  const headers: Record<string, string> = { ...common, ...response.headers };
  if (response.body instanceof EncodedJson && response.status !== 204) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(response.body.length);
    res.writeHead(response.status, headers);
    // Corked: the chunks leave in one writev once the response ends.
    res.cork();
    for (const chunk of response.body.chunks) res.write(chunk);
    res.end();
    return;
  }
  let bytes: Buffer | undefined;
  if (response.body !== undefined && response.status !== 204) {
    const { body } = response;
    headers["content-type"] ??=
      typeof body === "string" || Buffer.isBuffer(body) ? "text/plain; charset=UTF-8" : "application/json";
    // Encoded once: a list page is megabytes, and measuring then writing the string would encode it twice.
    bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
  }
  headers["content-length"] = String(bytes?.length ?? 0);
  res.writeHead(response.status, headers);
  res.end(bytes);
}
