import { describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import { Secret } from "../../model/secret.js";
import { observed, stopped } from "../../plan/test-builders.js";
import { stepCall, withVmState } from "./operations.js";

const target = { set: { role: "web" }, remove: [], full: { role: "web", owner: "x" } };

describe("JD step calls", () => {
  it("rebuilds with image, the VM's key pair when unmanaged, the password, user data and the full metadata", () => {
    const step = {
      kind: "rebuild" as const,
      impact: "reprovision" as const,
      params: { imageId: "img-2", userDataSha256: "abc", metadata: target, keepStopped: false },
    };
    const call = stepCall(step, stopped({ keyPair: "kp-1" }), {
      password: new Secret("Pw-123456"),
      userData: "#!/bin/bash\n",
    });
    expect(call).toEqual({
      verb: "rebuildInstance",
      body: {
        imageId: "img-2",
        keyNames: ["kp-1"],
        password: "Pw-123456",
        userdata: [{ key: "launch-script", value: Buffer.from("#!/bin/bash\n").toString("base64") }],
        metadata: [
          { key: "role", value: "web" },
          { key: "owner", value: "x" },
        ],
      },
    });
  });

  it("sends {} for stop, start and reboot, and the whole map for metadata", () => {
    expect(stepCall({ kind: "stop", impact: "reboot", params: { reason: "prerequisite" } }, observed(), {})).toEqual({
      verb: "stopInstance",
      body: {},
    });
    expect(stepCall({ kind: "reboot", impact: "reboot", params: { type: "SOFT" } }, observed(), {})).toEqual({
      verb: "rebootInstance",
      body: {},
    });
    expect(
      stepCall({ kind: "update-metadata", impact: "none", params: { metadata: target } }, observed(), {}).body,
    ).toEqual({
      metadata: [
        { key: "role", value: "web" },
        { key: "owner", value: "x" },
      ],
    });
  });
});

describe("JD refusals", () => {
  it("a refusal says where the VM was left", () => {
    const refused = new CloudError({
      provider: "jd",
      operation: "POST rebuild",
      status: 400,
      cloudMessage: "bad password",
      cloudCode: "INVALID_ARGUMENT",
      requestId: "r-1",
    });
    const error = withVmState(refused, stopped({ id: "i-9", rawStatus: "stopped", imageId: "img-1" })) as CloudError;
    expect(error.message).toContain("bad password; after the refusal the VM i-9 is stopped with image img-1");
    expect(error.details.requestId).toBe("r-1");
  });
});
