import type { CloudFaults } from "../faults.js";
import type { ApiRequest, ApiResponse } from "../http.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import type { Timings } from "../types.js";
import type { Microversion } from "./microversion.js";
import type { ServerViews } from "./nova-view.js";
import type { ServerState } from "./state-types.js";
import type { OpenStackCloud, Principal } from "./state.js";

/** What every Nova handler shares. */
export interface NovaContext {
  readonly cloud: OpenStackCloud;
  readonly timings: Timings;
  readonly maxVersion: Microversion;
  readonly stats: MutableStats;
  /** Call after every mutation (persistence). */
  readonly changed: () => void;
  /** Encoded server list pages, kept while the world is unchanged (see ListCache). */
  readonly lists: ListCache;
  /** Each server's encoded list entry, per view variant (see ViewCache and nova-view.ts serverListEntry). */
  readonly views: ServerViews;
  /** Seeded action failures and flapping. @default none */
  readonly faults?: CloudFaults;
}

/** One authenticated Nova request. */
export interface NovaCall {
  readonly req: ApiRequest;
  readonly principal: Principal;
  readonly version: Microversion;
  /** e.g. http://127.0.0.1:PORT/compute/v2.1 */
  readonly base: string;
  /** e.g. http://127.0.0.1:PORT/compute (bookmark links) */
  readonly bookmarkBase: string;
}

const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

export function novaFault(status: number, message: string): ApiResponse {
  return { status, body: { [FAULT_NAMES[status] ?? "computeFault"]: { code: status, message } } };
}

export const notFound = (id: string): ApiResponse => novaFault(404, `Instance ${id} could not be found.`);

/** A Nova refusal raised inside a handler and turned into its fault body by the router. */
export class NovaError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The caller's server, due stages applied; servers of other projects are invisible. */
export function findServer(ctx: NovaContext, call: NovaCall, id: string): ServerState {
  const server = ctx.cloud.server(id);
  if (!server || (server.projectId !== call.principal.projectId && !call.principal.isAdmin))
    throw new NovaError(404, `Instance ${id} could not be found.`);
  return server;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): ApiResponse {
  return { status, body, ...(headers ? { headers } : {}) };
}
