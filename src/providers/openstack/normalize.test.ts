import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { userDataSha256 } from "../../model/user-data.js";
import { chooseMicroversion, microversionHeaders, readVersionDocument, rebuildFeatures } from "./microversion.js";
import type { NovaServer } from "./normalize.js";
import { USER_DATA_HIDDEN_REASON, bootsFromVolume, mapPower, mapStatus, normalizeServer } from "./normalize.js";

const base: NovaServer = {
  id: "s1",
  name: "web-1",
  status: "ACTIVE",
  updated: "2026-11-23T10:00:00Z",
  image: { id: "img-1" },
  key_name: "ops",
  metadata: { role: "web", "reform.user_data.sha256": "abc", "reform.reboot.token": "t1", "reform.unknown": "x" },
  addresses: { private: [{ addr: "10.0.0.5" }, { addr: "fd00::5" }], public: [{ addr: "203.0.113.9" }] },
  "OS-EXT-STS:task_state": null,
  "OS-EXT-STS:vm_state": "active",
  "OS-EXT-STS:power_state": 1,
};

describe("status mapping", () => {
  it.each([
    ["ACTIVE", null, "active"],
    ["SHUTOFF", null, "stopped"],
    ["REBUILD", "rebuild_spawning", "rebuilding"],
    ["REBOOT", "reboot_pending", "rebooting"],
    ["HARD_REBOOT", "rebooting_hard", "rebooting"],
    ["BUILD", "spawning", "building"],
    ["ERROR", null, "error"],
    ["ACTIVE", "powering-off", "stopping"],
    ["SHUTOFF", "powering-on", "starting"],
    ["PAUSED", null, "unknown"],
    ["SUSPENDED", null, "unknown"],
  ] as const)("%s with task %s is %s", (status, task, expected) => {
    expect(mapStatus(status, task, undefined)).toBe(expected);
  });

  it("keeps a hard reboot from ERROR visible as busy: status error with its task", () => {
    const s = normalizeServer({ ...base, status: "ERROR", "OS-EXT-STS:task_state": "rebooting_hard" }, "dc1");
    expect(s.status).toBe("error");
    expect(s.task).toBe("rebooting_hard");
  });

  it("is total: any status word and task give one of the known statuses (property)", () => {
    const known = [
      "active",
      "stopped",
      "building",
      "rebuilding",
      "rebooting",
      "stopping",
      "starting",
      "error",
      "unknown",
    ];
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: null }), (status, task) => {
        expect(known).toContain(mapStatus(status, task, null));
      }),
    );
  });

  it("maps power from power_state, else from the status", () => {
    expect(mapPower(1, "REBOOT")).toBe("running");
    expect(mapPower(4, "ACTIVE")).toBe("stopped");
    expect(mapPower(undefined, "SHUTOFF")).toBe("stopped");
    expect(mapPower(3, "PAUSED")).toBe("unknown");
  });
});

describe("normalizeServer", () => {
  it("splits annotations from user metadata and flattens addresses", () => {
    const s = normalizeServer(base, "dc1");
    expect(s).toMatchObject({
      id: "s1",
      name: "web-1",
      provider: "dc1",
      status: "active",
      rawStatus: "ACTIVE",
      task: null,
      imageId: "img-1",
      keyPair: "ops",
      power: "running",
      locked: false,
      updatedAt: "2026-11-23T10:00:00Z",
    });
    expect(s.metadata).toEqual({ role: "web" });
    expect(s.annotations).toEqual({ userDataSha256: "abc", rebootToken: "t1" });
    expect(s.addresses).toEqual(["10.0.0.5", "fd00::5", "203.0.113.9"]);
  });

  it("gives an empty image id for boot-from-volume and keeps the fault", () => {
    const s = normalizeServer(
      { ...base, image: "", status: "ERROR", fault: { code: 500, message: "No valid host was found." } },
      "dc1",
    );
    expect(s.imageId).toBe("");
    expect(s.fault).toEqual({ code: 500, message: "No valid host was found." });
  });

  it("knows user_data from Nova when the key is visible (base64 decoded, normalized digest)", () => {
    const text = "#cloud-config\r\npackages: [nginx]\r\n\r\n";
    const s = normalizeServer({ ...base, "OS-EXT-SRV-ATTR:user_data": Buffer.from(text).toString("base64") }, "dc1");
    expect(s.userDataSha256).toEqual({ known: true, value: userDataSha256("#cloud-config\npackages: [nginx]\n") });
    expect(s.userData).toBe(text);
  });

  it("knows there is no user_data when Nova shows null", () => {
    const s = normalizeServer({ ...base, "OS-EXT-SRV-ATTR:user_data": null }, "dc1");
    expect(s.userDataSha256).toEqual({ known: true, value: null });
    expect(s.userData).toBeNull();
  });

  it("falls back to the annotation, then to unknown with the reason", () => {
    expect(normalizeServer(base, "dc1").userDataSha256).toEqual({ known: true, value: "abc" });
    const { "reform.user_data.sha256": _omit, ...rest } = base.metadata as Record<string, string>;
    const s = normalizeServer({ ...base, metadata: rest }, "dc1");
    expect(s.userDataSha256).toEqual({ known: false, reason: USER_DATA_HIDDEN_REASON });
    expect("userData" in s).toBe(false);
  });
});

