import { describe, expect, it } from "vitest";
import { userDataSha256 } from "../../model/user-data.js";
import type { EcsServer } from "./normalize.js";
import { isSystemKey, normalizeEcsServer } from "./normalize.js";

const base: EcsServer = {
  id: "s1",
  name: "web-1",
  status: "ACTIVE",
  updated: "2026-01-01T00:00:00Z",
  image: { id: "img-1" },
  key_name: "ops",
  metadata: {},
  "OS-EXT-STS:task_state": null,
  "OS-EXT-STS:power_state": 1,
};

describe("normalizing an ECS ServerDetail", () => {
  it("keeps Huawei's system metadata keys out of user metadata, and annotations apart", () => {
    const metadata = {
      role: "web",
      image_name: "euler",
      "metering.image_id": "img-1",
      "metering.imagetype": "gold",
      os_type: "Linux",
      os_bit: "64",
      charging_mode: "0",
      vpc_id: "v",
      virtual_env_type: "FusionCompute",
      EcmResStatus: "normal",
      __system__encrypted: "0",
      "reform.reboot.token": "t1",
    };
    const s = normalizeEcsServer({ ...base, metadata }, "hw");
    expect(s.metadata).toEqual({ role: "web" });
    expect(Object.keys(s.systemMetadata).sort()).toEqual([
      "EcmResStatus",
      "__system__encrypted",
      "charging_mode",
      "image_name",
      "metering.image_id",
      "metering.imagetype",
      "os_bit",
      "os_type",
      "virtual_env_type",
      "vpc_id",
    ]);
    expect(s.annotations).toEqual({ rebootToken: "t1" });
  });

  it("does not mistake user keys that only look similar for system keys", () => {
    for (const key of ["image", "role", "my.metering", "os_typex", "reform-user"]) expect(isSystemKey(key)).toBe(false);
  });

  it("maps status, task and power state", () => {
    const cases: [Partial<EcsServer>, string, string][] = [
      [{}, "active", "running"],
      [{ status: "SHUTOFF", "OS-EXT-STS:power_state": 4 }, "stopped", "stopped"],
      [
        { status: "REBUILD", "OS-EXT-STS:task_state": "rebuilding", "OS-EXT-STS:power_state": 4 },
        "rebuilding",
        "stopped",
      ],
      [{ status: "HARD_REBOOT", "OS-EXT-STS:task_state": "rebooting_hard" }, "rebooting", "running"],
      [{ "OS-EXT-STS:task_state": "powering-off" }, "stopping", "running"],
      [
        { status: "SHUTOFF", "OS-EXT-STS:task_state": "powering-on", "OS-EXT-STS:power_state": 4 },
        "starting",
        "stopped",
      ],
      [{ status: "ERROR", "OS-EXT-STS:power_state": 0 }, "error", "unknown"],
      [{ status: "MIGRATING" }, "unknown", "running"],
    ];
    for (const [fields, status, power] of cases) {
      const s = normalizeEcsServer({ ...base, ...fields }, "hw");
      expect([s.status, s.power]).toEqual([status, power]);
    }
  });

  it("reads user_data from reform's annotation first, else the cloud's base64 value, else unknown", () => {
    const encoded = Buffer.from("#cloud-config\n", "utf8").toString("base64");
    const fromCloud = normalizeEcsServer({ ...base, "OS-EXT-SRV-ATTR:user_data": encoded }, "hw");
    expect(fromCloud.userDataSha256).toEqual({ known: true, value: userDataSha256("#cloud-config\n") });
    expect(fromCloud.userData).toBe("#cloud-config\n");
    const annotated = normalizeEcsServer(
      { ...base, metadata: { "reform.user_data.sha256": "abc" }, "OS-EXT-SRV-ATTR:user_data": encoded },
      "hw",
    );
    expect(annotated.userDataSha256).toEqual({ known: true, value: "abc" });
    expect(normalizeEcsServer({ ...base, "OS-EXT-SRV-ATTR:user_data": "" }, "hw").userDataSha256).toEqual({
      known: true,
      value: null,
    });
    expect(normalizeEcsServer(base, "hw").userDataSha256.known).toBe(false);
  });

  it("keeps the key pair, image, fault of a server in ERROR, and the addresses", () => {
    const s = normalizeEcsServer(
      {
        ...base,
        status: "ERROR",
        key_name: "",
        fault: { code: 500, message: "disk attach failed" },
        addresses: { vpc: [{ addr: "192.168.0.4" }] },
      },
      "hw",
    );
    expect(s).toMatchObject({
      keyPair: null,
      imageId: "img-1",
      fault: { message: "disk attach failed", code: 500 },
      addresses: ["192.168.0.4"],
      provider: "hw",
      rawStatus: "ERROR",
    });
  });
});
