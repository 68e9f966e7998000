import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { header, segments } from "../http.js";
import type { Microversion } from "./microversion.js";
import { compareMicroversions, formatMicroversion, parseMicroversion } from "./microversion.js";
import type { VolumeState } from "./state-types.js";
import type { OpenStackCloud, Principal } from "./state.js";
import type { TokenStore } from "./tokens.js";

/** Cinder 26 (2025.1 "Epoxy") serves volume API microversions 3.0 to 3.71; `osapi_max_limit` is 1000. */
const MIN_VERSION: Microversion = { major: 3, minor: 0 };
const MAX_VERSION: Microversion = { major: 3, minor: 71 };
const MAX_LIMIT = 1000;
const UNAUTHORIZED = {
  error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
};
const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  413: "overLimit",
  429: "overLimit",
  503: "serviceUnavailable",
};

function cinderFault(status: number, message: string): ApiResponse {
  return { status, body: { [FAULT_NAMES[status] ?? "computeFault"]: { code: status, message } } };
}

function versionDoc(origin: string) {
  return {
    id: "v3.0",
    status: "CURRENT",
    version: formatMicroversion(MAX_VERSION),
    min_version: formatMicroversion(MIN_VERSION),
    updated: "2023-08-31T00:00:00Z",
    links: [
      { rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" },
      { rel: "self", href: `${origin}/volume/v3/` },
    ],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.volume+json;version=3" }],
  };
}

/**
 * The subset of Cinder's block storage API v3 that reads volume-backed servers: version documents, volume list
 * (summary and detail: `limit`/`marker` paging with `volumes_links`, filters `bootable`, `status`, `name`), volume
 * show, with `volume_image_metadata` and attachments. Volumes are created by the world (root volumes of
 * `bootFromVolume` servers, `volumes:`) and re-imaged by Nova's rebuild at 2.93 or later.
 */
export function createCinder(cloud: OpenStackCloud, tokens: TokenStore): ApiService {
  return {
    prefix: "/volume",
    injectErrors: true,
    isExempt: (req) => req.path === "/" || /^\/v3\/?$/.test(req.path),
    faultBody: (status) =>
      cinderFault(
        status,
        status === 429 ? "Too Many Requests" : "The server is currently unavailable. Please try again at a later time.",
      ).body,
    commonHeaders: () => ({}),
    handle: (req) => handle(cloud, tokens, req),
  };
}

function handle(cloud: OpenStackCloud, tokens: TokenStore, req: ApiRequest): ApiResponse {
  if (req.method === "GET" && req.path === "/") return { status: 300, body: { versions: [versionDoc(req.origin)] } };
  if (req.method === "GET" && /^\/v3\/?$/.test(req.path))
    return { status: 200, body: { versions: [versionDoc(req.origin)] } };
  const info = tokens.validate(header(req, "x-auth-token"));
  if (!info)
    return {
      status: 401,
      headers: { "www-authenticate": `Keystone uri="${req.origin}/identity/v3"`, "content-type": "application/json" },
      body: UNAUTHORIZED,
    };
  const version = negotiate(req);
  if (typeof version === "string") return cinderFault(406, version);
  const headers = { "openstack-api-version": `volume ${formatMicroversion(version)}`, vary: "OpenStack-API-Version" };
  return { ...route(cloud, info.principal, req), headers };
}

/** `OpenStack-API-Version: volume 3.N` (none: 3.0); out of range: the message of a 406. */
function negotiate(req: ApiRequest): Microversion | string {
  const requested = (header(req, "openstack-api-version") ?? "")
    .split(",")
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service?.toLowerCase() === "volume")?.[1];
  if (requested === undefined) return MIN_VERSION;
  if (requested.toLowerCase() === "latest") return MAX_VERSION;
  const version = parseMicroversion(requested);
  if (!version || compareMicroversions(version, MIN_VERSION) < 0 || compareMicroversions(version, MAX_VERSION) > 0) {
    return `Version ${requested} is not supported by the API. Minimum is ${formatMicroversion(MIN_VERSION)} and maximum is ${formatMicroversion(MAX_VERSION)}.`;
  }
  return version;
}

