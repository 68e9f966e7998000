import type { CloudEntry } from "./cloud-config.js";

/**
 * A deliberately small OpenStack REST client for the suite's own fixtures and assertions (fetch, no
 * reform code): what reform did is checked through a second, independent reading of the APIs.
 */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

type Service = "compute" | "image" | "identity" | "volume";

interface CatalogEntry {
  readonly type: string;
  readonly endpoints: readonly {
    readonly interface: string;
    readonly region?: string;
    readonly region_id?: string;
    readonly url: string;
  }[];
}

export class OpenStackApi {
  private constructor(
    private readonly token: string | undefined,
    private readonly endpoints: Readonly<Record<Service, string | undefined>>,
    /** The Keystone user the token belongs to (Keystone auth only). */
    readonly userId: string | undefined,
    readonly projectId: string | undefined,
  ) {}

  /** Authenticates as the clouds.yaml entry says (password, v3applicationcredential, token, admin_token, none). */
  static async connect(entry: CloudEntry): Promise<OpenStackApi> {
    const auth = (entry["auth"] ?? {}) as Record<string, string | undefined>;
    const type = String(entry["auth_type"] ?? "password").toLowerCase();
    const overrides = {
      compute: str(entry["compute_endpoint_override"]) ?? auth["endpoint"],
      image: str(entry["image_endpoint_override"]),
      identity: auth["auth_url"],
      volume: str(entry["block_storage_endpoint_override"]) ?? str(entry["volume_endpoint_override"]),
    };
    if (type === "admin_token" || type === "none" || type === "noauth") {
      return new OpenStackApi(type === "admin_token" ? auth["token"] : undefined, overrides, undefined, undefined);
    }
    const authUrl = (auth["auth_url"] ?? "").replace(/\/+$/, "");
    const base = authUrl.endsWith("/v3") ? authUrl : `${authUrl}/v3`;
    const response = await fetch(`${base}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(keystoneBody(type, auth)),
    });
    const token = response.headers.get("x-subject-token");
    const body = (await response.json().catch(() => ({}))) as {
      token?: { catalog?: CatalogEntry[]; user?: { id: string }; project?: { id: string } };
    };
    if (response.status !== 201 || !token)
      throw new Error(`Keystone refused the suite's credentials: HTTP ${response.status}`);
    const iface = String(entry["interface"] ?? "public").replace(/URL$/i, "");
    const region = str(entry["region_name"]);
    const find = (service: string) => pickEndpoint(body.token?.catalog ?? [], service, iface, region);
    const volume = overrides.volume ?? find("block-storage") ?? find("volumev3");
    return new OpenStackApi(
      token,
      {
        compute: overrides.compute ?? find("compute"),
        image: overrides.image ?? find("image"),
        identity: base,
        volume,
      },
      body.token?.user?.id,
      body.token?.project?.id,
    );
  }

  /** A Nova request at the given microversion (2.57 by default: rebuild with user_data and key_name). */
  nova(method: string, path: string, body?: unknown, microversion = "2.57"): Promise<ApiResponse> {
    return this.call("compute", method, path, body, {
      "OpenStack-API-Version": `compute ${microversion}`,
      "X-OpenStack-Nova-API-Version": microversion,
    });
  }

  glance(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse> {
    return this.call(
      "image",
      method,
      path.startsWith("/v2") ? path : `/v2${path}`,
      body,
      contentType ? { "content-type": contentType } : {},
    );
  }

  /** A Cinder (block storage v3) request; the endpoint includes the project id, as the catalog gives it. */
  cinder(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.call("volume", method, path, body, {});
  }

  /** Whether this cloud has a block storage API (catalog volumev3 / block-storage, or an override). */
  get hasVolumes(): boolean {
    return this.endpoints.volume !== undefined;
  }

  keystone(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.call("identity", method, path, body, {});
  }

  /** The token the suite authenticated with: scanned for in reform's output. */
  get secretToken(): string | undefined {
    return this.token;
  }

  private async call(
    service: Service,
    method: string,
    path: string,
    body: unknown,
    extra: Record<string, string>,
  ): Promise<ApiResponse> {
    const base = this.endpoints[service];
    if (!base) throw new Error(`no ${service} endpoint in the catalog (or override) of this cloud`);
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (this.token) headers["x-auth-token"] = this.token;
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${base.replace(/\/+$/, "")}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
}

/** Fails with the method, path, status and the start of the body when the status is not one of `ok`. */
export function expectStatus(response: ApiResponse, ok: readonly number[], what: string): ApiResponse {
  if (!ok.includes(response.status)) throw new Error(`${what}: HTTP ${response.status} ${response.text.slice(0, 400)}`);
  return response;
}

function keystoneBody(type: string, auth: Record<string, string | undefined>): unknown {
  const domain = (id?: string, name?: string) => (id ? { id } : { name: name ?? "Default" });
  const userDomain = domain(
    auth["user_domain_id"] ?? auth["domain_id"],
    auth["user_domain_name"] ?? auth["domain_name"],
  );
  const user = auth["user_id"] ? { id: auth["user_id"] } : { name: auth["username"], domain: userDomain };
  if (type.includes("application")) {
    const credential = auth["application_credential_id"]
      ? { id: auth["application_credential_id"] }
      : { name: auth["application_credential_name"], user };
    return {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { ...credential, secret: auth["application_credential_secret"] },
        },
      },
    };
  }
  const projectDomain = domain(
    auth["project_domain_id"] ?? auth["domain_id"],
    auth["project_domain_name"] ?? auth["domain_name"],
  );
  const project = auth["project_id"]
    ? { id: auth["project_id"] }
    : { name: auth["project_name"], domain: projectDomain };
  if (type === "token" || type === "v3token")
    return { auth: { identity: { methods: ["token"], token: { id: auth["token"] } }, scope: { project } } };
  return {
    auth: {
      identity: { methods: ["password"], password: { user: { ...user, password: auth["password"] } } },
      scope: { project },
    },
  };
}

function pickEndpoint(
  catalog: readonly CatalogEntry[],
  type: string,
  iface: string,
  region: string | undefined,
): string | undefined {
  const endpoints = catalog.find((entry) => entry.type === type)?.endpoints ?? [];
  const match = endpoints.find(
    (e) => e.interface === iface && (!region || e.region === region || e.region_id === region),
  );
  return match?.url;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
