import { CloudError, ConfigError } from "../../model/errors.js";
import type { HttpClient } from "../http/client.js";
import type { RequestSigner } from "../http/types.js";

/**
 * The highest compute microversion this client was written and tested for: Nova 31 (2025.1 "Epoxy"). The server
 * document fields added after 2.93 are read or ignored: 2.94 `OS-EXT-SRV-ATTR:hostname` may be a FQDN (ignored),
 * 2.96 `pinned_availability_zone` (ignored), 2.98 `image.properties` (ignored: only `image.id` is read; a volume-backed
 * server's `image` stays ""), 2.100 `scheduler_hints` (ignored). 2.95, 2.97 and 2.99 change no server document.
 */
export const CLIENT_MAX_MICROVERSION = "2.100";

export interface Microversion {
  readonly major: number;
  readonly minor: number;
}

export function parseMicroversion(text: string): Microversion | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatMicroversion(v: Microversion): string {
  return `${v.major}.${v.minor}`;
}

/** At least `min` ("2.54")? */
export function atLeast(version: string, min: string): boolean {
  const v = parseMicroversion(version);
  const m = parseMicroversion(min);
  return v !== undefined && m !== undefined && compareMicroversions(v, m) >= 0;
}

/** Headers that select the microversion on every Nova call (the new one wins when both are sent). */
export function microversionHeaders(version: string): Record<string, string> {
  return { "OpenStack-API-Version": `compute ${version}`, "X-OpenStack-Nova-API-Version": version };
}

/** The compute microversion an answer says it was made at (`OpenStack-API-Version`, else the legacy header). */
export function servedMicroversion(headers: Readonly<Record<string, string>>): string | undefined {
  for (const part of (headers["openstack-api-version"] ?? "").split(",")) {
    const [service, value] = part.trim().split(/\s+/);
    if (service?.toLowerCase() === "compute" && value !== undefined) return value;
  }
  return headers["x-openstack-nova-api-version"]?.trim() || undefined;
}

interface VersionEntry {
  readonly id?: string;
  readonly status?: string;
  readonly version?: string;
  readonly min_version?: string;
}

/** From `{"version": {...}}` (GET /v2.1/) or `{"versions": [...]}` (GET /): the v2.1 entry's max and min. */
export function readVersionDocument(json: unknown): { readonly max: string; readonly min: string } | undefined {
  const doc = json as { version?: VersionEntry; versions?: readonly VersionEntry[] } | undefined;
  const entry =
    doc?.version ?? doc?.versions?.find((v) => v.id === "v2.1") ?? doc?.versions?.find((v) => v.status === "CURRENT");
  if (!entry) return undefined;
  return { max: entry.version || "2.1", min: entry.min_version || "2.1" };
}

/** The microversion to use: the pinned one (checked against the server's range), else min(server max, ours). */
export function chooseMicroversion(
  server: { readonly max: string; readonly min: string },
  pinned: string | undefined,
): string {
  const max = parseMicroversion(server.max) ?? { major: 2, minor: 1 };
  if (pinned !== undefined && pinned !== "latest") {
    const wanted = parseMicroversion(pinned);
    if (!wanted)
      throw new ConfigError([
        { message: `openstack: compute_api_version "${pinned}" is not a microversion like 2.79` },
      ]);
    if (compareMicroversions(wanted, max) > 0)
      throw new ConfigError([
        { message: `openstack: compute_api_version ${pinned} is above the server's maximum ${server.max}` },
      ]);
    return formatMicroversion(wanted);
  }
  const ours = parseMicroversion(CLIENT_MAX_MICROVERSION) as Microversion;
  return formatMicroversion(compareMicroversions(max, ours) < 0 ? max : ours);
}

/** Reads the compute version document (GET with a trailing slash) and negotiates. */
export async function negotiateMicroversion(
  http: HttpClient,
  req: {
    readonly discoveryUrl: string;
    readonly pinned?: string;
    readonly signer: RequestSigner;
    readonly signal: AbortSignal;
  },
): Promise<string> {
  const url = `${req.discoveryUrl.replace(/\/+$/, "")}/`;
  const res = await http.request({
    method: "GET",
    url,
    operation: "GET compute version document",
    signer: req.signer,
    signal: req.signal,
    accept: [300],
  });
  const range = readVersionDocument(res.json);
  if (!range)
    throw new CloudError({
      provider: http.provider,
      operation: "GET compute version document",
      status: res.status,
      cloudMessage: `no v2.1 version entry at ${url}`,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    });
  return chooseMicroversion(range, req.pinned);
}

export interface RebuildFeatures {
  /** `key_name` in the rebuild (2.54). */
  readonly setsKeyPair: boolean;
  /** `user_data` in the rebuild (2.57). */
  readonly setsUserData: boolean;
  /** `key_name: null` (2.54). */
  readonly removesKeyPair: boolean;
  /** A volume-backed server's root volume is re-imaged (2.93); below, another image is refused and the same one leaves the volume as it is. */
  readonly reimagesBootVolume: boolean;
}

/** What the negotiated microversion lets a rebuild do. */
export function rebuildFeatures(version: string): RebuildFeatures {
  return {
    setsKeyPair: atLeast(version, "2.54"),
    setsUserData: atLeast(version, "2.57"),
    removesKeyPair: atLeast(version, "2.54"),
    reimagesBootVolume: atLeast(version, "2.93"),
  };
}
