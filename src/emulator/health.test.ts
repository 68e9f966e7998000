import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { unhealthyBecause } from "./health.js";
import { call, nova, tokenFor, waitFor } from "./test-client.js";
import type { Emulator } from "./types.js";
import { parseWorld } from "./world.js";

const GOOD = "11111111-1111-4111-8111-111111111111";
const BAD = "22222222-2222-4222-8222-222222222222";
const WORLD = `openstack:
  users: [{ name: admin, password: admin-pw, project: demo, roles: [admin] }]
  images:
    - { name: ubuntu-22.04, id: ${GOOD} }
    - { name: ubuntu-24.04-rc1, id: ${BAD}, healthy: false }
  servers:
    - { name: web-1, id: 0a000000-0000-4000-8000-000000000001, image: ubuntu-22.04 }
    - { name: web-2, image: ubuntu-22.04, status: SHUTOFF }
    - { name: web-3, image: ubuntu-24.04-rc1 }
    - { name: web-4, image: ubuntu-22.04 }
    - { name: db-1, image: ubuntu-24.04-rc1, bootFromVolume: true }
    - { name: busy-1, image: ubuntu-22.04, task: rebuilding }
    - { name: twin, image: ubuntu-22.04 }
huaweicloud:
  credentials: [{ accessKey: HEALTHTESTAK, secretKey: health-test-sk }]
  images: [{ name: euler-2.10 }, { name: euler-2.12-rc1, healthy: false }]
  servers:
    - { name: hw-web-1, image: euler-2.10 }
    - { name: hw-web-2, image: euler-2.10, status: SHUTOFF }
    - { name: hw-web-3, image: euler-2.12-rc1 }
    - { name: twin, image: euler-2.10 }
jdcloud:
  credentials: [{ accessKey: HEALTHTESTJDAK, secretKey: health-test-jd-sk }]
  images: [{ name: ubuntu-22.04, id: img-good }, { name: ubuntu-24.04-rc1, id: img-bad, healthy: false }]
  instances:
    - { name: jd-web-1, id: i-jdweb1, image: ubuntu-22.04 }
    - { name: jd-web-2, image: ubuntu-22.04, status: stopped }
    - { name: jd-web-3, image: img-bad }
timings: { rebuild: 300ms, reboot: 40ms, stop: 30ms, start: 30ms, build: 30ms }
`;

