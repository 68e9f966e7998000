import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBusy } from "../../model/observed.js";
import { userDataSha256 } from "../../model/user-data.js";
import { CUSTOM_DATA_MISSING, normalizeInstance } from "./normalize.js";

const vm = {
  instanceId: "i-1",
  instanceName: "web-1",
  status: "running",
  imageId: "img-1",
  keyNames: ["kp"],
  launchTime: "2026-11-01T00:00:00Z",
  privateIpAddress: "10.0.0.4",
};

describe("JD VM → provider-neutral instance", () => {
  it("user data from the base64 launch-script digests like the same text given plainly (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        const encoded = Buffer.from(text, "utf8").toString("base64");
        const observed = normalizeInstance(
          vm,
          { instanceId: "i-1", metadata: [], userdata: [{ key: "launch-script", value: encoded }] },
          "jd",
        );
        expect(observed.userDataSha256).toEqual({ known: true, value: userDataSha256(text) });
      }),
    );
  });

  it("splits reform's annotations from user metadata, and reads no user data as known-absent", () => {
    const metadata = [
      { key: "role", value: "web" },
      { key: "reform.reboot.token", value: "t1" },
      { key: "reform.user_data.sha256", value: "abc" },
    ];
    const observed = normalizeInstance(vm, { instanceId: "i-1", metadata, userdata: [] }, "jd");
    expect(observed).toMatchObject({
      metadata: { role: "web" },
      annotations: { rebootToken: "t1", userDataSha256: "abc" },
      userDataSha256: { known: true, value: null },
      keyPair: "kp",
      power: "running",
      status: "active",
      addresses: ["10.0.0.4"],
    });
  });

  it("without custom data, user data is unknown unless reform's annotation recorded it", () => {
    expect(normalizeInstance(vm, undefined, "jd").userDataSha256).toEqual({
      known: false,
      reason: CUSTOM_DATA_MISSING,
    });
  });

  it("maps JD's statuses: transitions and JD's own tasks are busy, so the plan waits", () => {
    const busy = (status: string) => isBusy(normalizeInstance({ ...vm, status }, undefined, "jd"));
    expect(
      ["pending", "starting", "stopping", "rebooting", "rebuilding", "resizing", "deleting"].filter((s) => !busy(s)),
    ).toEqual([]);
    expect(["running", "stopped", "error"].filter(busy)).toEqual([]);
    expect(normalizeInstance({ ...vm, status: "stopped" }, undefined, "jd")).toMatchObject({
      status: "stopped",
      power: "stopped",
    });
    expect(normalizeInstance({ ...vm, status: "error" }, undefined, "jd").fault?.message).toMatch(/error/);
  });
});
