import { describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { OperationHandle } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { observed, stopped } from "../../plan/test-builders.js";
import type { Tracking } from "./operations.js";
import { decideJdOperation, stepCall, withVmState } from "./operations.js";

const target = { set: { role: "web" }, remove: [], full: { role: "web", owner: "x" } };
const handle = (step: OperationHandle["step"], startedAt = 0): OperationHandle => ({ instanceId: "i-1", step, startedAt, baseline: { updatedAt: "", status: "stopped" }, synchronous: false });

describe("JD step calls", () => {
  it("rebuilds with image, the VM's key pair when unmanaged, the password, user data and the full metadata", () => {
    const step = { kind: "rebuild" as const, impact: "reprovision" as const, params: { imageId: "img-2", userDataSha256: "abc", metadata: target, keepStopped: false } };
    const call = stepCall(step, stopped({ keyPair: "kp-1" }), { password: new Secret("Pw-123456"), userData: "#!/bin/bash\n" });
    expect(call).toEqual({
      verb: "rebuildInstance",
      body: { imageId: "img-2", keyNames: ["kp-1"], password: "Pw-123456", userdata: [{ key: "launch-script", value: Buffer.from("#!/bin/bash\n").toString("base64") }], metadata: [{ key: "role", value: "web" }, { key: "owner", value: "x" }] },
    });
  });

  it("sends {} for stop, start and reboot, and the whole map for metadata", () => {
    expect(stepCall({ kind: "stop", impact: "reboot", params: { reason: "prerequisite" } }, observed(), {})).toEqual({ verb: "stopInstance", body: {} });
    expect(stepCall({ kind: "reboot", impact: "reboot", params: { type: "SOFT" } }, observed(), {})).toEqual({ verb: "rebootInstance", body: {} });
    expect(stepCall({ kind: "update-metadata", impact: "none", params: { metadata: target } }, observed(), {}).body).toEqual({ metadata: [{ key: "role", value: "web" }, { key: "owner", value: "x" }] });
  });
});

describe("JD progress from the instance status", () => {
  /** One poll at `now`; `type` or, while running, the status shown. */
  const poll = (h: OperationHandle, instance: ObservedInstance, tracking: Tracking, now: number, settleMs = 0): string => {
    const status = decideJdOperation(h, instance, tracking, { now, graceMs: 30_000, settleMs });
    return status.type === "running" ? status.status : status.type;
  };
  /** Two polls in a row at `now` and `now + 1`: a step that looks done is done on the second (settleMs 0). */
  const twice = (h: OperationHandle, instance: ObservedInstance, tracking: Tracking, now: number): string => {
    poll(h, instance, tracking, now);
    return poll(h, instance, tracking, now + 1);
  };

  it("a rebuild is done only once rebuilding was seen and the VM stayed stopped again for two polls", () => {
    const tracking: Tracking = { sawTransition: false };
    expect(poll(handle("rebuild"), stopped({ rawStatus: "stopped" }), tracking, 10)).toBe("stopped (no rebuild seen yet)");
    expect(poll(handle("rebuild"), stopped({ status: "rebuilding", rawStatus: "rebuilding" }), tracking, 20)).toBe("rebuilding");
    expect(poll(handle("rebuild"), stopped({ rawStatus: "stopped" }), tracking, 30)).toBe("stopped (settling)");
    expect(poll(handle("rebuild"), stopped({ rawStatus: "stopped" }), tracking, 40)).toBe("done");
  });

  it("a transition quicker than the poll counts after the grace period; error fails at once", () => {
    expect(twice(handle("reboot"), observed({ rawStatus: "running" }), { sawTransition: false }, 30_000)).toBe("done");
    expect(poll(handle("start"), observed({ status: "error", rawStatus: "error" }), { sawTransition: false }, 1)).toBe("failed");
    expect(twice(handle("stop"), stopped({ rawStatus: "stopped" }), { sawTransition: false }, 1)).toBe("done");
  });

  it("a status that flaps back after looking done starts the confirmation again; settleMs makes it span that long", () => {
    const tracking: Tracking = { sawTransition: false };
    const reboot = handle("reboot");
    const seen = [
      poll(reboot, observed({ status: "rebooting", rawStatus: "rebooting" }), tracking, 10, 100),
      poll(reboot, observed({ rawStatus: "running" }), tracking, 20, 100),
      poll(reboot, observed({ status: "rebooting", rawStatus: "rebooting" }), tracking, 30, 100),
      poll(reboot, observed({ rawStatus: "running" }), tracking, 40, 100),
      poll(reboot, observed({ rawStatus: "running" }), tracking, 90, 100),
      poll(reboot, observed({ rawStatus: "running" }), tracking, 140, 100),
    ];
    expect(seen).toEqual(["rebooting", "running (settling)", "rebooting", "running (settling)", "running (settling)", "done"]);
  });

  it("a rebuild onto another image looks done as soon as the VM is stopped on that image, busy status seen or not (a re-attached step)", () => {
    const rebuild: OperationHandle = { ...handle("rebuild"), baseline: { updatedAt: "", status: "stopped", imageId: "img-1" }, targetImageId: "img-2" };
    expect(twice(rebuild, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 10)).toBe("stopped (no rebuild seen yet)");
    expect(twice(rebuild, stopped({ rawStatus: "stopped", imageId: "img-2" }), { sawTransition: false }, 10)).toBe("done");
    // Same image: nothing observable tells a finished rebuild from one not begun, so the grace still applies.
    const sameImage: OperationHandle = { ...rebuild, targetImageId: "img-1" };
    expect(twice(sameImage, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 10)).toBe("stopped (no rebuild seen yet)");
    expect(twice(sameImage, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 30_000)).toBe("done");
  });

  it("a refusal says where the VM was left", () => {
    const refused = new CloudError({ provider: "jd", operation: "POST rebuild", status: 400, cloudMessage: "bad password", cloudCode: "INVALID_ARGUMENT", requestId: "r-1" });
    const error = withVmState(refused, stopped({ id: "i-9", rawStatus: "stopped", imageId: "img-1" })) as CloudError;
    expect(error.message).toContain("bad password; after the refusal the VM i-9 is stopped with image img-1");
    expect(error.details.requestId).toBe("r-1");
  });
});
