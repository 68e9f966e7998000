import type { CloudFaults } from "../faults.js";
import { randomUuid } from "../ids.js";
import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { EncodedJson, isRecord, MalformedBody, readJson, segments } from "../http.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import type { ActionContext } from "./actions.js";
import { batchAction, busyError, ecsError, nativePowerAction, nativeRebuild, reprovision } from "./actions.js";
import type { HuaweiState, HwServer } from "./state.js";
import { DEFAULT_HW_REGION, iso, settle } from "./state.js";
import { verifySignature } from "./verify.js";
import { fingerprintOf, generatePublicKey } from "../openstack/keys.js";
import type { HwServerViews } from "./view.js";
import { hwServerViews, jobView, serverDetail, serverDetailListEntry } from "./view.js";

export const HUAWEI_PREFIX = "/huaweicloud";

export interface HuaweiServiceOptions {
  readonly state: HuaweiState;
  readonly timings: ActionContext["timings"];
  readonly stats: MutableStats;
  readonly changed: () => void;
  /** Encoded server list pages, kept while the world is unchanged (see ListCache). */
  readonly lists: ListCache;
  readonly now: () => number;
  /** Seeded job failures, hangs and flaps. @default none */
  readonly faults?: CloudFaults;
}

/** Huawei ECS (v1/v2 cloudservers, jobs, native v2.1 actions), IMS image listing and IAM's project list, with AK/SK verification. */
export function createHuaweiService(options: HuaweiServiceOptions): ApiService {
  const views = hwServerViews();
  const secrets = new Map(options.state.credentials.map((c) => [c.accessKey, c.secretKey]));
  return {
    prefix: HUAWEI_PREFIX,
    injectErrors: true,
    isExempt: () => false,
    faultBody: (status) =>
      status === 429
        ? { error_code: "APIGW.0308", error_msg: "The throttling threshold has been reached." }
        : { error: { code: "Common.0001", message: "System error." } },
    commonHeaders: (req) => ({ "x-request-id": req.requestId.replace(/^req-/, "").replace(/-/g, "") }),
    handle(req) {
      const auth = verifySignature(
        {
          method: req.method,
          rawPath: `${HUAWEI_PREFIX}${req.path}`,
          query: req.query,
          headers: req.headers,
          body: req.body,
        },
        { secrets, now: options.now() },
      );
      if (!auth.ok)
        return {
          status: 401,
          body: {
            error_code: "APIGW.0301",
            error_msg: `Incorrect IAM authentication information: ${auth.reason}`,
            request_id: req.requestId,
          },
        };
      const now = options.now();
      settle(options.state, now);
      try {
        const response = route(options, views, req, now);
        if (req.method !== "GET" && response.status < 300) options.changed();
        return response;
      } catch (error) {
        if (error instanceof MalformedBody)
          return ecsError(400, "Common.0002", `Invalid request body: ${error.message}`);
        throw error;
      }
    },
  };
}

