import { createHash } from "node:crypto";
import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { header, segments } from "../http.js";
import type { ImageState } from "./state-types.js";
import type { OpenStackCloud, Principal } from "./state.js";
import type { TokenStore } from "./tokens.js";

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 1000;
const UNAUTHORIZED = {
  error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
};
const LIST_PARAMS = new Set([
  "name",
  "id",
  "status",
  "visibility",
  "limit",
  "marker",
  "sort_key",
  "sort_dir",
  "sort",
  "owner",
  "member_status",
  "os_hidden",
  "tag",
  "disk_format",
  "container_format",
]);

function glanceError(status: number, title: string, message: string): ApiResponse {
  return { status, body: { code: `${status} ${title}`, title, message } };
}

function versions(origin: string) {
  const entry = (id: string, status: string) => ({ id, status, links: [{ rel: "self", href: `${origin}/image/v2/` }] });
  return {
    versions: [
      entry("v2.15", "CURRENT"),
      ...["v2.13", "v2.12", "v2.9", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"].map((id) =>
        entry(id, "SUPPORTED"),
      ),
    ],
  };
}

/** A Glance v2 image document, properties flattened into it as Glance does. */
export function imageView(cloud: OpenStackCloud, image: ImageState): Record<string, unknown> {
  const checksum = createHash("md5").update(image.id).digest("hex");
  const owner = [...cloud.projects.values()][0]?.id ?? "";
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: "active",
    visibility: image.visibility,
    protected: false,
    os_hidden: false,
    disk_format: "qcow2",
    container_format: "bare",
    min_disk: 0,
    min_ram: 0,
    size: 1073741824,
    virtual_size: null,
    checksum,
    os_hash_algo: "sha512",
    os_hash_value: createHash("sha512").update(image.id).digest("hex"),
    owner,
    tags: [],
    created_at: image.createdAt,
    updated_at: image.createdAt,
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: "/v2/schemas/image",
  };
}

/** Glance v2: version discovery, image list with filters and marker pagination, image show. */
export function createGlance(cloud: OpenStackCloud, tokens: TokenStore): ApiService {
  return {
    prefix: "/image",
    injectErrors: true,
    isExempt: (req) => req.path === "/" || req.path === "/versions",
    faultBody: (status) =>
      glanceError(status, status === 429 ? "Too Many Requests" : "Service Unavailable", "Try again later.").body,
    commonHeaders: () => ({}),
    handle: (req) => route(cloud, tokens, req),
  };
}

function route(cloud: OpenStackCloud, tokens: TokenStore, req: ApiRequest): ApiResponse {
  if (req.method !== "GET")
    return glanceError(405, "Method Not Allowed", "The method is not allowed for this resource.");
  if (req.path === "/") return { status: 300, body: versions(req.origin) };
  if (req.path === "/versions") return { status: 200, body: versions(req.origin) };
  const info = tokens.validate(header(req, "x-auth-token"));
  if (!info)
    return {
      status: 401,
      headers: { "www-authenticate": `Keystone uri="${req.origin}/identity/v3"` },
      body: UNAUTHORIZED,
    };
  const parts = segments(req.path);
  if (parts[0] !== "v2" || parts[1] !== "images" || parts.length > 3)
    return glanceError(404, "Not Found", "The resource could not be found.");
  const id = parts[2];
  if (id === undefined) return listImages(cloud, info.principal, req);
  const image = cloud.images.get(id);
  if (!image || !visible(image, info.principal, cloud))
    return glanceError(404, "Not Found", `No image found with ID ${id}`);
  return { status: 200, body: imageView(cloud, image) };
}

function visible(image: ImageState, principal: Principal, cloud: OpenStackCloud): boolean {
  return (
    image.visibility !== "private" || principal.isAdmin || [...cloud.projects.values()][0]?.id === principal.projectId
  );
}

function listImages(cloud: OpenStackCloud, principal: Principal, req: ApiRequest): ApiResponse {
  const q = req.query;
  for (const key of q.keys())
    if (!LIST_PARAMS.has(key)) return glanceError(400, "Bad Request", `Invalid filter or sort key: ${key}`);
  const limitText = q.get("limit");
  if (limitText !== null && !/^\d+$/.test(limitText))
    return glanceError(400, "Bad Request", "limit param must be an integer");
  const limit = Math.min(limitText === null ? DEFAULT_LIMIT : Number(limitText), MAX_LIMIT);
  const marker = q.get("marker");
  const all = [...cloud.images.values()]
    .reverse()
    .filter((image) => visible(image, principal, cloud) && matches(image, q));
  let start = 0;
  if (marker !== null) {
    const index = all.findIndex((image) => image.id === marker);
    if (index < 0) return glanceError(400, "Bad Request", `marker ${marker} could not be found.`);
    start = index + 1;
  }
  const page = all.slice(start, start + limit);
  const body: Record<string, unknown> = {
    images: page.map((image) => imageView(cloud, image)),
    first: "/v2/images",
    schema: "/v2/schemas/images",
  };
  const last = page[page.length - 1];
  if (last && page.length === limit) {
    const params = new URLSearchParams(q);
    params.set("marker", last.id);
    body.next = `/v2/images?${params.toString()}`;
  }
  return { status: 200, body };
}

function matches(image: ImageState, q: URLSearchParams): boolean {
  const name = q.get("name");
  const id = q.get("id");
  const status = q.get("status");
  const visibility = q.get("visibility");
  if (name !== null && image.name !== name) return false;
  if (id !== null && image.id !== id) return false;
  if (status !== null && status !== "active") return false;
  if (visibility !== null && visibility !== "all" && image.visibility !== visibility) return false;
  return true;
}
