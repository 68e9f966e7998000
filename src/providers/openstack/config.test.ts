import { describe, expect, it } from "vitest";
import { ConfigError } from "../../model/errors.js";
import type { ConfigSources } from "./config.js";
import { candidatePaths, envCloud, resolveConnection } from "./config.js";
import type { ApplicationCredentialAuth, PasswordAuth } from "./connection.js";

const HOME = "/home/u";
const CWD = "/work/fleet";

function sources(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
): ConfigSources & { read: string[] } {
  const read: string[] = [];
  return {
    env,
    cwd: CWD,
    homeDir: HOME,
    read,
    readFile: async (path) => {
      read.push(path);
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return text;
    },
  };
}

const cloud = (name: string, url: string, extra = "") =>
  `clouds:\n  ${name}:\n    auth:\n      auth_url: ${url}\n      username: admin\n      password: pw-${name}\n      project_name: demo\n${extra}`;

describe("clouds.yaml search order", () => {
  it("searches $OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack, /etc/openstack with yaml, yml, json", () => {
    expect(candidatePaths("clouds", sources({}, { OS_CLIENT_CONFIG_FILE: "/x/my.yaml" }))).toEqual([
      "/x/my.yaml",
      `${CWD}/clouds.yaml`,
      `${CWD}/clouds.yml`,
      `${CWD}/clouds.json`,
      `${HOME}/.config/openstack/clouds.yaml`,
      `${HOME}/.config/openstack/clouds.yml`,
      `${HOME}/.config/openstack/clouds.json`,
      "/etc/openstack/clouds.yaml",
      "/etc/openstack/clouds.yml",
      "/etc/openstack/clouds.json",
    ]);
  });

  it("uses the first file found and does not merge later ones", async () => {
    const files = {
      [`${HOME}/.config/openstack/clouds.yml`]: cloud("dc1", "http://home:5000"),
      "/etc/openstack/clouds.yaml":
        cloud("dc1", "http://etc:5000") + cloud("dc2", "http://etc2:5000").replace("clouds:\n", ""),
    };
    const conn = await resolveConnection({ cloud: "dc1" }, sources(files));
    expect(conn.authUrl).toBe("http://home:5000");
    expect(conn.origin).toContain(`${HOME}/.config/openstack/clouds.yml`);
    await expect(resolveConnection({ cloud: "dc2" }, sources(files))).rejects.toThrow(
      /cloud "dc2" not found in \/home\/u\/.config\/openstack\/clouds.yml \(clouds defined: dc1\)/,
    );
  });

  it("prefers ./clouds.yaml over the user's, and $OS_CLIENT_CONFIG_FILE over both", async () => {
    const files = {
      [`${CWD}/clouds.yaml`]: cloud("dc1", "http://cwd:5000"),
      [`${HOME}/.config/openstack/clouds.yaml`]: cloud("dc1", "http://home:5000"),
      "/x/c.yaml": cloud("dc1", "http://env:5000"),
    };
    expect((await resolveConnection({ cloud: "dc1" }, sources(files))).authUrl).toBe("http://cwd:5000");
    expect(
      (await resolveConnection({ cloud: "dc1" }, sources(files, { OS_CLIENT_CONFIG_FILE: "/x/c.yaml" }))).authUrl,
    ).toBe("http://env:5000");
  });

  it("deep-merges secure.yaml (searched independently) over clouds.yaml and wraps secrets", async () => {
    const files = {
      [`${CWD}/clouds.yaml`]:
        "clouds:\n  dc1:\n    region_name: RegionTwo\n    auth: { auth_url: 'http://k:5000/v3', username: admin, project_name: demo }\n",
      "/etc/openstack/secure.yaml": "clouds:\n  dc1:\n    auth: { password: from-secure }\n",
    };
    const conn = await resolveConnection({ cloud: "dc1" }, sources(files));
    const auth = conn.auth as PasswordAuth;
    expect(auth.password.reveal()).toBe("from-secure");
    expect(JSON.stringify(conn)).not.toContain("from-secure");
    expect(auth).toMatchObject({
      username: "admin",
      projectName: "demo",
      userDomainName: "Default",
      projectDomainName: "Default",
    });
    expect(conn.regionName).toBe("RegionTwo");
  });

  it("selects the cloud from $OS_CLOUD when the fleet names none, else the only cloud", async () => {
    const files = {
      [`${CWD}/clouds.yaml`]: cloud("a", "http://a:5000") + cloud("b", "http://b:5000").replace("clouds:\n", ""),
    };
    expect((await resolveConnection({}, sources(files, { OS_CLOUD: "b" }))).authUrl).toBe("http://b:5000");
    await expect(resolveConnection({}, sources(files))).rejects.toThrow(/no cloud selected/);
    const one = { [`${CWD}/clouds.yaml`]: cloud("only", "http://o:5000") };
    expect((await resolveConnection({}, sources(one))).authUrl).toBe("http://o:5000");
  });

  it("names what is missing and where it looked", async () => {
    const error = await resolveConnection({ cloud: "dc1" }, sources({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(
      /cloud "dc1" not found: no clouds.yaml found \(looked in .*\/work\/fleet\/clouds.yaml.*\/etc\/openstack\/clouds.json\)/,
    );
    const noUrl = { [`${CWD}/clouds.yaml`]: "clouds:\n  dc1:\n    auth: { username: u, password: p }\n" };
    await expect(resolveConnection({ cloud: "dc1" }, sources(noUrl))).rejects.toThrow(
      /cloud "dc1" in \/work\/fleet\/clouds.yaml: auth.auth_url is missing/,
    );
  });
});

describe("OS_* environment variables", () => {
  it("build the envvars cloud: OS_FOO → foo, auth keys into auth, tenant_* aliases", () => {
    const entry = envCloud({
      OS_AUTH_URL: "http://k:5000",
      OS_USERNAME: "u",
      OS_PASSWORD: "p",
      OS_TENANT_NAME: "t",
      OS_INTERFACE: "internal",
      OS_REGION_NAME: "R2",
      OS_TEST_X: "no",
      PATH: "/bin",
    });
    expect(entry).toEqual({
      interface: "internal",
      region_name: "R2",
      auth: { auth_url: "http://k:5000", username: "u", password: "p", project_name: "t" },
    });
    expect(envCloud({ OS_CLOUD: "x", OS_REGION_NAME: "r" })).toBeUndefined();
  });

  it("resolve an application credential with no clouds.yaml at all", async () => {
    const env = {
      OS_AUTH_TYPE: "v3applicationcredential",
      OS_AUTH_URL: "http://k:5000/v3",
      OS_APPLICATION_CREDENTIAL_ID: "ac1",
      OS_APPLICATION_CREDENTIAL_SECRET: "s3cr3t",
      OS_CACERT: "/ca.pem",
    };
    const conn = await resolveConnection({}, sources({}, env));
    const auth = conn.auth as ApplicationCredentialAuth;
    expect(auth.type).toBe("v3applicationcredential");
    expect(auth.id).toBe("ac1");
    expect(auth.secret.reveal()).toBe("s3cr3t");
    expect(conn).toMatchObject({
      origin: "environment (OS_* variables)",
      cacert: "/ca.pem",
      verify: true,
      interface: "public",
    });
  });

  it("turns verification off with verify: false or insecure, and reads admin_token with endpoint overrides", async () => {
    const files = {
      [`${CWD}/clouds.yaml`]:
        "clouds:\n  fixed:\n    auth_type: admin_token\n    verify: false\n    auth: { token: T0ken, endpoint: 'http://nova:8774/v2.1' }\n    image_endpoint_override: http://glance:9292\n  none:\n    auth_type: none\n    insecure: true\n",
    };
    const fixed = await resolveConnection({ cloud: "fixed" }, sources(files));
    expect(fixed).toMatchObject({
      verify: false,
      computeEndpoint: "http://nova:8774/v2.1",
      imageEndpoint: "http://glance:9292",
      auth: { type: "admin_token" },
    });
    await expect(resolveConnection({ cloud: "none" }, sources(files))).rejects.toThrow(
      /compute_endpoint_override \(or auth.endpoint\) is missing/,
    );
  });
});
