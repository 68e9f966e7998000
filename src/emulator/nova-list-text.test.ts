import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { nova, tokenFor, waitFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

/**
 * List pages are built from each server's kept JSON text (nova-view.ts serverListEntry), reused while the server is
 * unchanged. Whatever happens to a server, its document in a page must be the one GET /servers/{id} builds afresh.
 */
const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const WORLD = parseWorld(
  `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
  images:
    - { name: ubuntu-22.04, id: ${OLD} }
    - { name: ubuntu-24.04, id: ${NEW} }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: "b2xk" }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025 }
    - { name: web-3, image: ubuntu-22.04, status: SHUTOFF }
timings: { rebuild: 1s, reboot: 200ms, stop: 200ms, start: 200ms, build: 200ms }
`,
  "world.yaml",
);
const VERSIONS = ["2.1", "2.57", "2.96", "2.100"];

describe("Nova list pages from kept server texts", () => {
  let emulator: Emulator;
  let clients: ReturnType<typeof nova>[];
  const ids = new Map<string, string>();

  beforeAll(async () => {
    emulator = await startEmulator({ world: WORLD });
    clients = [
      nova(emulator, await tokenFor(emulator, "alice", "alice-pw")),
      nova(emulator, await tokenFor(emulator, "admin", "admin-pw")),
    ];
    for (const s of (await clients[0]!("/servers")).body.servers) ids.set(s.name, s.id);
  });
  afterAll(() => emulator.close());

  /**
   * Every server of every page, for a member and an admin at several microversions, equals its own GET. An operation
   * in flight moves on with time (a stage may apply between the page and the GET): a server is compared when its GET
   * before and after the page agree, and at least `strict` servers must have been compared in all.
   */
  async function expectPagesMatchGets(strict: number): Promise<void> {
    let compared = 0;
    for (const client of clients) {
      for (const version of VERSIONS) {
        const get = async (id: string) => (await client(`/servers/${id}`, { version })).body.server;
        const before = await Promise.all([...ids.values()].map(get));
        const page = await client("/servers/detail?limit=2", { version });
        const next = await client(`/servers/detail?limit=2&marker=${page.body.servers[1].id}`, { version });
        const after = await Promise.all([...ids.values()].map(get));
        const listed = [...page.body.servers, ...next.body.servers];
        expect(listed).toHaveLength(3);
        expect(page.body.servers_links[0].rel).toBe("next");
        expect(page.headers["content-type"]).toBe("application/json");
        for (const server of listed) {
          const i = [...ids.values()].indexOf(server.id);
          if (JSON.stringify(before[i]) !== JSON.stringify(after[i])) continue;
          expect(server, `${version} ${server.name}`).toEqual(after[i]);
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(strict);
  }

  it("shows each change of a server in the next page: metadata, lock, rebuild in flight and done, stop", async () => {
    const [alice, admin] = clients as [ReturnType<typeof nova>, ReturnType<typeof nova>];
    const id = (name: string) => ids.get(name) as string;
    await expectPagesMatchGets(24);
    expect(
      (await alice(`/servers/${id("web-2")}/metadata`, { method: "POST", body: { metadata: { role: "db" } } })).status,
    ).toBe(200);
    expect((await admin(`/servers/${id("web-2")}/action`, { method: "POST", body: { lock: null } })).status).toBe(202);
    await expectPagesMatchGets(24);
    const listedWeb2 = (await alice("/servers/detail", { version: "2.96" })).body.servers.find(
      (s: { name: string }) => s.name === "web-2",
    );
    expect(listedWeb2).toMatchObject({ metadata: { role: "db" }, locked: true });
    expect(
      (
        await alice(`/servers/${id("web-1")}/action`, {
          method: "POST",
          body: { rebuild: { imageRef: NEW, key_name: "ops-2026", user_data: "bmV3" } },
          version: "2.57",
        })
      ).status,
    ).toBe(202);
    await expectPagesMatchGets(16); // web-1 is rebuilding
    await waitFor(
      () => alice(`/servers/${id("web-1")}`),
      (r) => r.body.server.status === "ACTIVE",
      10_000,
    );
    await expectPagesMatchGets(24);
    const rebuilt = (await admin("/servers/detail", { version: "2.96" })).body.servers.find(
      (s: { name: string }) => s.name === "web-1",
    );
    expect(rebuilt).toMatchObject({
      status: "ACTIVE",
      key_name: "ops-2026",
      image: { id: NEW },
      "OS-EXT-SRV-ATTR:user_data": "bmV3",
    });
    expect((await alice(`/servers/${id("web-2")}/action`, { method: "POST", body: { "os-stop": null } })).status).toBe(
      409,
    ); // locked, not admin
    expect((await admin(`/servers/${id("web-2")}/action`, { method: "POST", body: { "os-stop": null } })).status).toBe(
      202,
    );
    await waitFor(
      () => alice(`/servers/${id("web-2")}`),
      (r) => r.body.server.status === "SHUTOFF",
      10_000,
    );
    await expectPagesMatchGets(24);
  });
});
