import { describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import type { OperationHandle } from "../../model/provider.js";
import { Secret } from "../../model/secret.js";
import { observed, stopped } from "../../plan/test-builders.js";
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
  it("a rebuild is done only once rebuilding was seen and the VM is stopped again", () => {
    const tracking = { sawTransition: false };
    expect(decideJdOperation(handle("rebuild"), stopped({ rawStatus: "stopped" }), tracking, 10, 30_000).type).toBe("running");
    expect(decideJdOperation(handle("rebuild"), stopped({ status: "rebuilding", rawStatus: "rebuilding" }), tracking, 20, 30_000).type).toBe("running");
    expect(decideJdOperation(handle("rebuild"), stopped({ rawStatus: "stopped" }), tracking, 30, 30_000).type).toBe("done");
  });

  it("a transition quicker than the poll counts after the grace period; error fails", () => {
    expect(decideJdOperation(handle("reboot"), observed({ rawStatus: "running" }), { sawTransition: false }, 30_000, 30_000).type).toBe("done");
    expect(decideJdOperation(handle("start"), observed({ status: "error", rawStatus: "error" }), { sawTransition: false }, 1, 30_000)).toMatchObject({ type: "failed" });
    expect(decideJdOperation(handle("stop"), stopped({ rawStatus: "stopped" }), { sawTransition: false }, 1, 30_000).type).toBe("done");
  });

  it("a rebuild onto another image is done as soon as the VM is stopped on that image, busy status seen or not (a re-attached step)", () => {
    const rebuild: OperationHandle = { ...handle("rebuild"), baseline: { updatedAt: "", status: "stopped", imageId: "img-1" }, targetImageId: "img-2" };
    expect(decideJdOperation(rebuild, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 10, 30_000).type).toBe("running");
    expect(decideJdOperation(rebuild, stopped({ rawStatus: "stopped", imageId: "img-2" }), { sawTransition: false }, 10, 30_000).type).toBe("done");
    // Same image: nothing observable tells a finished rebuild from one not begun, so the grace still applies.
    const sameImage: OperationHandle = { ...rebuild, targetImageId: "img-1" };
    expect(decideJdOperation(sameImage, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 10, 30_000).type).toBe("running");
    expect(decideJdOperation(sameImage, stopped({ rawStatus: "stopped", imageId: "img-1" }), { sawTransition: false }, 30_000, 30_000).type).toBe("done");
  });

  it("a refusal says where the VM was left", () => {
    const refused = new CloudError({ provider: "jd", operation: "POST rebuild", status: 400, cloudMessage: "bad password", cloudCode: "INVALID_ARGUMENT", requestId: "r-1" });
    const error = withVmState(refused, stopped({ id: "i-9", rawStatus: "stopped", imageId: "img-1" })) as CloudError;
    expect(error.message).toContain("bad password; the VM i-9 is left stopped with image img-1");
    expect(error.details.requestId).toBe("r-1");
  });
});
