import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { header, isRecord, MalformedBody, readJson } from "../http.js";
import { stableHexId } from "../ids.js";
import { AuthFailure, authenticate, DEFAULT_DOMAIN } from "./keystone-auth.js";
import type { OpenStackCloud } from "./state.js";
import type { TokenInfo, TokenStore } from "./tokens.js";

const VERSION_ID = "v3.14";
const MEDIA_TYPES = [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }];

export function keystoneError(status: number, title: string, message: string): ApiResponse {
  return { status, body: { error: { code: status, title, message } } };
}

function versionDoc(origin: string) {
  return {
    id: VERSION_ID,
    status: "stable",
    updated: "2020-04-07T00:00:00Z",
    links: [{ rel: "self", href: `${origin}/identity/v3/` }],
    "media-types": MEDIA_TYPES,
  };
}

/**
 * The service catalog: identity, compute (nova), image (glance) and volumev3 (cinderv3, its URL rendered with the
 * token's project id as Keystone renders `…/v3/%(project_id)s`), public/internal/admin in the world's region.
 */
export function catalog(cloud: OpenStackCloud, origin: string, projectId: string) {
  const entry = (type: string, name: string, url: string) => ({
    id: stableHexId(cloud.seed, "service", type),
    type,
    name,
    endpoints: (["public", "internal", "admin"] as const).map((iface) => ({
      id: stableHexId(cloud.seed, "endpoint", type, iface),
      interface: iface,
      region: cloud.region,
      region_id: cloud.region,
      url,
    })),
  });
  return [
    entry("identity", "keystone", `${origin}/identity`),
    entry("compute", "nova", `${origin}/compute/v2.1`),
    entry("image", "glance", `${origin}/image`),
    entry("volumev3", "cinderv3", `${origin}/volume/v3/${projectId}`),
  ];
}

function tokenBody(cloud: OpenStackCloud, info: TokenInfo, origin: string, withCatalog: boolean) {
  const { principal } = info;
  const project = cloud.projects.get(principal.projectId);
  return {
    token: {
      methods: info.methods,
      user: { id: principal.userId, name: principal.userName, domain: DEFAULT_DOMAIN, password_expires_at: null },
      project: { id: principal.projectId, name: project?.name ?? "", domain: DEFAULT_DOMAIN },
      roles: principal.roles.map((role) => ({ id: stableHexId(cloud.seed, "role", role), name: role })),
      ...(withCatalog ? { catalog: catalog(cloud, origin, principal.projectId) } : {}),
      expires_at: new Date(info.expiresAt).toISOString().replace("Z", "000Z"),
      issued_at: new Date(info.issuedAt).toISOString().replace("Z", "000Z"),
      audit_ids: [info.auditId],
      is_domain: false,
      ...(info.applicationCredential
        ? { application_credential: { ...info.applicationCredential, restricted: true } }
        : {}),
    },
  };
}

/** Keystone v3, the subset clients use to get a project-scoped token and a catalog. */
export function createKeystone(cloud: OpenStackCloud, tokens: TokenStore): ApiService {
  return {
    prefix: "/identity",
    injectErrors: false,
    isExempt: (req) => req.path === "/" || /^\/v3\/?$/.test(req.path),
    faultBody: (status) =>
      keystoneError(status, status === 429 ? "Too Many Requests" : "Service Unavailable", "Try again later.").body,
    commonHeaders: () => ({ vary: "X-Auth-Token" }),
    handle: (req) => route(cloud, tokens, req),
  };
}

function route(cloud: OpenStackCloud, tokens: TokenStore, req: ApiRequest): ApiResponse {
  const path = req.path.replace(/\/+$/, "") || "/";
  if (path === "/" && req.method === "GET") {
    return {
      status: 300,
      headers: { location: `${req.origin}/identity/v3/` },
      body: { versions: { values: [versionDoc(req.origin)] } },
    };
  }
  if (path === "/v3" && req.method === "GET") return { status: 200, body: { version: versionDoc(req.origin) } };
  if (path === "/v3/auth/tokens") return tokensRoute(cloud, tokens, req);
  const caller = tokens.validate(header(req, "x-auth-token"));
  if (!caller) return keystoneError(401, "Unauthorized", "The request you have made requires authentication.");
  if (path === "/v3/auth/catalog" && req.method === "GET")
    return {
      status: 200,
      body: {
        catalog: catalog(cloud, req.origin, caller.principal.projectId),
        links: { self: `${req.origin}/identity/v3/auth/catalog` },
      },
    };
  if (path === "/v3/auth/projects" && req.method === "GET") {
    const project = cloud.projects.get(caller.principal.projectId);
    return {
      status: 200,
      body: {
        projects: project
          ? [{ id: project.id, name: project.name, domain_id: DEFAULT_DOMAIN.id, enabled: true, is_domain: false }]
          : [],
      },
    };
  }
  return keystoneError(404, "Not Found", "The resource could not be found.");
}

function tokensRoute(cloud: OpenStackCloud, tokens: TokenStore, req: ApiRequest): ApiResponse {
  const withCatalog = !req.query.has("nocatalog");
  switch (req.method) {
    case "POST": {
      try {
        const body = readJson(req);
        const issued = tokens.issue(authenticate(cloud, tokens, isRecord(body) ? body.auth : undefined));
        return {
          status: 201,
          headers: { "x-subject-token": issued.token },
          body: tokenBody(cloud, issued.info, req.origin, withCatalog),
        };
      } catch (error) {
        if (error instanceof MalformedBody) return keystoneError(400, "Bad Request", "Malformed request body.");
        if (error instanceof AuthFailure)
          return keystoneError(error.status, error.status === 400 ? "Bad Request" : "Unauthorized", error.message);
        throw error;
      }
    }
    case "GET":
    case "HEAD":
    case "DELETE": {
      if (!tokens.validate(header(req, "x-auth-token")))
        return keystoneError(401, "Unauthorized", "The request you have made requires authentication.");
      const subject = header(req, "x-subject-token");
      const info = tokens.validate(subject);
      if (!info || subject === undefined) return keystoneError(404, "Not Found", "Could not find token.");
      if (req.method === "DELETE") {
        tokens.revoke(subject);
        return { status: 204 };
      }
      return {
        status: 200,
        headers: { "x-subject-token": subject },
        ...(req.method === "GET" ? { body: tokenBody(cloud, info, req.origin, withCatalog) } : {}),
      };
    }
    default:
      return keystoneError(405, "Method Not Allowed", "The method is not allowed for the requested URL.");
  }
}
