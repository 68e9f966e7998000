import { ConfigError } from "../../model/errors.js";
import { Secret } from "../../model/secret.js";
import type { EndpointInterface, OpenStackAuth, OpenStackConnection } from "./connection.js";

export type CloudEntry = Record<string, unknown>;

/** Auth plugin options openstacksdk moves into `auth:` (keystoneauth v3 plugin options). */
export const AUTH_KEYS = new Set([
  "auth_url",
  "username",
  "user_id",
  "password",
  "project_name",
  "project_id",
  "user_domain_name",
  "user_domain_id",
  "project_domain_name",
  "project_domain_id",
  "domain_name",
  "domain_id",
  "default_domain_id",
  "default_domain_name",
  "application_credential_id",
  "application_credential_name",
  "application_credential_secret",
  "token",
  "endpoint",
  "system_scope",
]);

const AUTH_TYPES: Readonly<Record<string, OpenStackAuth["type"]>> = {
  password: "password",
  v3password: "password",
  v3applicationcredential: "v3applicationcredential",
  applicationcredential: "v3applicationcredential",
  application_credential: "v3applicationcredential",
  token: "token",
  v3token: "token",
  admin_token: "admin_token",
  none: "none",
  noauth: "none",
};

/** `tenant_*` → `project_*`, `*_endpoint_type` → `*_interface`, stray auth keys moved into `auth`. */
export function normalizeEntry(entry: CloudEntry): CloudEntry {
  const auth: Record<string, unknown> = { ...(isRecord(entry["auth"]) ? entry["auth"] : {}) };
  const out: CloudEntry = {};
  for (const [rawKey, value] of Object.entries(entry)) {
    if (rawKey === "auth") continue;
    const key = rawKey
      .replace(/^tenant_/, "project_")
      .replace(/_endpoint_type$/, "_interface")
      .replace(/^endpoint_type$/, "interface");
    if (AUTH_KEYS.has(key)) auth[key] ??= value;
    else out[key] = value;
  }
  for (const key of Object.keys(auth)) {
    const renamed = key.replace(/^tenant_/, "project_");
    if (renamed !== key) {
      auth[renamed] ??= auth[key];
      delete auth[key];
    }
  }
  out["auth"] = auth;
  return out;
}

/** A normalized clouds.yaml entry → the connection, secrets wrapped. Throws ConfigError naming what is missing. */
export function connectionFromEntry(
  entry: CloudEntry,
  origin: string,
  region: string | undefined,
  settingsIn: "clouds.yaml" | "environment" = "clouds.yaml",
): OpenStackConnection {
  const auth = (entry["auth"] ?? {}) as Record<string, unknown>;
  const authType = str(entry["auth_type"]) ?? "password";
  const type = AUTH_TYPES[authType.toLowerCase()];
  if (!type)
    fail(
      origin,
      `auth_type "${authType}" is not supported (use password, v3applicationcredential, token, v3token, admin_token or none)`,
    );
  const authUrl = str(auth["auth_url"]);
  const needsKeystone = type === "password" || type === "v3applicationcredential" || type === "token";
  if (needsKeystone && !authUrl) fail(origin, `auth.auth_url is missing (needed for auth_type ${authType})`);
  const computeEndpoint =
    str(entry["compute_endpoint_override"]) ??
    (type === "admin_token" || type === "none" ? str(auth["endpoint"]) : undefined);
  if (!needsKeystone && !computeEndpoint)
    fail(
      origin,
      `compute_endpoint_override (or auth.endpoint) is missing: auth_type ${authType} has no Keystone catalog`,
    );
  const iface = (str(entry["compute_interface"]) ?? str(entry["interface"]) ?? "public")
    .toLowerCase()
    .replace(/url$/, "");
  if (iface !== "public" && iface !== "internal" && iface !== "admin")
    fail(origin, `interface "${iface}" must be public, internal or admin`);
  const regionName = region ?? firstRegion(entry);
  const cacert = str(entry["cacert"]);
  const imageEndpoint = str(entry["image_endpoint_override"]);
  // openstacksdk's service type is block-storage; volume and volumev3 are its aliases in clouds.yaml keys.
  const blockStorageEndpoint =
    str(entry["block_storage_endpoint_override"]) ??
    str(entry["volume_endpoint_override"]) ??
    str(entry["volumev3_endpoint_override"]);
  const computeApiVersion = str(entry["compute_api_version"]);
  return {
    origin,
    settingsIn,
    ...(authUrl ? { authUrl } : {}),
    auth: authFor(type, auth, origin),
    ...(regionName ? { regionName } : {}),
    interface: iface as EndpointInterface,
    ...(cacert ? { cacert } : {}),
    verify: !(isFalse(entry["verify"]) || isTrue(entry["insecure"])),
    ...(computeEndpoint ? { computeEndpoint } : {}),
    ...(imageEndpoint ? { imageEndpoint } : {}),
    ...(blockStorageEndpoint ? { blockStorageEndpoint } : {}),
    ...(computeApiVersion ? { computeApiVersion } : {}),
  };
}

function authFor(type: OpenStackAuth["type"], auth: Record<string, unknown>, origin: string): OpenStackAuth {
  const s = (key: string) => str(auth[key]);
  const secret = (key: string) => {
    const value = s(key);
    if (value === undefined) fail(origin, `auth.${key} is missing`);
    return new Secret(value);
  };
  const defaultDomainId = s("default_domain_id") ?? s("domain_id");
  const defaultDomainName = s("default_domain_name") ?? s("domain_name");
  const userDomain = domain(s("user_domain_id") ?? defaultDomainId, s("user_domain_name") ?? defaultDomainName, "user");
  const projectDomain = domain(
    s("project_domain_id") ?? defaultDomainId,
    s("project_domain_name") ?? defaultDomainName,
    "project",
  );
  const project = { ...opt("projectName", s("project_name")), ...opt("projectId", s("project_id")), ...projectDomain };
  const user = { ...opt("username", s("username") ?? s("user_name")), ...opt("userId", s("user_id")), ...userDomain };
  switch (type) {
    case "password":
      if (!s("username") && !s("user_id")) fail(origin, "auth.username (or auth.user_id) is missing");
      return { type, ...user, password: secret("password"), ...project };
    case "v3applicationcredential":
      if (!s("application_credential_id") && !s("application_credential_name"))
        fail(origin, "auth.application_credential_id (or _name) is missing");
      return {
        type,
        ...opt("id", s("application_credential_id")),
        ...opt("name", s("application_credential_name")),
        secret: secret("application_credential_secret"),
        ...user,
      };
    case "token":
      return { type, token: secret("token"), ...project };
    case "admin_token":
      return { type, token: secret("token") };
    case "none":
      return { type };
  }
}

function domain(id: string | undefined, name: string | undefined, who: "user" | "project"): Record<string, string> {
  const prefix = who === "user" ? "userDomain" : "projectDomain";
  if (id) return { [`${prefix}Id`]: id };
  return { [`${prefix}Name`]: name ?? "Default" };
}

function firstRegion(entry: CloudEntry): string | undefined {
  const named = str(entry["region_name"]);
  if (named) return named.split(",")[0]?.trim();
  const regions = entry["regions"];
  if (!Array.isArray(regions) || regions.length === 0) return undefined;
  const first: unknown = regions[0];
  return isRecord(first) ? str(first["name"]) : str(first);
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && /^(false|no|0|off)$/i.test(value));
}

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && /^(true|yes|1|on)$/i.test(value));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(origin: string, message: string): never {
  throw new ConfigError([{ message: `openstack ${origin}: ${message}` }]);
}
