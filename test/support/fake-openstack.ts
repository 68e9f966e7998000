import type { ServerResponse } from "node:http";
import type { SeenRequest } from "../../src/providers/http/test-server.js";
import { sendJson, startTestServer } from "../../src/providers/http/test-server.js";

/** Test support: a small Keystone + Nova + Glance for the OpenStack client's unit tests, answering like the real APIs (shapes from api/openstack.md). */
export const PASSWORD = "Pa55-Kn0wn-Fake-Keystone";
export const APP_SECRET = "AppCred-S3cret-Kn0wn";

export interface FakeServer {
  id: string;
  name: string;
  status: string;
  task: string | null;
  vmState: string;
  image: string;
  keyName: string | null;
  metadata: Record<string, string>;
  userData: string | null;
  updated: string;
  fault?: { code: number; message: string };
}

export interface FakeOptions {
  /** Highest microversion the fake serves. */
  maxMicroversion: string;
  /** Nova [api] max_limit. */
  maxLimit: number;
  /** Whether the caller sees OS-EXT-SRV-ATTR:user_data (admin). */
  showUserData: boolean;
  /** Token lifetime, seconds, relative to `now()`. */
  tokenTtlS: number;
  now: () => number;
  /** When set, the compute version document is answered only once this has resolved. */
  versionDocAfter?: Promise<unknown>;
  /** Handles a server action before the default behaviour; return true when it answered. */
  onAction?: (id: string, body: Record<string, unknown>, res: ServerResponse) => boolean;
}

export interface FakeOpenStack {
  readonly url: string;
  readonly identity: string;
  readonly compute: string;
  readonly image: string;
  readonly servers: Map<string, FakeServer>;
  readonly images: { id: string; name: string; os_distro?: string }[];
  readonly seen: SeenRequest[];
  readonly tokens: string[];
  readonly options: FakeOptions;
  revokeAll(): void;
  /** Finishes the server's task: task null, the given status, `updated` moved. */
  finish(id: string, status?: string): void;
  tick(): string;
  close(): Promise<void>;
}

export function makeServer(n: number, patch: Partial<FakeServer> = {}): FakeServer {
  const id = `srv-${String(n).padStart(5, "0")}`;
  return {
    id,
    name: `web-${n}`,
    status: "ACTIVE",
    task: null,
    vmState: "active",
    image: "img-old",
    keyName: "ops-2025",
    metadata: { role: "web" },
    userData: null,
    updated: "2026-11-01T00:00:00Z",
    ...patch,
  };
}

