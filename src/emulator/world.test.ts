import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";
import { parseWorld } from "./world.js";

const WORLD = `openstack:
  users:
    - { name: admin, password: s3cret, project: demo, roles: [admin] }
    - { name: alice, password: pw, project: demo }
  applicationCredentials: [{ id: ac1, name: ci, secret: shh, user: alice }]
  images:
    - { name: ubuntu-22.04 }
    - { name: ubuntu-24.04, id: 0b7f0000-0000-4000-8000-000000000001, properties: { os_distro: ubuntu } }
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web, tier: 1 }, userData: "#cloud-config\\n" }
    - { name: busy, image: 0b7f0000-0000-4000-8000-000000000001, status: SHUTOFF, task: rebuilding, busyFor: 5s }
timings: { rebuild: 2s, reboot: 500ms, stop: 300, start: 1m }
`;

function errorOf(text: string): string {
  try {
    parseWorld(text, "w.yaml");
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseWorld", () => {
  it("reads the documented shape with its defaults", () => {
    const world = parseWorld(WORLD, "w.yaml");
    expect(world.timings).toEqual({ rebuild: 2000, reboot: 500, stop: 300, start: 60_000 });
    const os = world.openstack;
    expect(os?.region).toBe("RegionOne");
    expect(os?.users[1]).toEqual({ name: "alice", password: "pw", project: "demo", roles: ["member"] });
    expect(os?.servers[0]).toMatchObject({
      name: "web-1",
      image: "ubuntu-22.04",
      keyPair: "ops-2025",
      metadata: { role: "web", tier: "1" },
      status: "ACTIVE",
      task: null,
      busyFor: 0,
    });
    expect(os?.servers[1]).toMatchObject({
      status: "SHUTOFF",
      task: "rebuilding",
      busyFor: 5000,
      keyPair: null,
      userData: null,
    });
    expect(os?.images[1]?.properties).toEqual({ os_distro: "ubuntu" });
  });

  it("accepts an empty file and a world without an openstack section", () => {
    expect(parseWorld("", "w.yaml")).toEqual({ file: "w.yaml", timings: {} });
    expect(parseWorld("timings: { build: 10ms }\n", "w.yaml").openstack).toBeUndefined();
  });

  it.each([
    ["an unknown top-level key", "opnstack: {}\n", /^w\.yaml:1:1: world: unknown key "opnstack"/],
    [
      "an unknown server key",
      "openstack:\n  images: [{ name: a }]\n  servers:\n    - { name: s, image: a, imag: b }\n",
      /^w\.yaml:4:28: openstack\.servers\[0\]: unknown key "imag"/,
    ],
    [
      "a server image not in images",
      "openstack:\n  images: [{ name: a }]\n  servers:\n    - name: s\n      image: b\n",
      /^w\.yaml:5:14: openstack\.servers\[0\]\.image: no image named or with id "b"/,
    ],
    [
      "an ambiguous image name",
      "openstack:\n  images: [{ name: a }, { name: a }]\n  servers: [{ name: s, image: a }]\n",
      /^w\.yaml:3:31: .*ambiguous/,
    ],
    [
      "an unknown key pair",
      "openstack:\n  images: [{ name: a }]\n  servers: [{ name: s, image: a, keyPair: k }]\n",
      /^w\.yaml:3:43: .*no key pair named "k"/,
    ],
    [
      "a bad status",
      "openstack:\n  images: [{ name: a }]\n  servers: [{ name: s, image: a, status: RUNNING }]\n",
      /^w\.yaml:3:42: .*must be one of ACTIVE, SHUTOFF, ERROR/,
    ],
    ["a bad duration", "timings:\n  rebuild: fast\n", /^w\.yaml:2:12: timings\.rebuild: invalid duration "fast"/],
    [
      "a missing password",
      "openstack:\n  users:\n    - { name: u, project: p }\n",
      /^w\.yaml:3:7: openstack\.users\[0\]: missing required key "password"/,
    ],
    ["invalid YAML", "openstack: [\n", /^w\.yaml:\d+:\d+: invalid YAML/],
    [
      "a credential of an unknown user",
      "openstack:\n  applicationCredentials: [{ name: c, secret: s, user: bob }]\n",
      /^w\.yaml:2:56: .*no user named "bob"/,
    ],
  ])("rejects %s with file:line:col", (_what, text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });
});

describe("parseDuration", () => {
  it("reads units and plain milliseconds", () => {
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration("1500")).toBe(1500);
  });

  it("rejects garbage", () => {
    for (const bad of ["", "s", "2x", "-1s", "2 s", "1s2"])
      expect(() => parseDuration(bad)).toThrow(/invalid duration/);
    expect(() => parseDuration(-1)).toThrow(RangeError);
  });

  it("agrees across units for any whole number", () => {
    fc.assert(
      fc.property(
        fc.nat(100_000),
        (n) =>
          parseDuration(`${n}s`) === n * 1000 &&
          parseDuration(`${n}ms`) === n &&
          parseDuration(`${n}m`) === n * 60_000 &&
          parseDuration(String(n)) === n,
      ),
    );
  });
});