function route(cloud: OpenStackCloud, principal: Principal, req: ApiRequest): ApiResponse {
  const parts = segments(req.path);
  if (parts[0] !== "v3") return cinderFault(404, "The resource could not be found.");
  // `/v3/{project_id}/volumes…`, or `/v3/volumes…` (project id no longer needed from Cinder 3.67 on).
  let rest = parts.slice(1);
  if (rest[0] !== "volumes") {
    if (rest[0] !== principal.projectId) return cinderFault(400, "Malformed request url");
    rest = rest.slice(1);
  }
  if (rest[0] !== "volumes" || rest.length > 2) return cinderFault(404, "The resource could not be found.");
  if (req.method !== "GET") return cinderFault(405, "The method is not allowed for the requested URL.");
  const id = rest[1];
  if (id === undefined || id === "detail") return listVolumes(cloud, principal, req, id === "detail");
  const volume = cloud.volume(id);
  if (!volume || volume.projectId !== principal.projectId) return cinderFault(404, `Volume ${id} could not be found.`);
  return { status: 200, body: { volume: volumeDetail(cloud, req, volume) } };
}

function listVolumes(cloud: OpenStackCloud, principal: Principal, req: ApiRequest, detail: boolean): ApiResponse {
  const q = req.query;
  const limitText = q.get("limit");
  if (limitText !== null && !/^\d+$/.test(limitText)) return cinderFault(400, "limit param must be an integer");
  const limit = Math.min(limitText === null ? MAX_LIMIT : Number(limitText), MAX_LIMIT);
  const all = cloud.volumesNewestFirst().filter((v) => v.projectId === principal.projectId && matches(v, q));
  const marker = q.get("marker");
  let start = 0;
  if (marker !== null) {
    const index = all.findIndex((v) => v.id === marker);
    if (index < 0) return cinderFault(404, `Marker ${marker} could not be found.`);
    start = index + 1;
  }
  const page = limit === 0 ? [] : all.slice(start, start + limit);
  const body: Record<string, unknown> = {
    volumes: page.map((v) => (detail ? volumeDetail(cloud, req, v) : volumeSummary(req, v))),
  };
  const last = page[page.length - 1];
  if (last && page.length === limit) {
    const params = new URLSearchParams(q);
    params.set("limit", String(limit));
    params.set("marker", last.id);
    body.volumes_links = [
      {
        rel: "next",
        href: `${req.origin}/volume/v3/${principal.projectId}/volumes${detail ? "/detail" : ""}?${params.toString()}`,
      },
    ];
  }
  return { status: 200, body };
}

/** Cinder's filters at 3.0: `bootable` (a boolean in any of its spellings), `status`, `name`; others are dropped for non-admins. */
function matches(volume: VolumeState, q: URLSearchParams): boolean {
  const bootable = q.get("bootable");
  const status = q.get("status");
  const name = q.get("name");
  if (bootable !== null && /^(true|t|yes|y|on|1)$/i.test(bootable) !== volume.bootable) return false;
  if (status !== null && volume.status !== status) return false;
  if (name !== null && volume.name !== name) return false;
  return true;
}

function links(req: ApiRequest, volume: VolumeState) {
  return [
    { rel: "self", href: `${req.origin}/volume/v3/${volume.projectId}/volumes/${volume.id}` },
    { rel: "bookmark", href: `${req.origin}/volume/${volume.projectId}/volumes/${volume.id}` },
  ];
}

function volumeSummary(req: ApiRequest, volume: VolumeState): Record<string, unknown> {
  return { id: volume.id, name: volume.name, links: links(req, volume) };
}

/** A volume as `GET /volumes/detail` shows it at 3.0; attachments only while attached (not while reserved for re-imaging). */
function volumeDetail(cloud: OpenStackCloud, req: ApiRequest, volume: VolumeState): Record<string, unknown> {
  const a = volume.attachment;
  const doc: Record<string, unknown> = {
    id: volume.id,
    status: volume.status,
    size: volume.size,
    availability_zone: "nova",
    created_at: volume.createdAt,
    updated_at: volume.updatedAt,
    name: volume.name,
    description: null,
    volume_type: "__DEFAULT__",
    snapshot_id: null,
    source_volid: null,
    metadata: {},
    links: links(req, volume),
    user_id: volume.userId,
    bootable: String(volume.bootable),
    encrypted: false,
    replication_status: null,
    consistencygroup_id: null,
    multiattach: false,
    attachments: a
      ? [
          {
            id: volume.id,
            attachment_id: a.id,
            volume_id: volume.id,
            server_id: a.serverId,
            host_name: null,
            device: a.device,
            attached_at: a.attachedAt,
          },
        ]
      : [],
    "os-vol-tenant-attr:tenant_id": volume.projectId,
  };
  const image = volume.imageId === null ? undefined : cloud.images.get(volume.imageId);
  if (volume.imageId !== null) {
    doc.volume_image_metadata = {
      ...(image?.properties ?? {}),
      image_id: volume.imageId,
      image_name: image?.name ?? "",
      container_format: "bare",
      disk_format: "qcow2",
      min_disk: "0",
      min_ram: "0",
      size: "1073741824",
    };
  }
  return doc;
}
