import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { call, nova, tokenFor, waitFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const WORLD = `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
  images:
    - { name: ubuntu-22.04, id: ${OLD}, properties: { os_distro: ubuntu } }
    - { name: ubuntu-24.04, id: ${NEW} }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, bootFromVolume: true, flavor: "1" }
    - { name: db-2, image: ubuntu-22.04, keyPair: ops-2025, bootFromVolume: true }
    - { name: web-1, image: ubuntu-22.04 }
  volumes:
    - { name: data-1, size: 10, attachedTo: db-1, device: /dev/vdb }
    - { name: seed-1, image: ubuntu-24.04, attachedTo: db-1, device: /dev/vdc }
    - { name: spare, size: 2 }
timings: { rebuild: 1s, reboot: 40ms, stop: 30ms, start: 30ms, build: 30ms }
`;

describe("Cinder v3 (volumes, volume_image_metadata, attachments, paging) and volume-backed servers on Nova", () => {
  let emulator: Emulator;
  let token: string;
  let project: string;
  const ids = new Map<string, string>();
  const cinder = (path: string, headers: Record<string, string> = {}) =>
    call(`${emulator.urls.volume}/${project}${path}`, { headers: { "x-auth-token": token, ...headers } });
  const volumeOf = async (server: string) =>
    (await cinder("/volumes/detail")).body.volumes.find((v: { attachments: { server_id: string; device: string }[] }) =>
      v.attachments.some((a) => a.server_id === ids.get(server) && a.device === "/dev/vda"),
    );

  beforeAll(async () => {
    emulator = await startEmulator({ world: parseWorld(WORLD, "world.yaml") });
    token = await tokenFor(emulator, "alice", "alice-pw");
    const catalog = (await call(`${emulator.urls.identity}/auth/catalog`, { headers: { "x-auth-token": token } })).body
      .catalog;
    const volume = catalog.find((s: { type: string }) => s.type === "volumev3");
    expect(volume).toMatchObject({ type: "volumev3", name: "cinderv3" });
    project = /\/volume\/v3\/([0-9a-f]{32})$/.exec(volume.endpoints[0].url)?.[1] ?? "";
    expect(project).not.toBe("");
    for (const s of (await nova(emulator, token)("/servers")).body.servers) ids.set(s.name, s.id);
  });
  afterAll(() => emulator.close());

  it("lists volumes with their image metadata and attachments; filters bootable; pages with volumes_links", async () => {
    const all = (await cinder("/volumes/detail")).body.volumes;
    expect(all).toHaveLength(5);
    const root = await volumeOf("db-1");
    expect(root).toMatchObject({
      status: "in-use",
      bootable: "true",
      size: 1,
      volume_image_metadata: { image_id: OLD, image_name: "ubuntu-22.04", os_distro: "ubuntu" },
    });
    expect(all.find((v: { name: string }) => v.name === "data-1")).toMatchObject({
      bootable: "false",
      size: 10,
      attachments: [{ server_id: ids.get("db-1"), device: "/dev/vdb" }],
    });
    expect(all.find((v: { name: string }) => v.name === "data-1").volume_image_metadata).toBeUndefined();
    expect(all.find((v: { name: string }) => v.name === "spare")).toMatchObject({
      status: "available",
      attachments: [],
    });
    const bootable = (await cinder("/volumes/detail?bootable=true")).body.volumes;
    expect(bootable.map((v: { name: string }) => v.name).sort()).toEqual(["", "", "seed-1"]);
    const first = await cinder("/volumes/detail?limit=2");
    expect(first.body.volumes).toHaveLength(2);
    const next = first.body.volumes_links[0].href as string;
    expect(next).toContain(`marker=${first.body.volumes[1].id as string}`);
    const second = await call(next, { headers: { "x-auth-token": token } });
    expect(second.body.volumes).toHaveLength(2);
    const third = await call(second.body.volumes_links[0].href, { headers: { "x-auth-token": token } });
    expect(third.body.volumes).toHaveLength(1);
    expect(third.body.volumes_links).toBeUndefined();
    const seen = [...first.body.volumes, ...second.body.volumes, ...third.body.volumes].map(
      (v: { id: string }) => v.id,
    );
    expect(new Set(seen).size).toBe(5);
    expect((await cinder("/volumes/detail?marker=nope")).status).toBe(404);
  });

  it("answers without the project id in the path, refuses another project's, and negotiates volume microversions", async () => {
    const bare = await call(`${emulator.urls.volume}/volumes/${(await volumeOf("db-1")).id as string}`, {
      headers: { "x-auth-token": token },
    });
    expect(bare.body.volume.volume_image_metadata.image_id).toBe(OLD);
    expect(
      (
        await call(`${emulator.urls.volume}/0123456789abcdef0123456789abcdef/volumes/detail`, {
          headers: { "x-auth-token": token },
        })
      ).status,
    ).toBe(400);
    expect(
      (await cinder("/volumes/detail", { "openstack-api-version": "volume 3.71" })).headers["openstack-api-version"],
    ).toBe("volume 3.71");
    expect((await cinder("/volumes/detail", { "openstack-api-version": "volume 3.99" })).status).toBe(406);
    expect((await call(`${emulator.urls.volume}/${project}/volumes/detail`)).status).toBe(401);
  });

  it('shows a volume-backed server\'s image as "" with its volumes attached, at every microversion', async () => {
    const api = nova(emulator, token);
    for (const version of ["2.1", "2.93", "2.100"]) {
      const server = (await api(`/servers/${ids.get("db-1") as string}`, { version })).body.server;
      expect(server.image, version).toBe("");
      expect(server["os-extended-volumes:volumes_attached"].map((v: { id: string }) => v.id)).toHaveLength(3);
    }
    const imageBacked = (await api(`/servers/${ids.get("web-1") as string}`, { version: "2.100" })).body.server;
    expect(imageBacked).toMatchObject({
      image: { id: OLD, properties: { os_distro: "ubuntu" } },
      scheduler_hints: {},
      pinned_availability_zone: null,
      "os-extended-volumes:volumes_attached": [],
    });
  });

  it("refuses, below 2.93, a rebuild of a volume-backed server onto another image, as Nova does; the same image is accepted and leaves the volume", async () => {
    const api = nova(emulator, token);
    const refused = await api(`/servers/${ids.get("db-2") as string}/action`, {
      method: "POST",
      body: { rebuild: { imageRef: NEW } },
      version: "2.92",
    });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toBe(
      `Image ${NEW} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`,
    );
    const same = await api(`/servers/${ids.get("db-2") as string}/action`, {
      method: "POST",
      body: { rebuild: { imageRef: OLD, key_name: "ops-2026" } },
      version: "2.92",
    });
    expect(same.status).toBe(202);
    const statuses = new Set<string>();
    await waitFor(
      async () => {
        statuses.add(((await volumeOf("db-2")) as { status: string } | undefined)?.status ?? "detached");
        return (await api(`/servers/${ids.get("db-2") as string}`)).body.server;
      },
      (s) => s["OS-EXT-STS:task_state"] === null,
    );
    expect([...statuses]).toEqual(["in-use"]);
    expect((await volumeOf("db-2")).volume_image_metadata.image_id).toBe(OLD);
  });

  it("re-images the root volume at 2.93: reserved and downloading without attachment while it runs, then in use with the new image", async () => {
    const api = nova(emulator, token);
    const before = await volumeOf("db-1");
    const reply = await api(`/servers/${ids.get("db-1") as string}/action`, {
      method: "POST",
      body: { rebuild: { imageRef: NEW, key_name: "ops-2026" } },
      version: "2.93",
    });
    expect(reply.status).toBe(202);
    expect(reply.body.server.image).toBe("");
    const seen: string[] = [];
    const tasks = new Set<string>();
    const server = await waitFor(
      async () => {
        const volume = (await cinder(`/volumes/${before.id as string}`)).body.volume;
        const entry = `${volume.status as string}:${volume.attachments.length as number}:${(volume.volume_image_metadata?.image_id as string) === NEW ? "new" : "old"}`;
        if (seen[seen.length - 1] !== entry) seen.push(entry);
        const s = (await api(`/servers/${ids.get("db-1") as string}`)).body.server;
        if (s["OS-EXT-STS:task_state"]) tasks.add(s["OS-EXT-STS:task_state"]);
        return s;
      },
      (s) => s["OS-EXT-STS:task_state"] === null,
      5000,
    );
    expect(server).toMatchObject({ status: "ACTIVE", image: "", key_name: "ops-2026" });
    expect(seen[0]).not.toBe("in-use:1:new");
    expect(seen).toContain("downloading:0:old");
    expect(seen[seen.length - 1]).toBe("in-use:1:new");
    expect(tasks.has("rebuilding")).toBe(true);
    const after = await volumeOf("db-1");
    expect(after.id).toBe(before.id);
    expect(after.attachments[0].attachment_id).not.toBe(before.attachments[0].attachment_id);
    // The other volumes of the server are not re-imaged (seed-1 was created from the new image, data-1 from none).
    const others = (await cinder("/volumes/detail")).body.volumes.filter(
      (v: { name: string }) => v.name === "seed-1" || v.name === "data-1",
    );
    expect(
      others.map((v: { status: string; attachments: unknown[] }) => `${v.status}:${v.attachments.length}`),
    ).toEqual(["in-use:1", "in-use:1"]);
    expect(others.find((v: { name: string }) => v.name === "data-1").volume_image_metadata).toBeUndefined();
  });

  it("deletes the root volume with its server and frees the others", async () => {
    const api = nova(emulator, token);
    expect((await api(`/servers/${ids.get("db-1") as string}`, { method: "DELETE" })).status).toBe(204);
    const names = (await cinder("/volumes/detail")).body.volumes
      .map((v: { name: string; status: string }) => `${v.name || "root"}:${v.status}`)
      .sort();
    expect(names).toEqual(["data-1:available", "root:in-use", "seed-1:available", "spare:available"]);
  });
});

describe("world files with volumes", () => {
  it("refuses a volume attached to an unknown server or at a device already taken, located", () => {
    const base = `openstack:\n  images: [{ name: img }]\n  servers: [{ name: db-1, image: img, bootFromVolume: true }]\n  volumes:\n`;
    expect(() => parseWorld(`${base}    - { name: v, attachedTo: nope }\n`, "w.yaml")).toThrow(
      /w\.yaml:5:\d+: openstack\.volumes\[0\]\.attachedTo: no server named "nope"/,
    );
    expect(() => parseWorld(`${base}    - { name: v, attachedTo: db-1, device: /dev/vda }\n`, "w.yaml")).toThrow(
      /server "db-1" already has a volume at \/dev\/vda/,
    );
    expect(() => parseWorld(`${base}    - { name: v, size: 0 }\n`, "w.yaml")).toThrow(/size must be at least 1/);
  });
});
