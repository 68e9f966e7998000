import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { header, MalformedBody, segments } from "../http.js";
import { formatMicroversion, negotiate, versionHeaders } from "./microversion.js";
import type { Microversion } from "./microversion.js";
import { serverAction } from "./nova-actions.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { NovaError, novaFault } from "./nova-common.js";
import { listServers } from "./nova-list.js";
import { metadataCollection, metadataItem } from "./nova-metadata.js";
import { flavors, instanceActions, keypairs, limits } from "./nova-misc.js";
import { createServer, deleteServer, showServer } from "./nova-servers.js";
import type { TokenStore } from "./tokens.js";

const UNAUTHORIZED = {
  error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
};

/** Nova's faults are webob responses: `application/json; charset=UTF-8` (its successes say `application/json`). */
const FAULT_TYPE = "application/json; charset=UTF-8";
const fault = (r: ApiResponse): ApiResponse => ({ ...r, headers: { ...r.headers, "content-type": FAULT_TYPE } });

function versionDoc(origin: string, max: Microversion) {
  return {
    id: "v2.1",
    status: "CURRENT",
    version: formatMicroversion(max),
    min_version: "2.1",
    updated: "2013-07-23T11:33:21Z",
    links: [
      { rel: "self", href: `${origin}/compute/v2.1/` },
      { rel: "describedby", type: "text/html", href: "http://docs.openstack.org/" },
    ],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }],
  };
}

function versionsDoc(origin: string, max: Microversion) {
  const legacy = {
    id: "v2.0",
    status: "SUPPORTED",
    version: "",
    min_version: "",
    updated: "2011-01-21T11:33:21Z",
    links: [{ rel: "self", href: `${origin}/compute/v2/` }],
  };
  return {
    versions: [legacy, { ...versionDoc(origin, max), links: [{ rel: "self", href: `${origin}/compute/v2.1/` }] }],
  };
}

const isVersionPath = (path: string) => path === "/" || /^\/v2(\.1)?\/?$/.test(path);

/** Nova v2.1: microversions, keystonemiddleware-style auth, servers, actions, metadata, key pairs, flavors, limits. */
export function createNova(ctx: NovaContext, tokens: TokenStore): ApiService {
  return {
    prefix: "/compute",
    injectErrors: true,
    isExempt: (req) => isVersionPath(req.path),
    faultBody: (status, retryAfter) =>
      status === 429
        ? { overLimit: { code: 429, message: "Too Many Requests", retryAfter: String(retryAfter) } }
        : novaFault(503, "The service is temporarily unavailable.").body,
    commonHeaders: (req) => ({ "x-compute-request-id": req.requestId }),
    handle: (req) => handle(ctx, tokens, req),
  };
}

function handle(ctx: NovaContext, tokens: TokenStore, req: ApiRequest): ApiResponse {
  const negotiation = negotiate(req, ctx.maxVersion);
  const headers = versionHeaders(negotiation.version);
  const respond = (r: ApiResponse): ApiResponse => ({ ...r, headers: { ...headers, ...r.headers } });
  if (req.path === "/" && req.method === "GET")
    return respond({ status: 200, body: versionsDoc(req.origin, ctx.maxVersion) });
  if (/^\/v2(\.1)?\/?$/.test(req.path) && req.method === "GET")
    return respond({ status: 200, body: { version: versionDoc(req.origin, ctx.maxVersion) } });
  const info = tokens.validate(header(req, "x-auth-token"));
  // keystonemiddleware refuses the token before Nova sees the request: no microversion headers (real Nova)
  if (!info)
    return {
      status: 401,
      headers: { "www-authenticate": `Keystone uri="${req.origin}/identity/v3"`, "content-type": "application/json" },
      body: UNAUTHORIZED,
    };
  if (negotiation.type === "error") return respond(fault(novaFault(negotiation.status, negotiation.message)));
  const call: NovaCall = {
    req,
    principal: info.principal,
    version: negotiation.version,
    base: `${req.origin}/compute/v2.1`,
    bookmarkBase: `${req.origin}/compute`,
  };
  try {
    return respond(route(ctx, call));
  } catch (error) {
    if (error instanceof NovaError) return respond(fault(novaFault(error.status, error.message)));
    if (error instanceof MalformedBody) return respond(fault(novaFault(400, "Malformed request body")));
    throw error;
  }
}

function route(ctx: NovaContext, call: NovaCall): ApiResponse {
  const parts = segments(call.req.path);
  if (parts[0] !== "v2.1" && parts[0] !== "v2") throw new NovaError(404, "The resource could not be found.");
  let rest = parts.slice(1);
  if (rest[0] === call.principal.projectId) rest = rest.slice(1);
  if (rest.length === 0) return { status: 200, body: { version: versionDoc(call.req.origin, ctx.maxVersion) } };
  const m = call.req.method;
  const [resource, id, sub, subId] = rest;
  switch (resource) {
    case "servers":
      return serversRoute(ctx, call, rest);
    case "os-keypairs":
      return keypairs(ctx, call, id);
    case "flavors":
      if (m !== "GET") break;
      return id === "detail" ? flavors(call, undefined, true) : flavors(call, id, false);
    case "limits":
      if (m === "GET") return limits(ctx, call);
      break;
    default:
      throw new NovaError(404, "The resource could not be found.");
  }
  throw new NovaError(
    405,
    `The method ${m} is not allowed for ${[resource, id, sub, subId].filter(Boolean).join("/")}.`,
  );
}

function serversRoute(ctx: NovaContext, call: NovaCall, rest: readonly string[]): ApiResponse {
  const m = call.req.method;
  const [, id, sub, subId] = rest;
  if (id === undefined) {
    if (m === "GET") return listServers(ctx, call, false);
    if (m === "POST") return createServer(ctx, call);
  } else if (id === "detail" && sub === undefined) {
    if (m === "GET") return listServers(ctx, call, true);
  } else if (sub === undefined) {
    if (m === "GET") return showServer(ctx, call, id);
    if (m === "DELETE") return deleteServer(ctx, call, id);
  } else if (sub === "action" && subId === undefined) {
    if (m === "POST") return serverAction(ctx, call, id);
  } else if (sub === "metadata") {
    return subId === undefined
      ? metadataCollection(ctx, call, id)
      : metadataItem(ctx, call, id, rest.slice(3).join("/"));
  } else if (sub === "os-instance-actions" && rest.length <= 4) {
    if (m === "GET") return instanceActions(ctx, call, id, subId);
  } else {
    throw new NovaError(404, "The resource could not be found.");
  }
  throw new NovaError(405, "The method is not allowed for the requested URL.");
}
