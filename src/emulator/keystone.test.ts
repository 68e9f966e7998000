import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { call, passwordAuth } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

const WORLD = parseWorld(
  `openstack:
  region: RegionTwo
  users:
    - { name: admin, password: Adm1n-secret, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
    - { name: bob, password: bob-pw, project: other }
  applicationCredentials: [{ id: ac1, name: ci, secret: App-Cred-Secret, user: alice }]
`,
  "world.yaml",
);

describe("Keystone v3", () => {
  let emulator: Emulator;
  const tokens = () => `${emulator.urls.identity}/auth/tokens`;
  beforeAll(async () => {
    emulator = await startEmulator({ world: WORLD });
  });
  afterAll(() => emulator.close());

  it("publishes its versions: 300 at the root, 200 at /v3", async () => {
    const root = await call(emulator.urls.identity.replace(/\/v3$/, ""));
    expect(root.status).toBe(300);
    expect(root.body.versions.values[0]).toMatchObject({ id: "v3.14", status: "stable" });
    expect(root.body.versions.values[0].links[0].href).toBe(`${emulator.urls.identity}/`);
    const v3 = await call(emulator.urls.identity);
    expect(v3.status).toBe(200);
    expect(v3.body.version.id).toBe("v3.14");
  });

  it("issues a project-scoped token for a password, with a catalog of identity, compute and image in the world's region", async () => {
    const reply = await call(tokens(), { method: "POST", body: passwordAuth("alice", "alice-pw") });
    expect(reply.status).toBe(201);
    const token = reply.headers["x-subject-token"] as string;
    expect(token.length).toBeGreaterThan(20);
    expect(JSON.stringify(reply.body)).not.toContain(token);
    const t = reply.body.token;
    expect(t.methods).toEqual(["password"]);
    expect(t.user.name).toBe("alice");
    expect(t.project.name).toBe("demo");
    expect(t.roles.map((r: { name: string }) => r.name)).toEqual(["member"]);
    expect(Date.parse(t.expires_at) - Date.parse(t.issued_at)).toBe(3_600_000);
    const byType = Object.fromEntries(t.catalog.map((s: { type: string }) => [s.type, s]));
    expect(byType.compute.name).toBe("nova");
    expect(byType.image.name).toBe("glance");
    expect(byType.compute.endpoints.map((e: { interface: string }) => e.interface).sort()).toEqual([
      "admin",
      "internal",
      "public",
    ]);
    expect(byType.compute.endpoints[0]).toMatchObject({
      region: "RegionTwo",
      region_id: "RegionTwo",
      url: emulator.urls.compute,
    });
    expect(byType.image.endpoints[0].url).toBe(emulator.urls.image);
  });

  it("accepts a user and a project by id, and scopes an unscoped request to the user's project", async () => {
    const first = await call(tokens(), { method: "POST", body: passwordAuth("bob", "bob-pw", "other") });
    const { user, project } = first.body.token;
    const byId = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: { methods: ["password"], password: { user: { id: user.id, password: "bob-pw" } } },
          scope: { project: { id: project.id } },
        },
      },
    });
    expect(byId.status).toBe(201);
    const unscoped = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "bob", domain: { id: "default" }, password: "bob-pw" } },
          },
        },
      },
    });
    expect(unscoped.body.token.project.name).toBe("other");
  });

  it("refuses a wrong password with Keystone's 401 body, without echoing the password", async () => {
    const reply = await call(tokens(), { method: "POST", body: passwordAuth("alice", "not-the-password") });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({
      error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
    });
    expect(reply.headers["x-subject-token"]).toBeUndefined();
  });

  it("refuses a project the user has no role on", async () => {
    const reply = await call(tokens(), { method: "POST", body: passwordAuth("alice", "alice-pw", "other") });
    expect(reply.status).toBe(401);
  });

  it("authenticates an application credential by id and by name + user, scoped to its project", async () => {
    const byId = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: { id: "ac1", secret: "App-Cred-Secret" },
          },
        },
      },
    });
    expect(byId.status).toBe(201);
    expect(byId.body.token).toMatchObject({
      methods: ["application_credential"],
      user: { name: "alice" },
      project: { name: "demo" },
      application_credential: { id: "ac1", name: "ci" },
    });
    const byName = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: {
              name: "ci",
              secret: "App-Cred-Secret",
              user: { name: "alice", domain: { name: "Default" } },
            },
          },
        },
      },
    });
    expect(byName.status).toBe(201);
    const wrong = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: { methods: ["application_credential"], application_credential: { id: "ac1", secret: "nope" } },
        },
      },
    });
    expect(wrong.status).toBe(401);
  });

  it("refuses an application credential that requests a scope", async () => {
    const reply = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: {
            methods: ["application_credential"],
            application_credential: { id: "ac1", secret: "App-Cred-Secret" },
          },
          scope: { project: { name: "demo", domain: { name: "Default" } } },
        },
      },
    });
    expect(reply.status).toBe(401);
    expect(reply.body.error.message).toBe("Application credentials cannot request a scope.");
  });

  it("re-scopes a token and validates it with GET", async () => {
    const first = await call(tokens(), { method: "POST", body: passwordAuth("admin", "Adm1n-secret") });
    const token = first.headers["x-subject-token"] as string;
    const rescoped = await call(tokens(), {
      method: "POST",
      body: {
        auth: {
          identity: { methods: ["token"], token: { id: token } },
          scope: { project: { name: "demo", domain: { name: "Default" } } },
        },
      },
    });
    expect(rescoped.status).toBe(201);
    expect(rescoped.body.token.methods).toEqual(["token"]);
    const validated = await call(tokens(), { headers: { "x-auth-token": token, "x-subject-token": token } });
    expect(validated.status).toBe(200);
    expect(validated.body.token.user.name).toBe("admin");
    const revoked = await call(tokens(), {
      method: "DELETE",
      headers: { "x-auth-token": token, "x-subject-token": token },
    });
    expect(revoked.status).toBe(204);
    expect((await call(`${emulator.urls.compute}/servers`, { headers: { "x-auth-token": token } })).status).toBe(401);
  });

  it("lets tokens expire after the configured lifetime (401 keystonemiddleware body from Nova)", async () => {
    const shortLived = await startEmulator({ world: WORLD, tokenLifetimeSeconds: 1 });
    try {
      const issued = await call(`${shortLived.urls.identity}/auth/tokens`, {
        method: "POST",
        body: passwordAuth("alice", "alice-pw"),
      });
      const token = issued.headers["x-subject-token"] as string;
      expect((await call(`${shortLived.urls.compute}/servers`, { headers: { "x-auth-token": token } })).status).toBe(
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await call(`${shortLived.urls.compute}/servers`, { headers: { "x-auth-token": token } });
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({
        error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
      });
      expect(String(expired.headers["www-authenticate"])).toMatch(/^Keystone uri=/);
    } finally {
      await shortLived.close();
    }
  });

  it("answers a malformed body with 400", async () => {
    const reply = await call(tokens(), { method: "POST", body: { auth: {} } });
    expect(reply.status).toBe(400);
  });
});
