import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { nova, tokenFor } from "./test-client.js";
import { parseWorld } from "./world.js";

const NEW = "22222222-2222-4222-8222-222222222222";
const WORLD = parseWorld(
  `openstack:
  users: [{ name: alice, password: alice-pw, project: demo }]
  images: [{ name: a }, { name: b, id: ${NEW} }]
  servers: [{ name: web-1, image: a, metadata: { role: web } }, { name: web-2, image: a }]
timings: { rebuild: 10s }
`,
  "world.yaml",
);

describe("persistence", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "emulator-persist-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("keeps the state across a restart, and completes operations that were in flight", async () => {
    const persistPath = join(dir, "state.json");
    const first = await startEmulator({ world: WORLD, persistPath });
    const api = nova(first, await tokenFor(first, "alice", "alice-pw"));
    const [web2, web1] = (await api("/servers")).body.servers as { id: string }[];
    await api(`/servers/${web1?.id as string}/metadata`, { method: "POST", body: { metadata: { tier: "2" } } });
    expect(
      (await api(`/servers/${web2?.id as string}/action`, { method: "POST", body: { rebuild: { imageRef: NEW } } }))
        .status,
    ).toBe(202);
    await first.close();
    const saved = JSON.parse(await readFile(persistPath, "utf8"));
    expect(saved.version).toBe(1);

    const second = await startEmulator({
      world: parseWorld("openstack: { users: [{ name: alice, password: alice-pw, project: demo }] }\n", "other.yaml"),
      persistPath,
      timings: { rebuild: 10_000 },
    });
    try {
      const again = nova(second, await tokenFor(second, "alice", "alice-pw"));
      expect((await again(`/servers/${web1?.id as string}`)).body.server.metadata).toEqual({ role: "web", tier: "2" });
      expect((await again(`/servers/${web2?.id as string}`)).body.server.status).toBe("REBUILD");
      expect(second.snapshot().actions.map((a) => a.action)).toEqual(["rebuild"]);
    } finally {
      await second.close();
    }
  });

  it("completes operations whose time has passed while the emulator was down", async () => {
    const persistPath = join(dir, "done.json");
    const first = await startEmulator({ world: WORLD, persistPath, timings: { rebuild: 30 } });
    const api = nova(first, await tokenFor(first, "alice", "alice-pw"));
    const [web2] = (await api("/servers")).body.servers as { id: string }[];
    await api(`/servers/${web2?.id as string}/action`, { method: "POST", body: { rebuild: { imageRef: NEW } } });
    await first.close();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const second = await startEmulator({ world: WORLD, persistPath });
    try {
      const server = second.snapshot().openstack.servers.find((s) => s.id === web2?.id);
      expect(server).toMatchObject({ vmState: "active", taskState: null, imageId: NEW, operation: null });
    } finally {
      await second.close();
    }
  });

  it("refuses a corrupt state file instead of replacing it", async () => {
    const persistPath = join(dir, "corrupt.json");
    await writeFile(persistPath, "{nope");
    await expect(startEmulator({ world: WORLD, persistPath })).rejects.toThrow(/not valid JSON/);
  });
});
