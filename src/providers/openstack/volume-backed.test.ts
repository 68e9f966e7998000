import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../emulator/index.js";
import { parseWorld, startEmulator } from "../../emulator/index.js";
import type { ReprovisionParams } from "../../model/action.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { systemClock } from "../../runtime/clock.js";
import { followStep } from "../test-support.js";
import type { OpenStackConnection } from "./connection.js";
import { createOpenStackAdapter } from "./adapter.js";

/** The OpenStack adapter against the emulator over loopback: volume-backed servers read through Cinder, and rebuilt. */

const OLD = "11111111-1111-4111-8111-111111111111";
const NEW = "22222222-2222-4222-8222-222222222222";
const PASSWORD = "Vol-Adm1n-Kn0wn";
const WORLD = `openstack:
  users: [{ name: admin, password: ${PASSWORD}, project: demo, roles: [admin] }, { name: alice, password: ${PASSWORD}, project: demo }]
  adminToken: fixed-admin-token
  images: [{ name: ubuntu-22.04, id: ${OLD} }, { name: ubuntu-24.04, id: ${NEW} }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, bootFromVolume: true }
    - { name: db-2, image: ubuntu-24.04, keyPair: ops-2025, bootFromVolume: true }
    - { name: web-1, image: ubuntu-22.04 }
  volumes:
    - { name: seed, image: ubuntu-24.04, attachedTo: db-1, device: /dev/vdb }
timings: { rebuild: 150ms }
`;

const signal = new AbortController().signal;
let emulator: Emulator;
const adapters: ProviderAdapter[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ world: parseWorld(WORLD, "world.yaml") });
});
afterAll(async () => {
  for (const a of adapters) await a.close();
  await emulator.close();
});

function adapter(connection: Partial<OpenStackConnection> = {}, user = "alice"): ProviderAdapter {
  const a = createOpenStackAdapter({
    name: "dc1",
    connection: {
      authUrl: emulator.urls.identity,
      auth: { type: "password", username: user, password: new Secret(PASSWORD), projectName: "demo" },
      ...connection,
    },
    env: {},
    cwd: "/",
    homeDir: "/",
    readFile: () => Promise.reject(new Error("no files")),
    clock: systemClock,
    warn: () => undefined,
  });
  adapters.push(a);
  return a;
}

const byName = (list: readonly ObservedInstance[], name: string): ObservedInstance => {
  const found = list.find((i) => i.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};

describe("volume-backed servers through the OpenStack adapter", () => {
  it("reads their image from the root volume (catalog volumev3), as a non-admin who does not see the root device name", async () => {
    const listed = await adapter().listInstances({ selectors: [] }, signal);
    expect(byName(listed, "db-1")).toMatchObject({ imageId: OLD, bootVolume: { id: expect.any(String) } });
    expect(byName(listed, "db-1").bootVolume?.unknownReason).toBeUndefined();
    expect(byName(listed, "db-2")).toMatchObject({ imageId: NEW });
    expect(byName(listed, "web-1")).toMatchObject({ imageId: OLD });
    expect(byName(listed, "web-1").bootVolume).toBeUndefined();
    // One bulk read of the bootable volumes, never one per server.
    expect(emulator.stats.byRoute["GET /volume/v3/{id}/volumes/detail"]).toBe(1);
  });

  it("does not read Cinder when no listed server boots from a volume", async () => {
    const before = emulator.stats.byRoute["GET /volume/v3/{id}/volumes/detail"] ?? 0;
    const listed = await adapter().listInstances({ selectors: [{ name: "web-1" }] }, signal);
    expect(listed.map((i) => i.name)).toEqual(["web-1"]);
    expect(emulator.stats.byRoute["GET /volume/v3/{id}/volumes/detail"] ?? 0).toBe(before);
  });

  it("keeps the image unknown, with the reason, when Cinder cannot be reached or is not configured; the servers are still listed", async () => {
    const down = await adapter({ blockStorageEndpoint: "http://127.0.0.1:9/volume/v3/x" }).listInstances(
      { selectors: [] },
      signal,
    );
    expect(byName(down, "db-1")).toMatchObject({
      imageId: "",
      bootVolume: { unknownReason: expect.stringContaining("the block storage API (Cinder v3) could not be read") },
    });
    expect(byName(down, "web-1").imageId).toBe(OLD);
    const noCatalog = await adapter({
      authUrl: undefined,
      auth: { type: "admin_token", token: new Secret("fixed-admin-token") },
      computeEndpoint: emulator.urls.compute,
    }).listInstances({ selectors: [] }, signal);
    expect(byName(noCatalog, "db-1").bootVolume?.unknownReason).toContain(
      "block_storage_endpoint_override is required with auth_type admin_token",
    );
    const overridden = await adapter({
      authUrl: undefined,
      auth: { type: "admin_token", token: new Secret("fixed-admin-token") },
      computeEndpoint: emulator.urls.compute,
      blockStorageEndpoint: emulator.urls.volume,
    }).listInstances({ selectors: [] }, signal);
    expect(byName(overridden, "db-1").imageId).toBe(OLD);
  }, 60_000);

  it("negotiates 2.100 with a Nova 2025.1 and declares volume-backed rebuilds at 2.93 and later only", async () => {
    const newest = await adapter().capabilities(signal);
    expect(newest).toMatchObject({ reprovisionsBootVolume: true, description: "compute API microversion 2.100" });
    const old = await adapter({ computeApiVersion: "2.92" }).capabilities(signal);
    expect(old.reprovisionsBootVolume).toBe(false);
    expect(old.description).toBe(
      "compute API microversion 2.92; a rebuild of a server that boots from a volume (re-imaging its root volume) needs 2.93",
    );
  });

  it("rebuilds one at 2.93: the root volume is re-imaged, and the image read back from it", async () => {
    const a = adapter({ computeApiVersion: "2.93" });
    const [db] = await a.listInstances({ selectors: [{ name: "db-1" }] }, signal);
    if (!db?.bootVolume?.id) throw new Error("db-1 not volume-backed");
    const params: ReprovisionParams = {
      imageId: NEW,
      keyPair: "ops-2026",
      metadata: { set: {}, remove: [], full: { role: "db" } },
      keepStopped: false,
      rootVolumeId: db.bootVolume.id,
    };
    const handle = await a.startStep(
      { instance: db, step: { kind: "rebuild", impact: "reprovision", params }, inputs: {} },
      signal,
    );
    const { final } = await followStep(a, handle, signal);
    expect(final.type).toBe("done");
    const [after] = await a.listInstances({ selectors: [{ id: db.id }] }, signal);
    expect(after).toMatchObject({
      imageId: NEW,
      keyPair: "ops-2026",
      bootVolume: { id: db.bootVolume.id },
      metadata: { role: "db" },
    });
  });

  it("is refused by Nova below 2.93 when the image changes, with Nova's message", async () => {
    const a = adapter({ computeApiVersion: "2.92" });
    const [db] = await a.listInstances({ selectors: [{ name: "db-2" }] }, signal);
    if (!db) throw new Error("no db-2");
    const params: ReprovisionParams = { imageId: OLD, metadata: { set: {}, remove: [], full: {} }, keepStopped: false };
    await expect(
      a.startStep({ instance: db, step: { kind: "rebuild", impact: "reprovision", params }, inputs: {} }, signal),
    ).rejects.toThrow(/Unable to rebuild with a different image for a volume-backed server/);
  });
});