describe("microversion", () => {
  it("negotiates min(server max, 2.100 of Nova 2025.1) or the pinned version", () => {
    expect(chooseMicroversion({ max: "2.104", min: "2.1" }, undefined)).toBe("2.100");
    expect(chooseMicroversion({ max: "2.100", min: "2.1" }, undefined)).toBe("2.100");
    expect(chooseMicroversion({ max: "2.93", min: "2.1" }, undefined)).toBe("2.93");
    expect(chooseMicroversion({ max: "2.53", min: "2.1" }, undefined)).toBe("2.53");
    expect(chooseMicroversion({ max: "2.96", min: "2.1" }, "2.60")).toBe("2.60");
    expect(() => chooseMicroversion({ max: "2.53", min: "2.1" }, "2.60")).toThrow(/above the server's maximum 2.53/);
    expect(() => chooseMicroversion({ max: "2.53", min: "2.1" }, "two")).toThrow(/not a microversion/);
  });

  it("reads both version document shapes", () => {
    expect(
      readVersionDocument({
        versions: [
          { id: "v2.0", version: "" },
          { id: "v2.1", status: "CURRENT", version: "2.93", min_version: "2.1" },
        ],
      }),
    ).toEqual({ max: "2.93", min: "2.1" });
    expect(readVersionDocument({ version: { id: "v2.1", version: "2.79", min_version: "2.1" } })).toEqual({
      max: "2.79",
      min: "2.1",
    });
    expect(readVersionDocument({ choices: [] })).toBeUndefined();
  });

  it("derives rebuild features at 2.54, 2.57 and 2.93, and sends both headers", () => {
    expect(rebuildFeatures("2.53")).toEqual({
      setsKeyPair: false,
      setsUserData: false,
      removesKeyPair: false,
      reimagesBootVolume: false,
    });
    expect(rebuildFeatures("2.54")).toEqual({
      setsKeyPair: true,
      setsUserData: false,
      removesKeyPair: true,
      reimagesBootVolume: false,
    });
    expect(rebuildFeatures("2.92")).toEqual({
      setsKeyPair: true,
      setsUserData: true,
      removesKeyPair: true,
      reimagesBootVolume: false,
    });
    expect(rebuildFeatures("2.93")).toEqual({
      setsKeyPair: true,
      setsUserData: true,
      removesKeyPair: true,
      reimagesBootVolume: true,
    });
    expect(rebuildFeatures("2.100")).toEqual({
      setsKeyPair: true,
      setsUserData: true,
      removesKeyPair: true,
      reimagesBootVolume: true,
    });
    expect(microversionHeaders("2.96")).toEqual({
      "OpenStack-API-Version": "compute 2.96",
      "X-OpenStack-Nova-API-Version": "2.96",
    });
  });
});

/** A server document as Nova 31 (2025.1) shows it at 2.100, with the fields added after 2.93 (written from the api-ref). */
function epoxyServer(image: NovaServer["image"]): Record<string, unknown> {
  return {
    ...base,
    image,
    flavor: { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: "m1.tiny", extra_specs: {} },
    "OS-EXT-SRV-ATTR:hostname": "web-1.internal.example.org", // 2.94: a FQDN
    pinned_availability_zone: "az-1", // 2.96
    scheduler_hints: { same_host: ["5f0bc3b3-7a1d-4f5f-9a43-0c7a7c1b8a33"] }, // 2.100
    server_groups: [],
    locked: false,
    locked_reason: null,
    tags: [],
    description: null,
    trusted_image_certificates: null,
    "os-extended-volumes:volumes_attached": [{ id: "vol-1", delete_on_termination: true }],
  };
}

describe("server documents up to 2.100 (Nova 2025.1)", () => {
  it("reads image.id beside image.properties (2.98) and ignores the other fields added after 2.93", () => {
    const doc = epoxyServer({
      id: "img-1",
      links: [],
      properties: { os_distro: "ubuntu", hw_architecture: "x86_64" },
    } as NovaServer["image"]);
    const instance = normalizeServer(doc as unknown as NovaServer, "dc1");
    expect(instance).toEqual(normalizeServer(base, "dc1"));
    expect(instance.imageId).toBe("img-1");
    expect(bootsFromVolume(doc as unknown as NovaServer)).toBe(false);
  });

  it('sees a volume-backed server (image "") at 2.100 as such: no image from Nova, its bootVolume filled from Cinder', () => {
    const doc = epoxyServer("") as unknown as NovaServer;
    expect(bootsFromVolume(doc)).toBe(true);
    expect(normalizeServer(doc, "dc1").imageId).toBe("");
    expect(normalizeServer(doc, "dc1").bootVolume).toBeUndefined();
  });
});
