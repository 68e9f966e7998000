import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { call, nova, tokenFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

const servers = Array.from(
  { length: 25 },
  (_, i) =>
    `    - { name: page-${String(i).padStart(2, "0")}, image: ${i % 2 === 0 ? "ubuntu-22.04" : "ubuntu-24.04"}, status: ${i % 5 === 0 ? "SHUTOFF" : "ACTIVE"} }`,
);
const WORLD = parseWorld(
  `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
  images:
    - { name: ubuntu-22.04, id: 11111111-1111-4111-8111-111111111111 }
    - { name: ubuntu-24.04, id: 22222222-2222-4222-8222-222222222222 }
  keypairs: [{ name: ops-2025 }]
  servers:
${servers.join("\n")}
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, userData: "#cloud-config\\n" }
`,
  "world.yaml",
);

describe("Nova v2.1 reads", () => {
  let emulator: Emulator;
  let admin: ReturnType<typeof nova>;
  let alice: ReturnType<typeof nova>;
  beforeAll(async () => {
    emulator = await startEmulator({ world: WORLD, maxMicroversion: "2.90" });
    admin = nova(emulator, await tokenFor(emulator, "admin", "admin-pw"));
    alice = nova(emulator, await tokenFor(emulator, "alice", "alice-pw"));
  });
  afterAll(() => emulator.close());

  it("serves the unauthenticated version documents", async () => {
    const doc = await call(emulator.urls.compute);
    expect(doc.status).toBe(200);
    expect(doc.body.version).toMatchObject({ id: "v2.1", status: "CURRENT", version: "2.90", min_version: "2.1" });
    expect((await call(`${emulator.urls.compute}/`)).body.version.version).toBe("2.90");
    const root = await call(emulator.urls.compute.replace(/v2\.1$/, ""));
    expect(root.status).toBe(200);
    expect(root.body.versions.map((v: { id: string }) => v.id)).toEqual(["v2.0", "v2.1"]);
  });

  it("negotiates the microversion and echoes it, with request ids, on every response", async () => {
    const none = await alice("/servers");
    const plain = await call(`${emulator.urls.compute}/servers`, { headers: { "x-auth-token": "" } });
    expect(plain.status).toBe(401);
    expect(plain.headers["x-openstack-request-id"]).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(none.headers["openstack-api-version"]).toBe("compute 2.1");
    // a valid token: a 401 comes from keystonemiddleware and has no microversion headers (real Nova; openstack/fidelity.test.ts)
    const legacy = await call(`${emulator.urls.compute}/servers`, {
      headers: {
        "x-auth-token": await tokenFor(emulator, "alice", "alice-pw"),
        "x-openstack-nova-api-version": "2.40",
      },
    });
    expect(legacy.headers["x-openstack-nova-api-version"]).toBe("2.40");
    const latest = await alice("/servers", { version: "latest" });
    expect(latest.headers["openstack-api-version"]).toBe("compute 2.90");
    expect(latest.headers.vary).toBe("OpenStack-API-Version, X-OpenStack-Nova-API-Version");
    expect(latest.headers["x-compute-request-id"]).toBe(latest.headers["x-openstack-request-id"]);
  });

  it("answers an unsupported microversion with 406 computeFault and Nova's message", async () => {
    const reply = await alice("/servers", { version: "2.91" });
    expect(reply.status).toBe(406);
    expect(reply.body).toEqual({
      computeFault: {
        code: 406,
        message: "Version 2.91 is not supported by the API. Minimum is 2.1 and maximum is 2.90.",
      },
    });
    expect((await alice("/servers", { version: "2.x" })).status).toBe(400);
  });

  it("pages /servers/detail newest first with limit and marker: 7/7/7/5, next links, unique ids", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let path: string | undefined = "/servers/detail?limit=7";
    while (path) {
      const reply = await alice(path);
      expect(reply.status).toBe(200);
      sizes.push(reply.body.servers.length);
      seen.push(...reply.body.servers.map((s: { id: string }) => s.id));
      const next = reply.body.servers_links?.find((l: { rel: string }) => l.rel === "next")?.href as string | undefined;
      path = next?.slice(emulator.urls.compute.length);
    }
    expect(sizes).toEqual([7, 7, 7, 5]);
    expect(new Set(seen).size).toBe(26);
    const names = (await alice("/servers/detail")).body.servers.map((s: { name: string }) => s.name);
    expect(names[0]).toBe("web-1");
    expect(names[names.length - 1]).toBe("page-00");
  });

  it("refuses an unknown marker with 400", async () => {
    const reply = await alice("/servers/detail?marker=00000000-0000-4000-8000-000000000000");
    expect(reply.status).toBe(400);
    expect(reply.body.badRequest.message).toBe("marker [00000000-0000-4000-8000-000000000000] not found");
  });

  it("filters by unanchored name regex, status, image and changes-since", async () => {
    const byName = await alice("/servers/detail?name=age-0");
    expect(byName.body.servers).toHaveLength(10);
    const stopped = await alice("/servers/detail?status=SHUTOFF");
    expect(stopped.body.servers.map((s: { name: string }) => s.name).sort()).toEqual([
      "page-00",
      "page-05",
      "page-10",
      "page-15",
      "page-20",
    ]);
    const image = await alice("/servers?image=22222222-2222-4222-8222-222222222222");
    expect(image.body.servers).toHaveLength(12);
    expect(Object.keys(image.body.servers[0]).sort()).toEqual(["id", "links", "name"]);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await alice(`/servers/detail?changes-since=${future}`)).body.servers).toEqual([]);
    expect((await alice("/servers/detail?changes-since=2000-01-01T00:00:00Z")).body.servers).toHaveLength(26);
    expect((await alice("/servers/detail?status=BOGUS", { version: "2.38" })).status).toBe(400);
  });

  it("rejects unknown query parameters from 2.75 only", async () => {
    expect((await alice("/servers/detail?colour=red", { version: "2.74" })).status).toBe(200);
    const reply = await alice("/servers/detail?colour=red", { version: "2.75" });
    expect(reply.status).toBe(400);
    expect(reply.body.badRequest.message).toMatch(/colour/);
  });

  it("shows OS-EXT-SRV-ATTR:user_data (base64 as sent) to admins from 2.3, never to members", async () => {
    const list = await admin("/servers?name=^web-1$");
    const id = list.body.servers[0].id as string;
    const asAdmin = await admin(`/servers/${id}`, { version: "2.3" });
    expect(asAdmin.body.server["OS-EXT-SRV-ATTR:user_data"]).toBe(Buffer.from("#cloud-config\n").toString("base64"));
    expect((await admin(`/servers/${id}`)).body.server["OS-EXT-SRV-ATTR:user_data"]).toBeUndefined();
    const asMember = await alice(`/servers/${id}`, { version: "2.57" });
    expect(Object.keys(asMember.body.server).filter((k) => k.startsWith("OS-EXT-SRV-ATTR:"))).toEqual([]);
    expect(asMember.body.server).toMatchObject({
      key_name: "ops-2025",
      status: "ACTIVE",
      "OS-EXT-STS:task_state": null,
      "OS-EXT-STS:vm_state": "active",
      "OS-EXT-STS:power_state": 1,
    });
    expect(asMember.body.server.addresses.private[0].addr).toMatch(/^10\.0\.\d+\.\d+$/);
  });

  it("shows the flavor as a link below 2.47 and embedded from 2.47", async () => {
    const id = (await alice("/servers?limit=1")).body.servers[0].id as string;
    expect((await alice(`/servers/${id}`, { version: "2.46" })).body.server.flavor).toMatchObject({ id: "2" });
    expect((await alice(`/servers/${id}`, { version: "2.47" })).body.server.flavor).toMatchObject({
      original_name: "m1.small",
      vcpus: 1,
    });
  });

  it("lists key pairs, flavors and limits", async () => {
    const keypairs = await alice("/os-keypairs", { version: "2.2" });
    expect(keypairs.body.keypairs[0].keypair).toMatchObject({ name: "ops-2025", type: "ssh" });
    expect(keypairs.body.keypairs[0].keypair.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect((await alice("/flavors/detail")).body.flavors.map((f: { name: string }) => f.name)).toEqual([
      "m1.tiny",
      "m1.small",
      "m1.medium",
    ]);
    expect((await alice("/limits")).body.limits.absolute.maxServerMeta).toBe(128);
    expect((await alice("/servers/does-not-exist")).body.itemNotFound.code).toBe(404);
  });

  it("lists images in Glance v2 with marker pagination and a next link", async () => {
    const token = await tokenFor(emulator, "alice", "alice-pw");
    const first = await call(`${emulator.urls.image}/v2/images?limit=1`, { headers: { "x-auth-token": token } });
    expect(first.status).toBe(200);
    expect(first.body.images).toHaveLength(1);
    expect(first.body.next).toMatch(/^\/v2\/images\?/);
    const second = await call(`${emulator.urls.image}${first.body.next as string}`, {
      headers: { "x-auth-token": token },
    });
    expect(second.body.images[0].id).not.toBe(first.body.images[0].id);
    const named = await call(`${emulator.urls.image}/v2/images?name=ubuntu-24.04`, {
      headers: { "x-auth-token": token },
    });
    expect(named.body.images.map((i: { id: string }) => i.id)).toEqual(["22222222-2222-4222-8222-222222222222"]);
    const show = await call(`${emulator.urls.image}/v2/images/11111111-1111-4111-8111-111111111111`, {
      headers: { "x-auth-token": token },
    });
    expect(show.body).toMatchObject({ name: "ubuntu-22.04", status: "active", disk_format: "qcow2" });
    expect((await call(`${emulator.urls.image}/`)).status).toBe(300);
  });

  it("counts requests per route", () => {
    expect(emulator.stats.requests).toBeGreaterThan(20);
    expect(emulator.stats.byRoute["GET /compute/v2.1/servers/detail"]).toBeGreaterThan(4);
    expect(emulator.stats.byRoute["GET /compute/v2.1/servers/{id}"]).toBeGreaterThan(3);
  });
});
