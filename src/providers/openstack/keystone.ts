import type { Clock } from "../../model/clock.js";
import { CloudError } from "../../model/errors.js";
import type { HttpClient } from "../http/client.js";
import type { RequestSigner, SignableRequest } from "../http/types.js";
import { TOKEN_OPERATION } from "./auth-hints.js";
import type { CatalogService } from "./catalog.js";
import { identityV3, selectEndpoint } from "./catalog.js";
import type { OpenStackAuth, OpenStackConnection } from "./connection.js";

/** keystoneauth re-authenticates when fewer than this many seconds remain. */
export const MIN_TOKEN_LIFE_MS = 120_000;

interface CachedToken {
  readonly value: string;
  /** ms since epoch; Infinity when the token does not say. */
  readonly expiresAt: number;
  readonly catalog: readonly CatalogService[];
  readonly projectId?: string;
}

export type ServiceType = "compute" | "image" | "block-storage";

/** The catalog types a service is registered under, in the order they are looked for (block-storage: then its alias volumev3). */
const CATALOG_TYPES: Readonly<Record<ServiceType, readonly string[]>> = {
  compute: ["compute"],
  image: ["image"],
  "block-storage": ["block-storage", "volumev3"],
};

/**
 * Authentication for one cloud: Keystone v3 tokens (cached, refreshed when < 120 s remain, dropped on 401),
 * a fixed admin token, or none. Also the signer that adds X-Auth-Token to every request.
 */
export class KeystoneSession implements RequestSigner {
  readonly #http: HttpClient;
  readonly #conn: OpenStackConnection;
  readonly #clock: Clock;
  #cached: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;
  /** Number of token requests sent (for tests and debug). */
  authentications = 0;

  constructor(http: HttpClient, connection: OpenStackConnection, clock: Clock) {
    this.#http = http;
    this.#conn = connection;
    this.#clock = clock;
  }

  get usesKeystone(): boolean {
    const type = this.#conn.auth.type;
    return type === "password" || type === "v3applicationcredential" || type === "token";
  }

  async sign(_request: SignableRequest, signal: AbortSignal): Promise<Readonly<Record<string, string>>> {
    const auth = this.#conn.auth;
    if (auth.type === "none") return {};
    if (auth.type === "admin_token") return { "X-Auth-Token": auth.token.reveal() };
    return { "X-Auth-Token": (await this.#token(signal)).value };
  }

  invalidate(): boolean {
    if (!this.usesKeystone) return false;
    this.#cached = undefined;
    return true;
  }

  /** The service's endpoint: the override, else the catalog by type, interface and region. */
  async endpoint(service: ServiceType, signal: AbortSignal): Promise<string> {
    const override = {
      compute: this.#conn.computeEndpoint,
      image: this.#conn.imageEndpoint,
      "block-storage": this.#conn.blockStorageEndpoint,
    }[service];
    if (override) return override.replace(/\/+$/, "");
    const key = `${service.replace("-", "_")}_endpoint_override`;
    if (!this.usesKeystone)
      throw new CloudError({
        provider: this.#http.provider,
        operation: `find ${service} endpoint`,
        cloudMessage: `${key} is required with auth_type ${this.#conn.auth.type}`,
      });
    const token = await this.#token(signal);
    const types = CATALOG_TYPES[service];
    const url = selectEndpoint(token.catalog, {
      serviceType: types.find((type) => token.catalog.some((s) => s.type === type)) ?? service,
      interface: this.#conn.interface ?? "public",
      ...(this.#conn.regionName ? { region: this.#conn.regionName } : {}),
      ...(token.projectId ? { projectId: token.projectId } : {}),
    });
    return url.replace(/\/+$/, "");
  }

  /** The project the token is scoped to, when Keystone said. */
  async projectId(signal: AbortSignal): Promise<string | undefined> {
    return this.usesKeystone ? (await this.#token(signal)).projectId : undefined;
  }

  async #token(signal: AbortSignal): Promise<CachedToken> {
    const cached = this.#cached;
    if (cached && cached.expiresAt - this.#clock.now() > MIN_TOKEN_LIFE_MS) return cached;
    this.#pending ??= this.#authenticate(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #authenticate(signal: AbortSignal): Promise<CachedToken> {
    if (!this.#conn.authUrl)
      throw new CloudError({
        provider: this.#http.provider,
        operation: TOKEN_OPERATION,
        cloudMessage: "auth_url is missing",
      });
    this.authentications++;
    const res = await this.#http.request({
      method: "POST",
      url: `${identityV3(this.#conn.authUrl)}/auth/tokens`,
      json: tokenRequestBody(this.#conn.auth),
      operation: TOKEN_OPERATION,
      // A token request creates nothing: repeating it after a lost answer is harmless.
      idempotent: true,
      signal,
    });
    const value = res.headers["x-subject-token"];
    if (!value)
      throw new CloudError({
        provider: this.#http.provider,
        operation: TOKEN_OPERATION,
        status: res.status,
        cloudMessage: "Keystone answered without an X-Subject-Token header",
        ...(res.requestId ? { requestId: res.requestId } : {}),
      });
    const body = (res.json ?? {}) as {
      token?: { expires_at?: string; catalog?: CatalogService[]; project?: { id?: string } };
    };
    const expires = body.token?.expires_at ? Date.parse(body.token.expires_at) : Number.NaN;
    const projectId = body.token?.project?.id;
    const token: CachedToken = {
      value,
      expiresAt: Number.isNaN(expires) ? Number.POSITIVE_INFINITY : expires,
      catalog: body.token?.catalog ?? [],
      ...(projectId ? { projectId } : {}),
    };
    this.#cached = token;
    return token;
  }
}

/** The POST /v3/auth/tokens body. Application credentials carry no scope: Keystone refuses one. */
export function tokenRequestBody(auth: OpenStackAuth): unknown {
  switch (auth.type) {
    case "password":
      return {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { ...userRef(auth), password: auth.password.reveal() } },
          },
          ...scopeOf(auth),
        },
      };
    case "v3applicationcredential": {
      const credential = auth.id ? { id: auth.id } : { name: auth.name, user: userRef(auth) };
      return {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: { ...credential, secret: auth.secret.reveal() },
          },
        },
      };
    }
    case "token":
      return { auth: { identity: { methods: ["token"], token: { id: auth.token.reveal() } }, ...scopeOf(auth) } };
    case "admin_token":
    case "none":
      throw new TypeError(`auth_type ${auth.type} does not use Keystone`);
  }
}

function userRef(auth: {
  userId?: string;
  username?: string;
  userDomainId?: string;
  userDomainName?: string;
}): Record<string, unknown> {
  if (auth.userId) return { id: auth.userId };
  return {
    name: auth.username,
    domain: auth.userDomainId ? { id: auth.userDomainId } : { name: auth.userDomainName ?? "Default" },
  };
}

function scopeOf(auth: {
  projectId?: string;
  projectName?: string;
  projectDomainId?: string;
  projectDomainName?: string;
}): Record<string, unknown> {
  if (auth.projectId) return { scope: { project: { id: auth.projectId } } };
  if (auth.projectName) {
    const domain = auth.projectDomainId ? { id: auth.projectDomainId } : { name: auth.projectDomainName ?? "Default" };
    return { scope: { project: { name: auth.projectName, domain } } };
  }
  return {};
}
