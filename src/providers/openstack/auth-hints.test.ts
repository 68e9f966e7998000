import { describe, expect, it } from "vitest";
import { Secret } from "../../model/secret.js";
import { TOKEN_OPERATION, keystoneHint, requireAsciiCredentials } from "./auth-hints.js";
import type { OpenStackConnection } from "./connection.js";

const URL = "https://keystone.example.com:5000/v3/auth/tokens";
const refused = { operation: TOKEN_OPERATION, url: URL, status: 401 };

describe("keystoneHint", () => {
  it("names every credential an application credential login depends on, never its secret", () => {
    const conn: OpenStackConnection = {
      origin: 'cloud "prod" in /home/u/.config/openstack/clouds.yaml',
      settingsIn: "clouds.yaml",
      authUrl: "https://keystone.example.com:5000/v3",
      auth: { type: "v3applicationcredential", id: "4b2c", secret: new Secret("app-secret-value") },
    };
    expect(keystoneHint(conn)(refused)).toBe(
      `Keystone at ${URL} refused the credentials from cloud "prod" in /home/u/.config/openstack/clouds.yaml: check the application credential (auth.application_credential_id "4b2c") and its secret (auth.application_credential_secret): it may have expired or been deleted`,
    );
  });

  it("names OS_* variables for a cloud from the environment, and ids where they were given", () => {
    const conn: OpenStackConnection = {
      origin: "environment (OS_* variables)",
      settingsIn: "environment",
      authUrl: "https://keystone.example.com:5000",
      auth: { type: "password", userId: "u-1", password: new Secret("pw"), projectId: "p-1" },
    };
    expect(keystoneHint(conn)(refused)).toBe(
      `Keystone at ${URL} refused the credentials from the OS_* environment variables: check the user (OS_USER_ID "u-1"), the password (OS_PASSWORD), the project (OS_PROJECT_ID "p-1")`,
    );
    expect(keystoneHint(conn)({ ...refused, status: 404 })).toBe(
      `no Keystone v3 at ${URL}: OS_AUTH_URL "https://keystone.example.com:5000" from the OS_* environment variables should be Keystone's address, e.g. https://keystone.example.com:5000/v3 or https://cloud.example.com/identity/v3`,
    );
  });

  it("points at the fleet file's identityEndpoint when that set the URL, and says nothing of other requests", () => {
    const conn: OpenStackConnection = {
      origin: 'cloud "prod" in clouds.yaml',
      settingsIn: "clouds.yaml",
      authUrl: "https://keystone.example.com:5000/v3",
      authUrlFrom: "identityEndpoint of the provider in the fleet file",
      auth: { type: "token", token: new Secret("tok"), projectName: "ops" },
    };
    const hint = keystoneHint(conn);
    expect(hint({ operation: TOKEN_OPERATION, url: URL, networkCode: "ENOTFOUND" })).toBe(
      `Keystone at ${URL} did not answer: check identityEndpoint of the provider in the fleet file "https://keystone.example.com:5000/v3" (host, port, http or https)`,
    );
    expect(hint(refused)).toContain(
      'check the token (auth.token): it may have expired, the project (auth.project_name "ops", domain auth.project_domain_name "Default")',
    );
    expect(hint({ operation: "GET /servers/detail", url: "https://nova/servers/detail", status: 401 })).toBeUndefined();
    expect(hint({ ...refused, status: 500 })).toBeUndefined();
  });
});

describe("requireAsciiCredentials", () => {
  const base = {
    origin: 'cloud "prod" in /etc/openstack/clouds.yaml',
    settingsIn: "clouds.yaml" as const,
    authUrl: "https://keystone.example.com:5000/v3",
  };

  it("refuses an application credential id or secret that is a copied placeholder, naming the setting and the file", () => {
    expect(() =>
      requireAsciiCredentials("dc1", {
        ...base,
        auth: { type: "v3applicationcredential", id: "<id…>", secret: new Secret("s") },
      }),
    ).toThrow(
      `provider dc1 (openstack): auth.application_credential_id of cloud "prod" in /etc/openstack/clouds.yaml contains a non-ASCII character ('…' (U+2026) at character 4)`,
    );
    expect(() =>
      requireAsciiCredentials("dc1", { ...base, auth: { type: "token", token: new Secret("gAAA…") } }),
    ).toThrow(/auth\.token of cloud "prod" .* contains a non-ASCII character \(at character 5\)/);
  });
});
