import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import type { Reply } from "./test-client.js";
import { nova, tokenFor, waitFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const BROKEN = "33333333-3333-4333-8333-333333333333";
const WORLD = parseWorld(
  `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
  images:
    - { name: ubuntu-22.04, id: ${OLD} }
    - { name: ubuntu-24.04, id: ${NEW} }
    - { name: broken-image, id: ${BROKEN}, fail: "No valid host was found." }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web, owner: team }, userData: "old" }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025 }
    - { name: bad-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: bad } }
    - { name: off-1, image: ubuntu-22.04, status: SHUTOFF }
    - { name: meta-1, image: ubuntu-22.04, metadata: { a: "1", b: "2" } }
    - { name: busy-1, image: ubuntu-22.04, task: rebuilding }
    - { name: pow-1, image: ubuntu-22.04 }
    - { name: locked-1, image: ubuntu-22.04, locked: true }
timings: { rebuild: 800ms, reboot: 400ms, stop: 300ms, start: 300ms, build: 300ms }
`,
  "world.yaml",
);

describe("Nova v2.1 actions and life cycles", () => {
  let emulator: Emulator;
  let api: ReturnType<typeof nova>;
  let adminApi: ReturnType<typeof nova>;
  const ids = new Map<string, string>();
  const server = async (name: string) =>
    (await api(`/servers/${ids.get(name) as string}`, { version: "2.57" })).body.server;
  const settled = (name: string) =>
    waitFor(
      () => server(name),
      (s) => s["OS-EXT-STS:task_state"] === null,
    );
  const action = (name: string, body: unknown, version = "2.57"): Promise<Reply> =>
    api(`/servers/${ids.get(name) as string}/action`, { method: "POST", body, version });

  beforeAll(async () => {
    emulator = await startEmulator({ world: WORLD });
    api = nova(emulator, await tokenFor(emulator, "alice", "alice-pw"));
    adminApi = nova(emulator, await tokenFor(emulator, "admin", "admin-pw"), "2.57");
    for (const s of (await api("/servers")).body.servers) ids.set(s.name, s.id);
  });
  afterAll(() => emulator.close());

  it("rebuilds at 2.57 with key, user_data and metadata: 202 REBUILD, then ACTIVE with the new fields", async () => {
    const userData = Buffer.from("#cloud-config\nnew\n").toString("base64");
    const before = await server("web-1");
    const reply = await action("web-1", {
      rebuild: { imageRef: NEW, key_name: "ops-2026", user_data: userData, metadata: { role: "web2" } },
    });
    expect(reply.status).toBe(202);
    expect(reply.body.server).toMatchObject({
      status: "REBUILD",
      key_name: "ops-2026",
      user_data: userData,
      metadata: { role: "web2" },
      image: { id: NEW },
    });
    expect(reply.headers.location).toMatch(new RegExp(`/servers/${ids.get("web-1") as string}$`));
    const during = await server("web-1");
    expect(during).toMatchObject({
      status: "REBUILD",
      "OS-EXT-STS:task_state": "rebuilding",
      key_name: "ops-2026",
      metadata: { role: "web2" },
    });
    const after = await settled("web-1");
    expect(after).toMatchObject({
      status: "ACTIVE",
      image: { id: NEW },
      key_name: "ops-2026",
      metadata: { role: "web2" },
    });
    expect(after["OS-SRV-USG:launched_at"]).not.toBe(before["OS-SRV-USG:launched_at"]);
    expect(after.updated > during.updated && during.updated > before.updated).toBe(true);
    const full = (await adminApi(`/servers/${ids.get("web-1") as string}`)).body.server;
    expect(full["OS-EXT-SRV-ATTR:user_data"]).toBe(userData);
    expect(emulator.stats.actions.filter((a) => a.serverId === ids.get("web-1")).map((a) => a.action)).toEqual([
      "rebuild",
    ]);
    const actions = (await api(`/servers/${ids.get("web-1") as string}/os-instance-actions`)).body.instanceActions;
    expect(actions).toHaveLength(1);
    const detail = (
      await api(`/servers/${ids.get("web-1") as string}/os-instance-actions/${actions[0].request_id as string}`, {
        version: "2.51",
      })
    ).body.instanceAction;
    expect(detail).toMatchObject({
      action: "rebuild",
      message: null,
      request_id: reply.headers["x-openstack-request-id"],
    });
    expect(detail.events[0]).toMatchObject({ event: "compute_rebuild_instance", result: "Success" });
  });

  it("refuses key_name below 2.54 and user_data below 2.57 (additionalProperties: false)", async () => {
    const key = await action("web-2", { rebuild: { imageRef: OLD, key_name: "ops-2026" } }, "2.53");
    expect(key.status).toBe(400);
    expect(key.body.badRequest.message).toMatch(
      /^Invalid input for field\/attribute rebuild\..*'key_name' was unexpected/,
    );
    const userData = await action("web-2", { rebuild: { imageRef: OLD, user_data: "eA==" } }, "2.56");
    expect(userData.status).toBe(400);
    expect((await action("web-2", { rebuild: { imageRef: OLD, personality: [] } }, "2.57")).status).toBe(400);
    expect((await server("web-2"))["OS-EXT-STS:task_state"]).toBeNull();
  });

  it("refuses unknown images and key pairs, and unknown actions", async () => {
    const image = await action("web-2", { rebuild: { imageRef: "44444444-4444-4444-8444-444444444444" } });
    expect(image.body).toEqual({ badRequest: { code: 400, message: "Cannot find image for rebuild" } });
    const key = await action("web-2", { rebuild: { imageRef: OLD, key_name: "nope" } });
    expect(key.body.badRequest.message).toBe("Invalid key_name provided.");
    const unknown = await action("web-2", { explode: null });
    expect(unknown.body.badRequest.message).toBe("There is no such action: explode");
  });

  it("ends a rebuild to a failing image in ERROR with the fault, the old image, and the new metadata and key kept", async () => {
    const reply = await action("bad-1", {
      rebuild: { imageRef: BROKEN, key_name: "ops-2026", metadata: { role: "new" } },
    });
    expect(reply.status).toBe(202);
    const after = await waitFor(
      () => server("bad-1"),
      (s) => s.status === "ERROR",
    );
    expect(after).toMatchObject({
      status: "ERROR",
      "OS-EXT-STS:task_state": null,
      image: { id: OLD },
      key_name: "ops-2026",
      metadata: { role: "new" },
    });
    expect(after.fault).toMatchObject({ code: 500, message: "No valid host was found." });
    const [entry] = (await api(`/servers/${ids.get("bad-1") as string}/os-instance-actions`)).body.instanceActions;
    expect(entry.message).toBe("Error");
    const meta = await api(`/servers/${ids.get("bad-1") as string}/metadata`, {
      method: "POST",
      body: { metadata: { x: "y" } },
    });
    expect(meta.status).toBe(409);
  });

  it("answers 409 to a second action while the server is busy", async () => {
    expect((await action("web-2", { rebuild: { imageRef: NEW } })).status).toBe(202);
    const second = await action("web-2", { rebuild: { imageRef: NEW } });
    expect(second.status).toBe(409);
    expect(second.body.conflictingRequest.message).toBe(
      `Cannot 'rebuild' instance ${ids.get("web-2") as string} while it is in task_state rebuilding`,
    );
    expect((await action("web-2", { reboot: { type: "SOFT" } })).status).toBe(409);
    expect((await action("busy-1", { "os-stop": null })).status).toBe(409);
    expect((await server("busy-1")).status).toBe("REBUILD");
  });

  it("keeps a stopped server SHUTOFF after a rebuild, passing through REBUILD", async () => {
    expect((await server("off-1")).status).toBe("SHUTOFF");
    expect((await action("off-1", { rebuild: { imageRef: NEW } })).body.server.status).toBe("REBUILD");
    const after = await settled("off-1");
    expect(after).toMatchObject({
      status: "SHUTOFF",
      "OS-EXT-STS:vm_state": "stopped",
      "OS-EXT-STS:power_state": 4,
      image: { id: NEW },
    });
  });

  it("stops, starts and reboots with Nova's statuses and state rules", async () => {
    expect((await action("pow-1", { "os-start": null })).status).toBe(409);
    expect((await action("pow-1", { "os-stop": null })).status).toBe(202);
    expect(await server("pow-1")).toMatchObject({ status: "ACTIVE", "OS-EXT-STS:task_state": "powering-off" });
    expect((await settled("pow-1")).status).toBe("SHUTOFF");
    expect((await action("pow-1", { reboot: { type: "SOFT" } })).status).toBe(409);
    expect((await action("pow-1", { reboot: { type: "HARD" } })).status).toBe(202);
    expect(await server("pow-1")).toMatchObject({ status: "SHUTOFF", "OS-EXT-STS:task_state": "rebooting_hard" });
    expect((await settled("pow-1")).status).toBe("ACTIVE");
    const soft = await action("pow-1", { reboot: { type: "soft" } });
    expect(soft.status).toBe(202);
    expect(soft.body).toBeUndefined();
    expect((await server("pow-1")).status).toBe("REBOOT");
    expect((await settled("pow-1")).status).toBe("ACTIVE");
    expect((await action("pow-1", { reboot: { type: "WARM" } })).status).toBe(400);
  });

  it("refuses actions on a locked server to members, not to admins", async () => {
    const locked = await action("locked-1", { reboot: { type: "SOFT" } });
    expect(locked.status).toBe(409);
    expect(locked.body.conflictingRequest.message).toMatch(/is locked/);
    expect(
      (
        await adminApi(`/servers/${ids.get("locked-1") as string}/action`, {
          method: "POST",
          body: { reboot: { type: "SOFT" } },
        })
      ).status,
    ).toBe(202);
  });

  it("merges with POST, replaces with PUT, upserts and deletes single keys", async () => {
    const base = `/servers/${ids.get("meta-1") as string}/metadata`;
    const merged = await api(base, { method: "POST", body: { metadata: { b: "two", c: "3" } } });
    expect(merged.status).toBe(200);
    expect(merged.body.metadata).toEqual({ a: "1", b: "two", c: "3" });
    const replaced = await api(base, { method: "PUT", body: { metadata: { z: "26" } } });
    expect(replaced.body.metadata).toEqual({ z: "26" });
    expect((await api(`${base}/y`, { method: "PUT", body: { meta: { y: "25" } } })).body).toEqual({
      meta: { y: "25" },
    });
    expect((await api(`${base}/y`, { method: "PUT", body: { meta: { x: "1" } } })).body.badRequest.message).toBe(
      "Request body and URI mismatch",
    );
    expect((await api(`${base}/z`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`${base}/z`)).status).toBe(404);
    expect((await api(base)).body.metadata).toEqual({ y: "25" });
    expect((await api(base, { method: "POST", body: { metadata: { "bad/key": "x" } } })).status).toBe(400);
    expect((await api(base, { method: "POST", body: { metadata: { n: 1 } } })).status).toBe(400);
    expect((await api(base, { method: "POST", body: { metadata: { long: "x".repeat(256) } } })).status).toBe(400);
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"]));
    expect((await api(base, { method: "PUT", body: { metadata: many } })).status).toBe(403);
    expect(emulator.stats.actions.some((a) => a.serverId === ids.get("meta-1"))).toBe(false);
  });

  it("creates a server that builds, then goes ACTIVE, and deletes it", async () => {
    const created = await api("/servers", {
      method: "POST",
      body: { server: { name: "new-1", imageRef: OLD, flavorRef: "1", key_name: "ops-2025", networks: "none" } },
      version: "2.57",
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    ids.set("new-1", id);
    expect((await server("new-1")).status).toBe("BUILD");
    expect(
      (
        await waitFor(
          () => server("new-1"),
          (s) => s.status !== "BUILD",
        )
      ).status,
    ).toBe("ACTIVE");
    expect((await api(`/servers/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/servers/${id}`)).status).toBe(404);
  });
});
