import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloudError, ConfigError } from "../../model/errors.js";
import { Secret } from "../../model/secret.js";
import { HttpClient } from "../http/client.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { discoveryBase, identityV3, selectEndpoint } from "./catalog.js";
import type { OpenStackConnection } from "./connection.js";
import { KeystoneSession, tokenRequestBody } from "./keystone.js";
import type { FakeOpenStack } from "../../../test/support/fake-openstack.js";
import { APP_SECRET, PASSWORD, startFakeOpenStack } from "../../../test/support/fake-openstack.js";

let fake: FakeOpenStack;
const clock = instantClock();
const http = new HttpClient({ provider: "dc1", clock, random: () => 0 });
const signal = new AbortController().signal;

beforeAll(async () => {
  fake = await startFakeOpenStack({ now: () => clock.now(), tokenTtlS: 3600 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
beforeEach(() => {
  fake.seen.length = 0;
});

const passwordConn = (patch: Partial<OpenStackConnection> = {}): OpenStackConnection => ({
  authUrl: fake.identity,
  auth: {
    type: "password",
    username: "admin",
    password: new Secret(PASSWORD),
    projectName: "demo",
    userDomainName: "Default",
    projectDomainName: "Default",
  },
  ...patch,
});

const tokenPosts = () => fake.seen.filter((r) => r.url.endsWith("/auth/tokens")).length;

describe("KeystoneSession", () => {
  it("caches the token and refreshes it only when fewer than 120 s remain", async () => {
    const session = new KeystoneSession(http, passwordConn(), clock);
    const first = await session.sign({} as never, signal);
    expect(await session.sign({} as never, signal)).toEqual(first);
    clock.advance(3600_000 - 121_000);
    expect(await session.sign({} as never, signal)).toEqual(first);
    clock.advance(2_000);
    const refreshed = await session.sign({} as never, signal);
    expect(refreshed["X-Auth-Token"]).not.toBe(first["X-Auth-Token"]);
    expect(tokenPosts()).toBe(2);
  });

  it("re-authenticates once when a service answers 401 (token revoked early)", async () => {
    const session = new KeystoneSession(http, passwordConn(), clock);
    const compute = await session.endpoint("compute", signal);
    fake.revokeAll();
    const res = await http.request({
      method: "GET",
      url: `${compute}/servers/detail`,
      operation: "GET /servers/detail",
      signer: session,
      signal,
    });
    expect(res.status).toBe(200);
    expect(session.authentications).toBe(2);
  });

  it("sends a scoped password body by names with default domains, and accepts versioned or bare auth_url", async () => {
    const session = new KeystoneSession(http, passwordConn({ authUrl: `${fake.identity}/v3/` }), clock);
    await session.sign({} as never, signal);
    const body = JSON.parse(fake.seen[0]?.body ?? "{}") as unknown;
    expect(body).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "admin", domain: { name: "Default" }, password: PASSWORD } },
        },
        scope: { project: { name: "demo", domain: { name: "Default" } } },
      },
    });
    expect(fake.seen[0]?.url).toBe("/identity/v3/auth/tokens");
  });

  it("sends no scope with an application credential", async () => {
    const conn: OpenStackConnection = {
      authUrl: fake.identity,
      auth: { type: "v3applicationcredential", id: "ac-1", secret: new Secret(APP_SECRET) },
    };
    const session = new KeystoneSession(http, conn, clock);
    expect((await session.sign({} as never, signal))["X-Auth-Token"]).toMatch(/^tok-/);
    const body = JSON.parse(fake.seen[0]?.body ?? "{}") as { auth: Record<string, unknown> };
    expect(body.auth).toEqual({
      identity: { methods: ["application_credential"], application_credential: { id: "ac-1", secret: APP_SECRET } },
    });
    expect("scope" in body.auth).toBe(false);
  });

  it("builds user-id and project-id bodies without domains, and token bodies", () => {
    expect(tokenRequestBody({ type: "password", userId: "u1", password: new Secret("p"), projectId: "p1" })).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { id: "u1", password: "p" } } },
        scope: { project: { id: "p1" } },
      },
    });
    expect(
      tokenRequestBody({ type: "token", token: new Secret("old"), projectName: "demo", projectDomainId: "d1" }),
    ).toEqual({
      auth: {
        identity: { methods: ["token"], token: { id: "old" } },
        scope: { project: { name: "demo", domain: { id: "d1" } } },
      },
    });
  });

  it("reports a wrong password as AUTH_ERROR without the password in the error", async () => {
    const session = new KeystoneSession(
      http,
      passwordConn({
        auth: { type: "password", username: "admin", password: new Secret("Wr0ng-Kn0wn-pw"), projectName: "demo" },
      }),
      clock,
    );
    const error = (await session.sign({} as never, signal).catch((e: unknown) => e)) as CloudError;
    expect(error).toBeInstanceOf(CloudError);
    expect(error.code).toBe("AUTH_ERROR");
    expect(error.details.requestId).toMatch(/^req-/);
    expect(`${error.message}${JSON.stringify(error)}${error.stack ?? ""}`).not.toContain("Wr0ng-Kn0wn-pw");
  });

  it("picks the catalog endpoint by interface and region, with the project id filled in", async () => {
    const pub = new KeystoneSession(http, passwordConn({ regionName: "RegionOne" }), clock);
    expect(await pub.endpoint("compute", signal)).toBe(fake.compute);
    const internal = new KeystoneSession(http, passwordConn({ interface: "internal" }), clock);
    expect(await internal.endpoint("compute", signal)).toBe(`${fake.url}/internal/v2.1`);
    const two = new KeystoneSession(http, passwordConn({ regionName: "RegionTwo" }), clock);
    expect(await two.endpoint("compute", signal)).toBe(`${fake.url}/region-two/v2.1/p-123`);
    const three = new KeystoneSession(http, passwordConn({ regionName: "RegionThree" }), clock);
    await expect(three.endpoint("compute", signal)).rejects.toThrow(
      /no compute endpoint with interface public in region RegionThree/,
    );
  });

  it("uses a fixed admin token and overrides without Keystone", async () => {
    const session = new KeystoneSession(
      http,
      { auth: { type: "admin_token", token: new Secret("fixed") }, computeEndpoint: "http://nova/v2.1/" },
      clock,
    );
    expect(await session.sign({} as never, signal)).toEqual({ "X-Auth-Token": "fixed" });
    expect(await session.endpoint("compute", signal)).toBe("http://nova/v2.1");
    expect(session.invalidate()).toBe(false);
    await expect(session.endpoint("image", signal)).rejects.toThrow(/image_endpoint_override is required/);
    expect(tokenPosts()).toBe(0);
  });
});

