import { ConfigError } from "../../model/errors.js";
import type { EndpointInterface } from "./connection.js";

export interface CatalogEndpoint {
  readonly interface?: string;
  readonly region?: string;
  readonly region_id?: string;
  readonly url?: string;
}

export interface CatalogService {
  readonly type?: string;
  readonly name?: string;
  readonly endpoints?: readonly CatalogEndpoint[];
}

export interface EndpointQuery {
  readonly serviceType: string;
  readonly interface: EndpointInterface;
  readonly region?: string;
  /** Substituted into templated URLs and stripped for version discovery. */
  readonly projectId?: string;
}

/** Picks an endpoint by service type + interface (+ region_id or region), as keystoneauth does. */
export function selectEndpoint(catalog: readonly CatalogService[], query: EndpointQuery): string {
  const services = catalog.filter((s) => s.type === query.serviceType);
  const candidates = services
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => typeof e.url === "string" && e.url !== "");
  const matching = candidates.filter(
    (e) =>
      normalizeInterface(e.interface) === query.interface &&
      (query.region === undefined || e.region_id === query.region || e.region === query.region),
  );
  const chosen = matching[0];
  if (chosen?.url) return fillProject(chosen.url, query.projectId);
  const available =
    candidates.map((e) => `${e.interface ?? "?"}/${e.region_id ?? e.region ?? "?"}`).join(", ") || "none";
  const region = query.region ? ` in region ${query.region}` : "";
  throw new ConfigError([
    {
      message: `openstack: the Keystone catalog has no ${query.serviceType} endpoint with interface ${query.interface}${region} (available: ${available}); set region_name/interface or ${query.serviceType.replace("-", "_")}_endpoint_override`,
    },
  ]);
}

function normalizeInterface(value: string | undefined): string | undefined {
  return value?.toLowerCase().replace(/url$/, "");
}

/** Legacy templated endpoints: `…/v2.1/%(tenant_id)s`. */
function fillProject(url: string, projectId: string | undefined): string {
  if (projectId === undefined) return url;
  return url.replace(/[%$]\((tenant_id|project_id)\)s/g, projectId);
}

/** The URL to read the version document from: a trailing project id or template removed (keystoneauth `_get_discovery_url_choices`). */
export function discoveryBase(url: string, projectId: string | undefined): string {
  let base = url.replace(/\/+$/, "");
  base = base.replace(/\/[%$]\((tenant_id|project_id)\)s$/, "");
  if (projectId && base.endsWith(`/${projectId}`)) base = base.slice(0, -projectId.length - 1);
  return base;
}

/** `auth_url` may be versioned or not: always end in `/v3`. */
export function identityV3(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, "");
  if (/\/v3$/.test(base)) return base;
  if (/\/v2\.0$/.test(base)) return `${base.slice(0, -"/v2.0".length)}/v3`;
  return `${base}/v3`;
}
