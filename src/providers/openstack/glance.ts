import type { ImageRef } from "../../model/desired.js";
import type { ImageResolution } from "../../model/provider.js";
import type { HttpClient } from "../http/client.js";
import type { QueryValue, RequestSigner } from "../http/types.js";

interface GlanceImage {
  readonly id: string;
  readonly name?: string | null;
  readonly [property: string]: unknown;
}

type Found = Extract<ImageResolution["result"], { type: "found" }>;
type Result = ImageResolution["result"];

/** Glance v2 image lookups, cached for the life of the client (one run). */
export class GlanceClient {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #signer: RequestSigner;
  readonly #cache = new Map<string, Promise<Result>>();

  constructor(http: HttpClient, endpoint: string, signer: RequestSigner) {
    this.#http = http;
    this.#base = endpoint.replace(/\/+$/, "").replace(/\/v2$/, "");
    this.#signer = signer;
  }

  /** Resolves every ref; one request per distinct id or name (list pages followed), results cached. */
  async resolve(refs: readonly ImageRef[], signal: AbortSignal): Promise<ImageResolution[]> {
    const results: ImageResolution[] = [];
    for (const ref of refs) {
      const key = "id" in ref ? `id:${ref.id}` : `name:${ref.name}`;
      let pending = this.#cache.get(key);
      if (!pending) {
        pending = "id" in ref ? this.#byId(ref.id, signal) : this.#byName(ref.name, signal);
        this.#cache.set(key, pending);
        pending.catch(() => this.#cache.delete(key));
      }
      results.push({ ref, result: await pending });
    }
    return results;
  }

  async #byId(id: string, signal: AbortSignal): Promise<Result> {
    const res = await this.#http.request({
      method: "GET",
      url: `${this.#base}/v2/images/${encodeURIComponent(id)}`,
      operation: "GET /v2/images/{id}",
      signer: this.#signer,
      signal,
      accept: [404],
    });
    if (res.status === 404) return { type: "error", message: `image id ${id} not found` };
    return found(res.json as GlanceImage);
  }

  async #byName(name: string, signal: AbortSignal): Promise<Result> {
    const images: GlanceImage[] = [];
    let url = `${this.#base}/v2/images`;
    let query: Record<string, QueryValue> | undefined = { name, limit: 1000 };
    for (let page = 0; page < 1000; page++) {
      const res = await this.#http.request({
        method: "GET",
        url,
        ...(query ? { query } : {}),
        operation: "GET /v2/images?name=",
        signer: this.#signer,
        signal,
      });
      const body = (res.json ?? {}) as { images?: GlanceImage[]; next?: string };
      images.push(...(body.images ?? []));
      if (!body.next || (body.images ?? []).length === 0) break;
      // Glance's `next` is a path with its query, e.g. "/v2/images?marker=…&name=…".
      url = new URL(body.next, `${this.#base}/`).toString().replace(/^[^?]*\/v2\/images/, `${this.#base}/v2/images`);
      query = undefined;
    }
    const exact = images.filter((image) => image.name === name);
    if (exact.length === 0)
      return { type: "error", message: `no image named ${name}`, known: await this.#someNames(signal) };
    if (exact.length > 1)
      return { type: "error", message: `image name ${name} is ambiguous: ids ${exact.map((i) => i.id).join(", ")}` };
    return found(exact[0] as GlanceImage);
  }

  /** Names of the images the project sees, one page: what a name not found is compared with for a suggestion. */
  async #someNames(signal: AbortSignal): Promise<string[]> {
    const res = await this.#http.request({
      method: "GET",
      url: `${this.#base}/v2/images`,
      query: { limit: 1000 },
      operation: "GET /v2/images",
      signer: this.#signer,
      signal,
    });
    const body = (res.json ?? {}) as { images?: GlanceImage[] };
    return [
      ...new Set(
        (body.images ?? []).flatMap((image) =>
          typeof image.name === "string" && image.name !== "" ? [image.name] : [],
        ),
      ),
    ];
  }
}

const CORE_FIELDS = new Set([
  "id",
  "name",
  "status",
  "visibility",
  "checksum",
  "size",
  "virtual_size",
  "created_at",
  "updated_at",
  "tags",
  "self",
  "file",
  "schema",
  "locations",
  "direct_url",
  "owner",
  "min_disk",
  "min_ram",
  "protected",
  "os_hidden",
  "os_hash_algo",
  "os_hash_value",
  "container_format",
  "disk_format",
]);

function found(image: GlanceImage): Found {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(image)) {
    if (!CORE_FIELDS.has(key) && (typeof value === "string" || typeof value === "number" || typeof value === "boolean"))
      properties[key] = String(value);
  }
  return { type: "found", id: image.id, name: image.name ?? "", properties };
}
