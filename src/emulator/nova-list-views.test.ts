import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator } from "./emulator.js";
import { nova, tokenFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

/**
 * List pages are joined from each server's kept encoded view (view-cache.ts) and whole pages are kept (list-cache.ts).
 * Whatever the writes, whatever time passes (an operation applies its stages lazily, when read), a page must be the
 * text the server's own GETs make afresh: GET /servers/{id} renders its document anew on every call.
 * The emulator's clock is Date.now(): only Date is faked here, so time moves when the test says.
 */
const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const WORLD = parseWorld(
  `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
  images:
    - { name: ubuntu-22.04, id: ${OLD}, properties: { os_distro: ubuntu } }
    - { name: ubuntu-24.04, id: ${NEW}, properties: { os_distro: ubuntu, hw_firmware_type: uefi } }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: "b2xk" }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025 }
    - { name: web-3, image: ubuntu-22.04, status: SHUTOFF }
timings: { rebuild: 10s, reboot: 4s, stop: 2s, start: 2s, build: 2s }
`,
  "world.yaml",
);
const VERSIONS = ["2.1", "2.57", "2.96", "2.100"] as const;

type Client = ReturnType<typeof nova>;

describe("Nova list pages from kept server views", () => {
  let emulator: Emulator;
  let alice: Client;
  let admin: Client;
  let ids: string[];

  beforeAll(async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2026-05-01T10:00:00Z") });
    emulator = await startEmulator({ world: WORLD });
    alice = nova(emulator, await tokenFor(emulator, "alice", "alice-pw"));
    admin = nova(emulator, await tokenFor(emulator, "admin", "admin-pw"));
    ids = (await admin("/servers")).body.servers.map((s: { id: string }) => s.id);
  });
  afterAll(async () => {
    await emulator.close();
    vi.useRealTimers();
  });

  /** The page's text, and the text of the same page made of each listed server's own GET. */
  async function pageAndGets(client: Client, version: string, query = ""): Promise<[string, string]> {
    const page = await client(`/servers/detail${query}`, { version });
    expect(page.status).toBe(200);
    const gets = [];
    for (const s of page.body.servers) gets.push((await client(`/servers/${s.id}`, { version })).body.server);
    const fresh = { servers: gets, ...(page.body.servers_links ? { servers_links: page.body.servers_links } : {}) };
    return [JSON.stringify(page.body), JSON.stringify(fresh)];
  }

  async function expectPagesFresh(): Promise<void> {
    for (const client of [alice, admin])
      for (const version of VERSIONS) {
        const [page, fresh] = await pageAndGets(client, version);
        expect(page, `${version}`).toBe(fresh);
        expect(JSON.parse(page).servers).toHaveLength(3);
        const [first, firstFresh] = await pageAndGets(client, version, "?limit=2");
        expect(first).toBe(firstFresh);
      }
  }

  const act = (id: string, body: unknown, version = "2.1") =>
    admin(`/servers/${id}/action`, { method: "POST", body, version });

  it("shows each kind of change in the next page: metadata, lock, stop, a rebuild's stages as time passes", async () => {
    const [web3, web2, web1] = ids as [string, string, string];
    await expectPagesFresh();
    expect(
      (await alice(`/servers/${web2}/metadata`, { method: "POST", body: { metadata: { role: "db" } } })).status,
    ).toBe(200);
    await expectPagesFresh();
    expect((await act(web2, { lock: null })).status).toBe(202);
    await expectPagesFresh();
    expect((await act(web3, { "os-start": null })).status).toBe(202);
    await expectPagesFresh();
    expect(
      (await act(web1, { rebuild: { imageRef: NEW, key_name: "ops-2026", user_data: "bmV3", name: "web-1b" } }, "2.57"))
        .status,
    ).toBe(202);
    await expectPagesFresh(); // rebuilding
    vi.setSystemTime(Date.now() + 6_500); // rebuild_spawning, and web-3 started: no request changed anything
    const spawning = (await admin("/servers/detail", { version: "2.100" })).body.servers;
    expect(spawning.find((s: { id: string }) => s.id === web1)).toMatchObject({
      "OS-EXT-STS:task_state": "rebuild_spawning",
      name: "web-1b",
    });
    expect(spawning.find((s: { id: string }) => s.id === web3)).toMatchObject({ status: "ACTIVE" });
    await expectPagesFresh();
    vi.setSystemTime(Date.now() + 4_000); // rebuilt
    const rebuilt = (await admin("/servers/detail", { version: "2.100" })).body.servers;
    expect(rebuilt.find((s: { id: string }) => s.id === web1)).toMatchObject({
      status: "ACTIVE",
      image: { id: NEW, properties: { hw_firmware_type: "uefi" } },
      "OS-EXT-SRV-ATTR:user_data": "bmV3",
    });
    await expectPagesFresh();
  });

  it("equals the page made afresh after any sequence of writes, passing time and reads (property)", async () => {
    const server = fc.nat({ max: 2 });
    const step = fc.oneof(
      fc.record({ kind: fc.constant("metadata" as const), server, value: fc.constantFrom("a", "b") }),
      fc.record({ kind: fc.constant("lock" as const), server, on: fc.boolean() }),
      fc.record({ kind: fc.constant("power" as const), server, action: fc.constantFrom("os-stop", "os-start") }),
      fc.record({ kind: fc.constant("reboot" as const), server }),
      fc.record({ kind: fc.constant("rebuild" as const), server, image: fc.constantFrom(OLD, NEW) }),
      fc.record({ kind: fc.constant("time" as const), ms: fc.constantFrom(500, 2_500, 6_000, 11_000) }),
      fc.record({ kind: fc.constant("read" as const), admin: fc.boolean(), version: fc.constantFrom(...VERSIONS) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        for (const s of steps) {
          const id = "server" in s ? (ids[s.server] as string) : "";
          if (s.kind === "metadata")
            await admin(`/servers/${id}/metadata`, { method: "POST", body: { metadata: { k: s.value } } });
          else if (s.kind === "lock") await act(id, s.on ? { lock: null } : { unlock: null });
          else if (s.kind === "power") await act(id, { [s.action]: null });
          else if (s.kind === "reboot") await act(id, { reboot: { type: "SOFT" } });
          else if (s.kind === "rebuild") await act(id, { rebuild: { imageRef: s.image } });
          else if (s.kind === "time") vi.setSystemTime(Date.now() + s.ms);
          else {
            const [page, fresh] = await pageAndGets(s.admin ? admin : alice, s.version);
            expect(page).toBe(fresh);
          }
        }
        const [page, fresh] = await pageAndGets(admin, "2.100");
        expect(page).toBe(fresh);
      }),
      { numRuns: 25 },
    );
  });
});
