import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator.js";
import { call, nova, tokenFor, waitFor } from "../test-client.js";
import type { Emulator } from "../types.js";
import { parseWorld } from "../world.js";
import { noValidHost } from "./scheduler.js";
import type { ImageState } from "./state-types.js";

// Regression tests for differences found between the emulator and a real Nova "Zed" (the OpenStack
// integration suite, test/openstack, run by test/nova/run.sh). docs/emulator.md, "Fidelity", lists them.
const X86 = "11111111-1111-4111-8111-111111111111";
const ARM = "44444444-4444-4444-8444-444444444444";
const WORLD = parseWorld(
  `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
  images:
    - { name: ubuntu-x86, id: ${X86}, properties: { hw_architecture: x86_64 } }
    - { name: ubuntu-arm, id: ${ARM}, properties: { hw_architecture: aarch64 } }
  keypairs: [{ name: kp1 }, { name: kp2 }]
  servers:
    - { name: web-1, image: ubuntu-x86, keyPair: kp1, metadata: { role: web, owner: team } }
timings: { rebuild: 60ms, reboot: 30ms, stop: 30ms, start: 30ms, build: 30ms }
`,
  "world.yaml",
);

let emulator: Emulator;
let token: string;
let api: ReturnType<typeof nova>;
beforeAll(async () => {
  emulator = await startEmulator({ world: WORLD, maxMicroversion: "2.93" });
  token = await tokenFor(emulator, "admin", "admin-pw");
  api = nova(emulator, token, "2.57");
});
afterAll(() => emulator.close());

const idOf = async (name: string): Promise<string> =>
  (await api(`/servers?name=^${name}$`)).body.servers[0].id as string;

describe("HTTP details as real Nova sends them", () => {
  it("406 for a too-high microversion echoes the requested version in its headers", async () => {
    const reply = await api("/servers", { version: "2.999" });
    expect(reply.status).toBe(406);
    expect(reply.headers["openstack-api-version"]).toBe("compute 2.999");
    expect(reply.body.computeFault.message).toBe(
      "Version 2.999 is not supported by the API. Minimum is 2.1 and maximum is 2.93.",
    );
  });

  it("401 (refused by keystonemiddleware) has no microversion headers and points at Keystone v3", async () => {
    const reply = await call(`${emulator.urls.compute}/servers`, {
      headers: { "x-auth-token": "nope", "openstack-api-version": "compute 2.57" },
    });
    expect(reply.status).toBe(401);
    expect(reply.headers["openstack-api-version"]).toBeUndefined();
    expect(reply.headers["x-openstack-nova-api-version"]).toBeUndefined();
    expect(reply.headers["www-authenticate"]).toBe(`Keystone uri="${emulator.urls.identity.replace(/\/v3$/, "")}/v3"`);
    expect(reply.headers["content-type"]).toBe("application/json");
    const glance = await call(`${emulator.urls.image}/v2/images`, { headers: { "x-auth-token": "nope" } });
    expect(glance.headers["www-authenticate"]).toMatch(/\/v3"$/);
  });

  it("faults say application/json; charset=UTF-8, successes application/json, and DELETE's 204 still has a content type", async () => {
    const missing = await api("/servers/00000000-0000-4000-8000-000000000000");
    expect([missing.status, missing.headers["content-type"]]).toEqual([404, "application/json; charset=UTF-8"]);
    const list = await api("/servers");
    expect([list.status, list.headers["content-type"]]).toEqual([200, "application/json"]);
    const created = await api("/servers", {
      method: "POST",
      body: { server: { name: "tmp-1", imageRef: X86, flavorRef: "1", networks: "none" } },
    });
    expect(created.status).toBe(202);
    const deleted = await api(`/servers/${created.body.server.id as string}`, { method: "DELETE" });
    expect([deleted.status, deleted.headers["content-type"]]).toEqual([204, "application/json"]);
  });
});

describe("the scheduler's ImagePropertiesFilter (hosts are x86_64, as with Nova's fake driver)", () => {
  it("a rebuild to an aarch64 image is accepted (202), then ERROR with No valid host, image rolled back, the other fields as sent", async () => {
    const id = await idOf("web-1");
    const reply = await api(`/servers/${id}/action`, {
      method: "POST",
      body: { rebuild: { imageRef: ARM, key_name: "kp2", metadata: { role: "web-v2" } } },
    });
    expect(reply.status).toBe(202);
    const server = await waitFor(
      async () => (await api(`/servers/${id}`)).body.server,
      (s) => s.status === "ERROR",
      3000,
    );
    expect(server.status).toBe("ERROR");
    expect(server["OS-EXT-STS:task_state"]).toBeNull();
    expect(server.image.id).toBe(X86);
    expect([server.key_name, server.metadata]).toEqual(["kp2", { role: "web-v2" }]);
    expect(server.fault.message).toMatch(/^No valid host was found\./);
  });

  it("a boot with an aarch64 image ends in ERROR too", async () => {
    const created = await api("/servers", {
      method: "POST",
      body: { server: { name: "arm-1", imageRef: ARM, flavorRef: "1", networks: "none" } },
    });
    expect(created.status).toBe(202);
    const server = await waitFor(
      async () => (await api(`/servers/${created.body.server.id as string}`)).body.server,
      (s) => s.status !== "BUILD",
      3000,
    );
    expect(server.status).toBe("ERROR");
  });

  it("canonicalizes the architecture spellings and ignores images without one", () => {
    const image = (properties: Record<string, string>): ImageState => ({
      id: X86,
      name: "i",
      properties,
      fail: null,
      visibility: "public",
      createdAt: "2026-01-01T00:00:00Z",
    });
    expect(
      [
        image({}),
        image({ hw_architecture: "x86_64" }),
        image({ hw_architecture: "AMD64" }),
        image({ architecture: "x64" }),
      ].map(noValidHost),
    ).toEqual([undefined, undefined, undefined, undefined]);
    expect(
      [
        image({ hw_architecture: "aarch64" }),
        image({ architecture: "ppc64le" }),
        image({ hw_architecture: "i686" }),
      ].map((i) => noValidHost(i) !== undefined),
    ).toEqual([true, true, true]);
  });
});
