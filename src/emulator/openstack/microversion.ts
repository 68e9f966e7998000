import type { ApiRequest } from "../http.js";
import { header } from "../http.js";

/** A compute microversion as a comparable pair. */
export interface Microversion {
  readonly major: number;
  readonly minor: number;
}

export const MIN_MICROVERSION: Microversion = { major: 2, minor: 1 };

export function parseMicroversion(text: string): Microversion | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

/** True when `v` is at least `2.minor`. */
export function atLeast(v: Microversion, minor: number): boolean {
  return compareMicroversions(v, { major: 2, minor }) >= 0;
}

export type Negotiation =
  | { readonly type: "ok"; readonly version: Microversion }
  | { readonly type: "error"; readonly status: 400 | 406; readonly message: string; readonly version: Microversion };

/** The requested compute microversion: `OpenStack-API-Version: compute 2.N` wins over the legacy header; none → 2.1. */
export function negotiate(req: ApiRequest, max: Microversion): Negotiation {
  const requested = requestedVersion(req);
  if (requested === undefined) return { type: "ok", version: MIN_MICROVERSION };
  if (requested.toLowerCase() === "latest") return { type: "ok", version: max };
  const version = parseMicroversion(requested);
  if (!version) {
    return {
      type: "error",
      status: 400,
      message: `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`,
      version: MIN_MICROVERSION,
    };
  }
  if (compareMicroversions(version, MIN_MICROVERSION) < 0 || compareMicroversions(version, max) > 0) {
    const message = `Version ${formatMicroversion(version)} is not supported by the API. Minimum is ${formatMicroversion(MIN_MICROVERSION)} and maximum is ${formatMicroversion(max)}.`;
    // real Nova echoes the requested version in the 406's headers (OpenStack-API-Version: compute 2.999)
    return { type: "error", status: 406, message, version };
  }
  return { type: "ok", version };
}

function requestedVersion(req: ApiRequest): string | undefined {
  const modern = header(req, "openstack-api-version");
  if (modern !== undefined) {
    for (const part of modern.split(",")) {
      const [service, value] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === "compute" && value !== undefined) return value;
    }
  }
  return header(req, "x-openstack-nova-api-version");
}

export function versionHeaders(v: Microversion): Record<string, string> {
  const text = formatMicroversion(v);
  return {
    "openstack-api-version": `compute ${text}`,
    "x-openstack-nova-api-version": text,
    vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
  };
}