export async function startFakeOpenStack(partial: Partial<FakeOptions> = {}): Promise<FakeOpenStack> {
  const options: FakeOptions = {
    maxMicroversion: "2.96",
    maxLimit: 1000,
    showUserData: false,
    tokenTtlS: 3600,
    now: () => Date.UTC(2026, 10, 23, 12),
    ...partial,
  };
  const state = {
    servers: new Map<string, FakeServer>(),
    images: [] as FakeOpenStack["images"],
    tokens: [] as string[],
    valid: new Set<string>(),
    clock: 0,
    rid: 0,
  };
  const tick = () => new Date(options.now() + ++state.clock * 1000).toISOString().replace(/\.000Z$/, "Z");
  let base = "";
  const server = await startTestServer((req, res) => route(req, res));
  base = server.url;
  const fake: FakeOpenStack = {
    url: base,
    identity: `${base}/identity`,
    compute: `${base}/compute/v2.1`,
    image: `${base}/image`,
    servers: state.servers,
    images: state.images,
    seen: server.seen,
    tokens: state.tokens,
    options,
    revokeAll: () => state.valid.clear(),
    finish(id, status = "ACTIVE") {
      const s = state.servers.get(id);
      if (!s) return;
      Object.assign(s, {
        task: null,
        status,
        vmState: status === "SHUTOFF" ? "stopped" : status.toLowerCase(),
        updated: tick(),
      });
    },
    tick,
    close: () => server.close(),
  };

  const rid = { "x-openstack-request-id": "", "x-compute-request-id": "" };
  const reqId = () => {
    const id = `req-${++state.rid}`;
    return { ...rid, "x-openstack-request-id": id, "x-compute-request-id": id };
  };
  const unauthorized = (res: ServerResponse) =>
    sendJson(res, 401, {
      error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
    });
  const fault = (res: ServerResponse, status: number, name: string, message: string) =>
    sendJson(res, status, { [name]: { code: status, message } }, reqId());

  function route(req: SeenRequest, res: ServerResponse): void {
    const url = new URL(req.url, base);
    const path = url.pathname;
    if (path === "/identity/v3/auth/tokens" && req.method === "POST") return issueToken(req, res);
    if (path === "/compute/" || path === "/compute/v2.1/" || path === "/compute/v2.1") {
      if (options.versionDocAfter === undefined) return versionDoc(path, res);
      void options.versionDocAfter.then(() => versionDoc(path, res));
      return;
    }
    if (!state.valid.has(String(req.headers["x-auth-token"]))) return unauthorized(res);
    if (path.startsWith("/compute/v2.1/")) return compute(req, res, url, path.slice("/compute/v2.1".length));
    if (path.startsWith("/image/v2/images")) return images(res, url, path.slice("/image/v2/images".length));
    sendJson(res, 404, { itemNotFound: { code: 404, message: `no route ${path}` } });
  }

  function issueToken(req: SeenRequest, res: ServerResponse): void {
    const body = JSON.parse(req.body) as {
      auth: {
        identity: {
          methods: string[];
          password?: { user: { password: string } };
          application_credential?: { secret: string };
        };
        scope?: unknown;
      };
    };
    const identity = body.auth.identity;
    if (identity.methods[0] === "application_credential" && body.auth.scope !== undefined)
      return sendJson(res, 401, {
        error: { code: 401, title: "Unauthorized", message: "Application credentials cannot request a scope." },
      });
    const ok = identity.password?.user.password === PASSWORD || identity.application_credential?.secret === APP_SECRET;
    if (!ok)
      return sendJson(
        res,
        401,
        { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } },
        reqId(),
      );
    const token = `tok-${state.tokens.length + 1}`;
    state.tokens.push(token);
    state.valid.add(token);
    const endpoints = [
      { interface: "public", region: "RegionOne", region_id: "RegionOne", url: `${base}/compute/v2.1` },
      { interface: "internal", region: "RegionOne", region_id: "RegionOne", url: `${base}/internal/v2.1` },
      {
        interface: "public",
        region: "RegionTwo",
        region_id: "RegionTwo",
        url: `${base}/region-two/v2.1/%(tenant_id)s`,
      },
    ];
    const catalog = [
      { type: "identity", endpoints: [{ interface: "public", region_id: "RegionOne", url: `${base}/identity/v3` }] },
      { type: "compute", name: "nova", endpoints },
      {
        type: "image",
        name: "glance",
        endpoints: [{ interface: "public", region: "RegionOne", region_id: "RegionOne", url: `${base}/image` }],
      },
    ];
    const expires = new Date(options.now() + options.tokenTtlS * 1000).toISOString();
    sendJson(
      res,
      201,
      { token: { methods: identity.methods, expires_at: expires, project: { id: "p-123", name: "demo" }, catalog } },
      { "x-subject-token": token, ...reqId() },
    );
  }

  function versionDoc(path: string, res: ServerResponse): void {
    const v21 = {
      id: "v2.1",
      status: "CURRENT",
      version: options.maxMicroversion,
      min_version: "2.1",
      links: [{ rel: "self", href: `${base}/compute/v2.1/` }],
    };
    if (path === "/compute/")
      return sendJson(res, 200, {
        versions: [{ id: "v2.0", status: "DEPRECATED", version: "", min_version: "" }, v21],
      });
    if (path === "/compute/v2.1") return sendJson(res, 302, {}, { location: `${base}/compute/v2.1/` });
    sendJson(res, 200, { version: v21 });
  }

  function view(s: FakeServer): Record<string, unknown> {
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      updated: s.updated,
      image: s.image === "" ? "" : { id: s.image },
      key_name: s.keyName,
      metadata: s.metadata,
      locked: false,
      addresses: { private: [{ addr: "10.0.0.5", version: 4 }] },
      "OS-EXT-STS:task_state": s.task,
      "OS-EXT-STS:vm_state": s.vmState,
      "OS-EXT-STS:power_state": s.status === "SHUTOFF" ? 4 : 1,
      ...(options.showUserData ? { "OS-EXT-SRV-ATTR:user_data": s.userData } : {}),
      ...(s.fault && s.status === "ERROR" ? { fault: s.fault } : {}),
    };
  }

  function compute(req: SeenRequest, res: ServerResponse, url: URL, path: string): void {
    if (path === "/servers/detail" && req.method === "GET") return list(res, url, servedVersion(req));
    const match = /^\/servers\/([^/]+)(\/action|\/metadata(?:\/(.+))?)?$/.exec(path);
    const s = match ? state.servers.get(decodeURIComponent(match[1] as string)) : undefined;
    if (!match || !s) return fault(res, 404, "itemNotFound", "Instance could not be found.");
    if (!match[2] && req.method === "GET") return sendJson(res, 200, { server: view(s) }, reqId());
    if (match[2] === "/action") return action(s, JSON.parse(req.body) as Record<string, unknown>, res);
    if (s.task !== null)
      return fault(
        res,
        409,
        "conflictingRequest",
        `Cannot 'update metadata' instance ${s.id} while it is in task_state ${s.task}`,
      );
    if (match[3] !== undefined && req.method === "DELETE") {
      const key = decodeURIComponent(match[3]);
      if (!(key in s.metadata)) return fault(res, 404, "itemNotFound", "Metadata item was not found");
      delete s.metadata[key];
      res.writeHead(204, reqId()).end();
      return;
    }
    if (req.method === "POST") {
      Object.assign(s.metadata, (JSON.parse(req.body) as { metadata: Record<string, string> }).metadata);
      return sendJson(res, 200, { metadata: s.metadata }, reqId());
    }
    fault(res, 405, "badMethod", "no");
  }

  /** The microversion Nova answers at (and says so in OpenStack-API-Version): `latest` is its maximum, none is 2.1. */
  function servedVersion(req: SeenRequest): string {
    const asked = /compute\s+(\S+)/i.exec(String(req.headers["openstack-api-version"] ?? ""))?.[1] ?? "2.1";
    return asked.toLowerCase() === "latest" ? options.maxMicroversion : asked;
  }

  function list(res: ServerResponse, url: URL, version: string): void {
    const limit = Math.min(Number(url.searchParams.get("limit") ?? options.maxLimit), options.maxLimit);
    const marker = url.searchParams.get("marker");
    const since = url.searchParams.get("changes-since");
    const name = url.searchParams.get("name");
    let all = [...state.servers.values()].sort((a, b) => a.id.localeCompare(b.id));
    if (since) all = all.filter((s) => Date.parse(s.updated) >= Date.parse(since));
    if (name) all = all.filter((s) => new RegExp(name).test(s.name));
    const start = marker ? all.findIndex((s) => s.id === marker) + 1 : 0;
    const page = all.slice(start, start + limit);
    const next = new URL(`${base}/compute/v2.1/servers/detail`);
    next.searchParams.set("limit", String(limit));
    next.searchParams.set("marker", page.at(-1)?.id ?? "");
    if (since) next.searchParams.set("changes-since", since);
    const links =
      page.length === limit ? [{ rel: "next", href: next.toString().replace(base, "http://nova-internal:8774") }] : [];
    sendJson(
      res,
      200,
      { servers: page.map(view), servers_links: links },
      { ...reqId(), "openstack-api-version": `compute ${version}` },
    );
  }

  function action(s: FakeServer, body: Record<string, unknown>, res: ServerResponse): void {
    if (options.onAction?.(s.id, body, res)) return;
    const name = Object.keys(body)[0];
    if (s.task !== null)
      return fault(
        res,
        409,
        "conflictingRequest",
        `Cannot '${name}' instance ${s.id} while it is in task_state ${s.task}`,
      );
    const headers = reqId();
    if (name === "rebuild") {
      const r = body["rebuild"] as {
        imageRef: string;
        metadata?: Record<string, string>;
        key_name?: string | null;
        user_data?: string | null;
      };
      Object.assign(s, { task: "rebuilding", status: "REBUILD", image: r.imageRef, updated: tick() });
      if (r.metadata) s.metadata = { ...r.metadata };
      if (r.key_name !== undefined) s.keyName = r.key_name;
      if (r.user_data !== undefined) s.userData = r.user_data;
      return sendJson(res, 202, { server: view(s) }, headers);
    }
    if (name === "reboot") Object.assign(s, { task: "rebooting", status: "REBOOT", updated: tick() });
    else if (name === "os-stop") Object.assign(s, { task: "powering-off", updated: tick() });
    else if (name === "os-start") Object.assign(s, { task: "powering-on", updated: tick() });
    else return fault(res, 400, "badRequest", `There is no such action: ${name}`);
    res.writeHead(202, headers).end();
  }

  function images(res: ServerResponse, url: URL, rest: string): void {
    if (rest.startsWith("/")) {
      const image = state.images.find((i) => i.id === decodeURIComponent(rest.slice(1)));
      return image ? sendJson(res, 200, image) : sendJson(res, 404, { message: "404 Not Found" });
    }
    const name = url.searchParams.get("name");
    const marker = url.searchParams.get("marker");
    const matching = state.images.filter((i) => name === null || i.name === name);
    const start = marker ? matching.findIndex((i) => i.id === marker) + 1 : 0;
    const page = matching.slice(start, start + 1);
    const more = start + 1 < matching.length;
    sendJson(res, 200, {
      images: page,
      ...(more ? { next: `/v2/images?marker=${page[0]?.id ?? ""}&name=${encodeURIComponent(name ?? "")}` } : {}),
    });
  }

  return fake;
}
