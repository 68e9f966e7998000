import type { ApiResponse, ApiService } from "./http.js";
import { segments } from "./http.js";

/** Where `reform sim` serves the health of the emulated servers: `GET /health/servers/{id or name}`. */
export const HEALTH_PREFIX = "/health";

/** One emulated server as the health route judges it. */
export interface HealthSubject {
  readonly cloud: "openstack" | "huaweicloud" | "jdcloud";
  readonly id: string;
  readonly name: string;
  /** The status the cloud's API shows now, with its task if any (ACTIVE, REBUILD/rebuilding, SHUTOFF, running, stopped...). */
  readonly status: string;
  /** Whether that status is the cloud's settled, powered-on one (Nova/ECS ACTIVE with no task, JD running). */
  readonly running: boolean;
  /** The image the server runs: `healthy: false` when the world marks it so; undefined when no image is known. */
  readonly image: { readonly id: string; readonly name: string; readonly healthy: boolean } | undefined;
}

/** One cloud's servers whose id, or else name, is `key` (an id match is returned alone). */
export type HealthLookup = (key: string) => readonly HealthSubject[];

/**
 * The health route over every emulated cloud: 200 for a server that is running on an image the world does not mark
 * `healthy: false`, 503 (with why) otherwise, 404 for no such server, 409 for a name several servers have.
 * A test fixture, not a cloud API: no faults, no latency, no credentials.
 */
export function createHealthService(lookups: readonly HealthLookup[]): ApiService {
  return {
    prefix: HEALTH_PREFIX,
    injectErrors: false,
    isExempt: () => true,
    faultBody: () => ({}),
    commonHeaders: () => ({}),
    handle(req) {
      const parts = pathSegments(req.path);
      if (parts === undefined) return { status: 400, body: { error: "the path is not valid percent-encoding" } };
      if (parts.length !== 2 || parts[0] !== "servers")
        return { status: 404, body: { error: "not found: the health route is GET /health/servers/{id or name}" } };
      if (req.method !== "GET" && req.method !== "HEAD")
        return { status: 405, headers: { allow: "GET, HEAD" }, body: { error: `method ${req.method} not allowed` } };
      return healthOf(parts[1] ?? "", lookups);
    },
  };
}

function pathSegments(path: string): string[] | undefined {
  try {
    return segments(path);
  } catch {
    return undefined;
  }
}

function healthOf(key: string, lookups: readonly HealthLookup[]): ApiResponse {
  const found = lookups.flatMap((lookup) => lookup(key));
  const byId = found.filter((s) => s.id === key);
  const matches = byId.length > 0 ? byId : found;
  if (matches.length === 0)
    return { status: 404, body: { healthy: false, error: `no emulated server has the id or name "${key}"` } };
  if (matches.length > 1) {
    const which = matches.map((s) => `${s.cloud} ${s.id}`).join(", ");
    return {
      status: 409,
      body: { healthy: false, error: `${matches.length} emulated servers are named "${key}" (${which}): ask by id` },
    };
  }
  const server = matches[0] as HealthSubject;
  const why = unhealthyBecause(server);
  const body = {
    healthy: why === undefined,
    server: { cloud: server.cloud, id: server.id, name: server.name, status: server.status },
    ...(server.image ? { image: server.image } : {}),
  };
  return why === undefined ? { status: 200, body } : { status: 503, body: { ...body, reason: why } };
}

/** Why a server does not pass its health check, or undefined when it does. */
export function unhealthyBecause(server: HealthSubject): string | undefined {
  if (!server.running) return `the server is ${server.status}, not running`;
  if (server.image && !server.image.healthy)
    return `the server runs image ${server.image.name} (${server.image.id}), which the world marks healthy: false`;
  return undefined;
}
