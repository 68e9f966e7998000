import { CloudError } from "../../model/errors.js";
import type { HttpClient } from "../http/client.js";
import type { QueryValue, RequestSigner } from "../http/types.js";
import { queryOf } from "./nova.js";

/** Cinder's default `osapi_max_limit`: the largest page it serves. */
export const VOLUME_PAGE_LIMIT = 1000;

/** A volume attachment as Cinder's volume detail shows it (attached ones only). */
export interface CinderAttachment {
  readonly server_id?: string;
  /** Where the server sees the volume, e.g. "/dev/vda". */
  readonly device?: string | null;
}

/** The fields of a Cinder v3 volume (`GET /volumes/detail`) that reform reads. */
export interface CinderVolume {
  readonly id: string;
  readonly status?: string;
  /** "true" or "false" (a string in Cinder's answers). */
  readonly bootable?: string | boolean;
  readonly attachments?: readonly CinderAttachment[];
  /** The Glance image the volume was created from or last re-imaged with (`image_id`, `image_name`, ...). */
  readonly volume_image_metadata?: Readonly<Record<string, unknown>>;
}

interface VolumePage {
  readonly volumes?: readonly CinderVolume[];
  readonly volumes_links?: readonly { readonly rel?: string; readonly href?: string }[];
}

/** A thin Cinder (block storage v3) client: the bulk volume list reform reads the images of volume-backed servers from. */
export class CinderClient {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #signer: RequestSigner;
  /** GET requests made by listBootableVolumes, for tests and benchmarks. */
  listRequests = 0;

  /** `endpoint` is the v3 root with the project id (`…/v3/{project_id}`), as Keystone's catalog gives it. */
  constructor(http: HttpClient, endpoint: string, signer: RequestSigner) {
    this.#http = http;
    this.#base = endpoint.replace(/\/+$/, "");
    this.#signer = signer;
  }

  /**
   * Every bootable volume of the project: `GET /volumes/detail?bootable=true`, 1000 a page, following `volumes_links`
   * next until there is none or a page is empty. A server's root volume is always bootable (Nova refuses to boot from
   * one that is not), so data volumes are filtered out by Cinder, not read.
   */
  async listBootableVolumes(signal: AbortSignal): Promise<CinderVolume[]> {
    const volumes: CinderVolume[] = [];
    let params: Record<string, QueryValue> = { bootable: "true", limit: VOLUME_PAGE_LIMIT };
    for (;;) {
      this.listRequests++;
      const res = await this.#http.request({
        method: "GET",
        url: `${this.#base}/volumes/detail`,
        query: params,
        operation: "GET /volumes/detail",
        signer: this.#signer,
        signal,
      });
      const page = res.json as VolumePage | undefined;
      if (!Array.isArray(page?.volumes)) {
        throw new CloudError({
          provider: this.#http.provider,
          operation: "GET /volumes/detail",
          status: res.status,
          cloudMessage: `the answer has no "volumes" list (content-type ${res.headers["content-type"] ?? "none"})`,
          ...(res.requestId ? { requestId: res.requestId } : {}),
        });
      }
      volumes.push(...page.volumes);
      const next = page.volumes_links?.find((l) => l.rel === "next")?.href;
      if (!next || page.volumes.length === 0) return volumes;
      params = queryOf(next);
    }
  }
}

/**
 * The v3 root to call: a catalog URL without the project id (`…/v3`, served from Cinder 3.67 on) gets it appended, so
 * the calls work at the base microversion on every Cinder; `…/v3/{project_id}` is kept as it is.
 */
export function volumeBase(url: string, projectId: string | undefined): string {
  const base = url.replace(/\/+$/, "");
  return projectId !== undefined && /\/v3$/.test(base) ? `${base}/${projectId}` : base;
}