describe("catalog helpers", () => {
  it("normalizes auth_url to /v3 and strips a project id before discovery", () => {
    expect(identityV3("http://k:5000")).toBe("http://k:5000/v3");
    expect(identityV3("http://k:5000/v3/")).toBe("http://k:5000/v3");
    expect(identityV3("http://k/identity/v2.0")).toBe("http://k/identity/v3");
    expect(discoveryBase("http://n:8774/v2.1/p-123", "p-123")).toBe("http://n:8774/v2.1");
    expect(discoveryBase("http://n:8774/v2.1/%(tenant_id)s", undefined)).toBe("http://n:8774/v2.1");
    expect(discoveryBase("http://n:8774/v2.1/", "p-123")).toBe("http://n:8774/v2.1");
  });

  it("matches region by region or region_id, and interface names like publicURL", () => {
    const catalog = [
      {
        type: "compute",
        endpoints: [
          { interface: "publicURL", region: "R1", url: "http://a" },
          { interface: "admin", region_id: "R1", url: "http://b" },
        ],
      },
    ];
    expect(selectEndpoint(catalog, { serviceType: "compute", interface: "public", region: "R1" })).toBe("http://a");
    expect(selectEndpoint(catalog, { serviceType: "compute", interface: "admin", region: "R1" })).toBe("http://b");
    expect(() => selectEndpoint(catalog, { serviceType: "image", interface: "public" })).toThrow(ConfigError);
  });
});