function route(options: HuaweiServiceOptions, views: HwServerViews, req: ApiRequest, now: number): ApiResponse {
  const [version = "", project = "", resource = "", id, sub, key] = segments(req.path);
  const state = options.state;
  if (version === "v2" && project === "cloudimages") return listImages(state, req.query);
  if (version === "v3" && project === "projects" && resource === "" && req.method === "GET")
    return listProjects(state, req.query);
  if (project !== state.projectId)
    return ecsError(400, "Common.0018", "The project id in the URL does not match the credentials' project.");
  const headerProject = req.headers["x-project-id"];
  if (headerProject !== undefined && headerProject !== state.projectId)
    return ecsError(400, "Ecs.0023", "The X-Project-Id header does not match the project in the URL.");
  const m = req.method;
  if (version === "v1" && resource === "jobs" && id && m === "GET") {
    const job = jobView(state, id, now);
    return job ? { status: 200, body: job } : ecsError(400, "Common.0011", "Invalid job id.");
  }
  if (version === "v2.1" && resource === "os-keypairs" && id === undefined && m === "GET") return listKeypairs(state);
  if (version === "v1" && resource === "cloudservers" && id === "detail" && m === "GET")
    return listServers(options, views, req.query, now);
  if (version === "v1" && resource === "cloudservers" && id === "action" && m === "POST")
    return batchAction(context(options, req, now), readJson(req));
  const server = state.servers.find((s) => s.id === id);
  if (resource === "cloudservers" && !server) return ecsError(404, "Ecs.0114", "The ECS does not exist.");
  if (version === "v2.1" && resource === "servers")
    return native(
      options,
      req,
      now,
      state.servers.find((s) => s.id === id),
      sub,
    );
  if (!server) return ecsError(404, "Common.0404", "The API does not exist.");
  if ((version === "v1" || version === "v2") && (sub === "reinstallos" || sub === "changeos") && m === "POST") {
    return reprovision(
      context(options, req, now),
      server,
      version,
      sub === "reinstallos" ? "reinstall" : "changeos",
      readJson(req),
    );
  }
  if (version === "v1" && sub === undefined && m === "GET")
    return { status: 200, body: { server: serverDetail(state, server, now) } };
  if (version === "v1" && sub === "metadata") return metadata(context(options, req, now), server, m, key, req);
  return ecsError(404, "Common.0404", "The API does not exist.");
}

function context(options: HuaweiServiceOptions, req: ApiRequest, now: number): ActionContext {
  return {
    state: options.state,
    now,
    newId: () => randomUuid().replace(/-/g, ""),
    timings: options.timings,
    record: (server, action) =>
      options.stats.actions.push({
        serverId: server.id,
        serverName: server.name,
        action,
        at: now,
        requestId: req.requestId,
      }),
    ...(options.faults ? { faults: options.faults } : {}),
  };
}

/** `GET /v2.1/{p}/os-keypairs` (native OpenStack API, not paginated): the world's key pairs, public keys generated. */
function listKeypairs(state: HuaweiState): ApiResponse {
  const keypairs = state.keypairs.map((name) => {
    const publicKey = generatePublicKey(0, name);
    return { keypair: { name, public_key: publicKey, fingerprint: fingerprintOf(publicKey) ?? "" } };
  });
  return { status: 200, body: { keypairs } };
}

function listServers(
  options: HuaweiServiceOptions,
  views: HwServerViews,
  query: URLSearchParams,
  now: number,
): ApiResponse {
  const state = options.state;
  const ids = query.getAll("server_id");
  if (ids.length > 0) {
    const servers = ids.map((id) => {
      const s = state.servers.find((x) => x.id === id);
      return s ? serverDetail(state, s, now) : { id, fault: { code: 404, message: "The ECS does not exist." } };
    });
    return { status: 200, body: { count: servers.length, servers } };
  }
  const key = JSON.stringify(["huaweicloud", "cloudservers", query.toString()]);
  const headers = { "content-type": "application/json" };
  const kept = options.lists.get(key, now);
  if (kept) return { status: 200, body: kept, headers };
  const limit = Math.min(1000, Math.max(1, Number(query.get("limit") ?? 25) || 25));
  const page = Math.max(1, Number(query.get("offset") ?? 1) || 1);
  const name = query.get("name");
  const pattern = name === null ? undefined : new RegExp(name);
  const matching = pattern ? state.servers.filter((s) => pattern.test(s.name)) : state.servers;
  // The same text as JSON.stringify({ count, servers }), each server's document from its kept bytes.
  const body = EncodedJson.list(
    `{"count":${matching.length},"servers":[`,
    matching.slice((page - 1) * limit, page * limit),
    (s) => serverDetailListEntry(views, state, s, now),
    "]}",
  );
  // A job in flight or a flapping server changes what the list shows as time passes: kept only when none is.
  const quiet = Object.values(state.jobs).every((job) => job.end <= now) && state.servers.every((s) => !s.flap);
  return { status: 200, body: quiet ? options.lists.set(key, body, Infinity) : body, headers };
}

