import { requireAscii } from "../http/ascii.js";
import type { RequestFailure } from "../http/types.js";
import type { OpenStackAuth, OpenStackConnection } from "./connection.js";

/** The token request's operation label (KeystoneSession): the only request whose failure is about the credentials. */
export const TOKEN_OPERATION = "POST /v3/auth/tokens";

const EXAMPLE_AUTH_URLS = "https://keystone.example.com:5000/v3 or https://cloud.example.com/identity/v3";

/** What the user should check when Keystone refuses or cannot be reached: which credential, which setting, in which file. */
export function keystoneHint(conn: OpenStackConnection): (failure: RequestFailure) => string | undefined {
  return (failure) => {
    if (failure.operation !== TOKEN_OPERATION) return undefined;
    const origin =
      conn.settingsIn === "environment" ? "the OS_* environment variables" : (conn.origin ?? "the explicit connection");
    const authUrl = conn.authUrlFrom
      ? `${conn.authUrlFrom} "${conn.authUrl ?? ""}"`
      : `${settingName(conn, "auth_url")} "${conn.authUrl ?? ""}" from ${origin}`;
    if (failure.status === 401)
      return `Keystone at ${failure.url} refused the credentials from ${origin}: check ${credentialsToCheck(conn)}`;
    if (failure.status === 404)
      return `no Keystone v3 at ${failure.url}: ${authUrl} should be Keystone's address, e.g. ${EXAMPLE_AUTH_URLS}`;
    if (failure.networkCode !== undefined)
      return `Keystone at ${failure.url} did not answer: check ${authUrl} (host, port, http or https)`;
    return undefined;
  };
}

/** "the user (auth.username "admin", auth.user_domain_name "Default"), the password (auth.password), …" */
function credentialsToCheck(conn: OpenStackConnection): string {
  const auth = conn.auth;
  const name = (key: string) => settingName(conn, key);
  const shown = (key: string, value: string | undefined) => (value === undefined ? [] : [`${name(key)} "${value}"`]);
  switch (auth.type) {
    case "password":
      return [
        `the user (${[...shown("username", auth.username), ...shown("user_id", auth.userId), ...userDomain(conn, auth)].join(", ")})`,
        `the password (${name("password")})`,
        ...project(conn, auth),
      ].join(", ");
    case "v3applicationcredential": {
      const which = [
        ...shown("application_credential_id", auth.id),
        ...shown("application_credential_name", auth.name),
        ...shown("username", auth.username),
        ...shown("user_id", auth.userId),
      ];
      return `the application credential (${which.join(", ")}) and its secret (${name("application_credential_secret")}): it may have expired or been deleted`;
    }
    case "token":
      return [`the token (${name("token")}): it may have expired`, ...project(conn, auth)].join(", ");
    case "admin_token":
    case "none":
      return "the credentials";
  }
}

function userDomain(conn: OpenStackConnection, auth: Extract<OpenStackAuth, { type: "password" }>): string[] {
  if (auth.userId !== undefined) return [];
  if (auth.userDomainId !== undefined) return [`domain ${settingName(conn, "user_domain_id")} "${auth.userDomainId}"`];
  return [`domain ${settingName(conn, "user_domain_name")} "${auth.userDomainName ?? "Default"}"`];
}

function project(
  conn: OpenStackConnection,
  auth: { projectName?: string; projectId?: string; projectDomainName?: string; projectDomainId?: string },
): string[] {
  if (auth.projectId !== undefined) return [`the project (${settingName(conn, "project_id")} "${auth.projectId}")`];
  if (auth.projectName === undefined) return [];
  const domain =
    auth.projectDomainId !== undefined
      ? `${settingName(conn, "project_domain_id")} "${auth.projectDomainId}"`
      : `${settingName(conn, "project_domain_name")} "${auth.projectDomainName ?? "Default"}"`;
  return [
    `the project (${settingName(conn, "project_name")} "${auth.projectName}", domain ${domain}): the user needs a role on it`,
  ];
}

/**
 * Refuses a machine-issued credential (token, application credential id or secret) with a character outside ASCII
 * before any request: it is a copied placeholder. Passwords and names may be anything Keystone accepts.
 */
export function requireAsciiCredentials(provider: string, conn: OpenStackConnection): void {
  const auth = conn.auth;
  const where = conn.settingsIn === "clouds.yaml" && conn.origin ? ` of ${conn.origin}` : "";
  const check = (key: string, value: string | undefined, secret: boolean) => {
    if (value !== undefined)
      requireAscii({
        provider: `${provider} (openstack)`,
        setting: `${settingName(conn, key)}${where}`,
        value,
        secret,
      });
  };
  switch (auth.type) {
    case "token":
    case "admin_token":
      check("token", auth.token.reveal(), true);
      return;
    case "v3applicationcredential":
      check("application_credential_id", auth.id, false);
      check("application_credential_secret", auth.secret.reveal(), true);
      return;
    case "password":
    case "none":
      return;
  }
}

/** A clouds.yaml auth key as the user wrote it: `auth.username` in clouds.yaml, `OS_USERNAME` in the environment. */
export function settingName(conn: OpenStackConnection, key: string): string {
  switch (conn.settingsIn ?? "explicit") {
    case "clouds.yaml":
      return `auth.${key}`;
    case "environment":
      return `OS_${key.toUpperCase()}`;
    case "explicit":
      return key;
  }
}