describe("the health route: GET {health}/servers/{id or name} for the servers of all three clouds", () => {
  let emulator: Emulator;
  const health = (key: string, method = "GET") =>
    call(`${emulator.urls.health}/servers/${encodeURIComponent(key)}`, { method });

  beforeAll(async () => {
    emulator = await startEmulator({ world: parseWorld(WORLD, "world.yaml") });
  });
  afterAll(() => emulator.close());

  it("is served on loopback next to the cloud APIs", () => {
    expect(emulator.urls.health).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
  });

  it("answers 200 for a running server on a healthy image, by name or by id, on each cloud", async () => {
    const web = await health("web-1");
    expect(web).toMatchObject({
      status: 200,
      body: {
        healthy: true,
        server: { cloud: "openstack", id: "0a000000-0000-4000-8000-000000000001", name: "web-1", status: "ACTIVE" },
        image: { id: GOOD, name: "ubuntu-22.04", healthy: true },
      },
    });
    expect(web.body.reason).toBeUndefined();
    expect(await health("0a000000-0000-4000-8000-000000000001")).toMatchObject({
      status: 200,
      body: { server: { name: "web-1" } },
    });
    const hw = await health("hw-web-1");
    expect(hw).toMatchObject({
      status: 200,
      body: {
        healthy: true,
        server: { cloud: "huaweicloud", name: "hw-web-1", status: "ACTIVE" },
        image: { name: "euler-2.10" },
      },
    });
    expect(await health(hw.body.server.id)).toMatchObject({ status: 200, body: { server: { name: "hw-web-1" } } });
    expect(await health("jd-web-1")).toMatchObject({
      status: 200,
      body: {
        healthy: true,
        server: { cloud: "jdcloud", id: "i-jdweb1", status: "running" },
        image: { id: "img-good" },
      },
    });
    expect(await health("i-jdweb1")).toMatchObject({ status: 200, body: { server: { name: "jd-web-1" } } });
  });

  it("answers 503 with why for a stopped server on each cloud", async () => {
    for (const [name, status] of [
      ["web-2", "SHUTOFF"],
      ["hw-web-2", "SHUTOFF"],
      ["jd-web-2", "stopped"],
    ] as const) {
      const reply = await health(name);
      expect(reply).toMatchObject({
        status: 503,
        body: { healthy: false, server: { name, status }, reason: `the server is ${status}, not running` },
      });
    }
  });

  it("answers 503 for a running server on an image the world marks healthy: false, on each cloud (a volume-backed one by its root volume's image)", async () => {
    for (const [name, image] of [
      ["web-3", "ubuntu-24.04-rc1"],
      ["db-1", "ubuntu-24.04-rc1"],
      ["hw-web-3", "euler-2.12-rc1"],
      ["jd-web-3", "ubuntu-24.04-rc1"],
    ] as const) {
      const reply = await health(name);
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ healthy: false, server: { name }, image: { name: image, healthy: false } });
      expect(reply.body.reason).toMatch(
        new RegExp(
          `^the server runs image ${image.replaceAll(".", "\\.")} \\(\\S+\\), which the world marks healthy: false$`,
        ),
      );
    }
  });

  it("answers 503 while a server is busy, naming its task", async () => {
    expect(await health("busy-1")).toMatchObject({
      status: 503,
      body: { server: { status: "REBUILD/rebuilding" }, reason: "the server is REBUILD/rebuilding, not running" },
    });
  });

  it("answers 404 for an unknown server and for other paths, 409 for a name two servers have, 405 for other methods", async () => {
    expect(await health("web-9")).toMatchObject({
      status: 404,
      body: { healthy: false, error: 'no emulated server has the id or name "web-9"' },
    });
    expect((await call(`${emulator.urls.health}/servers`)).status).toBe(404);
    expect((await call(`${emulator.urls.health}/servers/web-1/extra`)).status).toBe(404);
    const twin = await health("twin");
    expect(twin.status).toBe(409);
    expect(twin.body.error).toMatch(
      /^2 emulated servers are named "twin" \(openstack \S+, huaweicloud \S+\): ask by id$/,
    );
    expect(await health("web-1", "POST")).toMatchObject({ status: 405, headers: { allow: "GET, HEAD" } });
  });

  it("a rebuild to a healthy: false image succeeds (ACTIVE on the new image) and the server then fails its health check; one to a good image passes", async () => {
    const token = await tokenFor(emulator, "admin", "admin-pw");
    const compute = nova(emulator, token);
    const ids = new Map<string, string>(
      (await compute("/servers")).body.servers.map((s: { name: string; id: string }) => [s.name, s.id]),
    );
    expect(
      (await compute(`/servers/${ids.get("web-4")}/action`, { method: "POST", body: { rebuild: { imageRef: BAD } } }))
        .status,
    ).toBe(202);
    expect((await health("web-4")).body.server.status).toMatch(/^REBUILD\//);
    const rebuilt = await waitFor(
      () => compute(`/servers/${ids.get("web-4")}`),
      (r) => r.body.server.status === "ACTIVE",
    );
    expect(rebuilt.body.server).toMatchObject({ status: "ACTIVE", image: { id: BAD } });
    expect(await health("web-4")).toMatchObject({
      status: 503,
      body: { server: { status: "ACTIVE" }, image: { id: BAD, healthy: false } },
    });
    expect(
      (await compute(`/servers/${ids.get("web-4")}/action`, { method: "POST", body: { rebuild: { imageRef: GOOD } } }))
        .status,
    ).toBe(202);
    await waitFor(
      () => health("web-4"),
      (r) => r.status === 200,
    );
    expect(await health("web-4")).toMatchObject({ status: 200, body: { image: { id: GOOD } } });
  });

  it("counts as no cloud request: faults never touch it", async () => {
    const faulty = await startEmulator({
      world: parseWorld(WORLD, "world.yaml"),
      faults: { error5xxRate: 1, dropRate: 0 },
    });
    try {
      expect((await call(`${faulty.urls.compute}/servers`)).status).toBe(503);
      expect((await call(`${faulty.urls.health}/servers/web-1`)).status).toBe(200);
    } finally {
      await faulty.close();
    }
  });
});

describe("unhealthyBecause", () => {
  const server = {
    cloud: "jdcloud",
    id: "i-1",
    name: "a",
    status: "running",
    running: true,
    image: { id: "img-1", name: "ubuntu", healthy: true },
  } as const;
  it("passes a running server on a healthy or unknown image, and says why otherwise (not running first)", () => {
    expect(unhealthyBecause(server)).toBeUndefined();
    expect(unhealthyBecause({ ...server, image: undefined })).toBeUndefined();
    expect(unhealthyBecause({ ...server, image: { ...server.image, healthy: false } })).toBe(
      "the server runs image ubuntu (img-1), which the world marks healthy: false",
    );
    expect(
      unhealthyBecause({ ...server, status: "stopped", running: false, image: { ...server.image, healthy: false } }),
    ).toBe("the server is stopped, not running");
  });
});

describe("healthy: in world files", () => {
  it("is read on the images of each cloud and refused when not a boolean, located", () => {
    const world = parseWorld(WORLD, "world.yaml");
    expect(world.openstack?.images.map((i) => i.healthy)).toEqual([undefined, false]);
    expect(world.huaweicloud?.images.map((i) => i.healthy)).toEqual([undefined, false]);
    expect(world.jdcloud?.images.map((i) => i.healthy)).toEqual([undefined, false]);
    expect(
      parseWorld("openstack:\n  images: [{ name: a, healthy: true }]\n", "w.yaml").openstack?.images[0]?.healthy,
    ).toBeUndefined();
    for (const text of [
      "openstack:\n  images: [{ name: a, healthy: nope }]\n",
      "huaweicloud:\n  images: [{ name: a, healthy: nope }]\n",
      "jdcloud:\n  images: [{ name: a, healthy: nope }]\n",
    ]) {
      expect(() => parseWorld(text, "w.yaml")).toThrow(/^w\.yaml:2:\d+: .*healthy/);
    }
  });
});