function metadata(
  ctx: ActionContext,
  server: HwServer,
  method: string,
  key: string | undefined,
  req: ApiRequest,
): ApiResponse {
  const refused =
    busyError(ctx, server) ??
    (server.status === "ERROR"
      ? ecsError(400, "Ecs.0100", "The metadata of an ECS in ERROR cannot be changed.")
      : undefined);
  if (method === "POST" && key === undefined) {
    const body = readJson(req);
    if (!isRecord(body) || !isRecord(body["metadata"]))
      return ecsError(400, "Ecs.0005", 'request body must carry "metadata"');
    if (refused) return refused;
    for (const [k, v] of Object.entries(body["metadata"])) {
      if (!/^[A-Za-z0-9\-_:.]{1,255}$/.test(k) || typeof v !== "string" || v.length > 255)
        return ecsError(400, "Ecs.0005", `invalid metadata ${k}`);
      if (k === "virtual_env_type") return ecsError(400, "Ecs.0005", "virtual_env_type cannot be modified");
    }
    Object.assign(server.metadata, body["metadata"]);
    server.updated = iso(ctx.now);
    return { status: 200, body: { metadata: server.metadata } };
  }
  if (method === "DELETE" && key !== undefined) {
    if (refused) return refused;
    if (!(key in server.metadata)) return ecsError(404, "Ecs.0111", "The metadata key does not exist.");
    delete server.metadata[key];
    server.updated = iso(ctx.now);
    return { status: 204 };
  }
  return ecsError(404, "Common.0404", "The API does not exist.");
}

function native(
  options: HuaweiServiceOptions,
  req: ApiRequest,
  now: number,
  server: HwServer | undefined,
  sub: string | undefined,
): ApiResponse {
  if (!server) return { status: 404, body: { itemNotFound: { code: 404, message: "Instance could not be found" } } };
  if (sub !== "action" || req.method !== "POST")
    return { status: 404, body: { itemNotFound: { code: 404, message: "The resource could not be found." } } };
  const body = readJson(req);
  const [name] = isRecord(body) ? Object.keys(body) : [];
  const o = isRecord(body) && name ? body[name] : undefined;
  if ((name === "reboot" || name === "os-start" || name === "os-stop") && isRecord(o))
    return nativePowerAction(context(options, req, now), server, name, o);
  if (!isRecord(body) || !isRecord(body["rebuild"]))
    return {
      status: 400,
      body: {
        badRequest: { code: 400, message: "only rebuild, reboot, os-start and os-stop are emulated on the native API" },
      },
    };
  const result = nativeRebuild(context(options, req, now), server, body["rebuild"]);
  if ("status" in result) return result;
  return { status: 202, body: { server: { ...serverDetail(options.state, server, now), adminPass: "" } } };
}

/**
 * IAM `GET /v3/projects`: the world's one project, named after its region; `name` filters exactly (another region:
 * an empty list). Signed like every call here, and no X-Project-Id is needed (IAM is global).
 */
function listProjects(state: HuaweiState, query: URLSearchParams): ApiResponse {
  const region = state.region ?? DEFAULT_HW_REGION;
  const name = query.get("name");
  const projects =
    name === null || name === region
      ? [{ id: state.projectId, name: region, description: "", enabled: true, is_domain: false }]
      : [];
  return { status: 200, body: { projects } };
}

function listImages(state: HuaweiState, query: URLSearchParams): ApiResponse {
  const id = query.get("id");
  const name = query.get("name");
  const images = state.images
    .filter((i) => (id === null || i.id === id) && (name === null || i.name === name))
    .map((i) => ({
      id: i.id,
      name: i.name,
      status: "active",
      visibility: "public",
      __os_type: "Linux",
      __imagetype: "gold",
      __support_cloudinit: String(i.cloudInit),
    }));
  return { status: 200, body: { images } };
}
