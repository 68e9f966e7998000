import { describe, expect, it } from "vitest";
import { ANNOTATION_KEYS } from "../model/annotations.js";
import { planInstance } from "../plan/plan-instance.js";
import { IMAGES, desired, input, observed, stopped } from "../plan/test-builders.js";
import { verifyInstance } from "./verify.js";

/** A rebuild from jammy to noble, planned by the real planner. */
function rebuildCase() {
  const want = desired({ image: { name: IMAGES.noble.name }, keyPair: "ops-2026", metadata: { role: "web" } });
  const before = observed({ metadata: { role: "web", owner: "team" } });
  const change = planInstance(input(want, before));
  const target = change.steps[0]?.kind === "rebuild" ? change.steps[0].params.metadata.full : {};
  const {
    [ANNOTATION_KEYS.userDataSha256]: sha,
    [ANNOTATION_KEYS.rebootToken]: token,
    [ANNOTATION_KEYS.appliedSha256]: applied,
    ...user
  } = target;
  const converged = observed({
    imageId: IMAGES.noble.id,
    keyPair: "ops-2026",
    metadata: user,
    annotations: {
      ...(sha ? { userDataSha256: sha } : {}),
      ...(token ? { rebootToken: token } : {}),
      ...(applied ? { appliedSha256: applied } : {}),
    },
    updatedAt: "2026-01-01T00:05:00Z",
  });
  return { want, before, change, converged };
}

describe("verifyInstance", () => {
  it("accepts a server that reached the desired image, key, metadata and status", () => {
    const { want, before, change, converged } = rebuildCase();
    expect(change.action).toBe("rebuild");
    expect(verifyInstance({ desired: want, change, before, after: converged })).toEqual({ type: "converged" });
  });

  it("rejects a failed rebuild that looks converged on metadata and key (Nova does not roll them back)", () => {
    const { want, before, change, converged } = rebuildCase();
    const after = {
      ...converged,
      imageId: IMAGES.jammy.id,
      status: "error" as const,
      rawStatus: "ERROR",
      fault: { message: "No valid host was found." },
    };
    const result = verifyInstance({ desired: want, change, before, after });
    expect(result.type).toBe("failed");
    expect(result.type === "failed" && result.why).toMatch(/ERROR: No valid host was found/);
    expect(result.type === "failed" && result.why).toMatch(/image is img-2204, expected img-2404/);
  });

  it("rejects a server still busy and one whose key pair did not change", () => {
    const { want, before, change, converged } = rebuildCase();
    const busy = verifyInstance({
      desired: want,
      change,
      before,
      after: { ...converged, task: "rebuild_spawning", status: "rebuilding", rawStatus: "REBUILD" },
    });
    expect(busy.type === "failed" && busy.why).toMatch(/still REBUILD \(task rebuild_spawning\)/);
    const wrongKey = verifyInstance({ desired: want, change, before, after: { ...converged, keyPair: "ops-2025" } });
    expect(wrongKey.type === "failed" && wrongKey.why).toMatch(/key pair is ops-2025, expected ops-2026/);
  });

  it("rejects a lost managed metadata key and a wrong power state", () => {
    const { want, before, change, converged } = rebuildCase();
    const lost = verifyInstance({
      desired: want,
      change,
      before,
      after: { ...converged, metadata: { owner: "team" } },
    });
    expect(lost.type === "failed" && lost.why).toMatch(/metadata role is null, expected "web"/);
    const off = verifyInstance({
      desired: want,
      change,
      before,
      after: { ...converged, power: "stopped", status: "stopped", rawStatus: "SHUTOFF" },
    });
    expect(off.type === "failed" && off.why).toMatch(/power is stopped, expected running/);
  });

  it("expects a stopped server to stay stopped after a rebuild", () => {
    const want = desired({ image: { name: IMAGES.noble.name } });
    const before = stopped();
    const change = planInstance(input(want, before));
    const after = {
      ...before,
      imageId: IMAGES.noble.id,
      status: "active" as const,
      rawStatus: "ACTIVE",
      power: "running" as const,
    };
    const result = verifyInstance({ desired: want, change, before, after });
    expect(result.type === "failed" && result.why).toMatch(/power is running, expected stopped/);
  });
});

describe("verifyInstance: a volume-backed server whose root volume was re-imaged", () => {
  function volumeCase() {
    const want = desired({ image: { name: IMAGES.noble.name } });
    const before = observed({ bootVolume: { id: "vol-root" } });
    const change = planInstance(input(want, before));
    const target = change.steps[0]?.kind === "rebuild" ? change.steps[0].params.metadata.full : {};
    const {
      [ANNOTATION_KEYS.userDataSha256]: sha,
      [ANNOTATION_KEYS.rebootToken]: token,
      [ANNOTATION_KEYS.appliedSha256]: applied,
      ...user
    } = target;
    const annotations = {
      ...(sha ? { userDataSha256: sha } : {}),
      ...(token ? { rebootToken: token } : {}),
      ...(applied ? { appliedSha256: applied } : {}),
    };
    const converged = observed({
      imageId: IMAGES.noble.id,
      bootVolume: { id: "vol-root" },
      metadata: user,
      annotations,
      updatedAt: "2026-01-01T00:05:00Z",
    });
    return { want, before, change, converged };
  }

  it("accepts it when the volume's image metadata reads back the new image", () => {
    const { want, before, change, converged } = volumeCase();
    expect(change.steps[0]?.kind === "rebuild" && change.steps[0].params.rootVolumeId).toBe("vol-root");
    expect(verifyInstance({ desired: want, change, before, after: converged })).toEqual({ type: "converged" });
  });

  it("fails it when the volume still has the old image, or when its image cannot be read back", () => {
    const { want, before, change, converged } = volumeCase();
    const old = verifyInstance({ desired: want, change, before, after: { ...converged, imageId: IMAGES.jammy.id } });
    expect(old.type === "failed" && old.why).toMatch(/image is img-2204, expected img-2404/);
    const unread = verifyInstance({
      desired: want,
      change,
      before,
      after: {
        ...converged,
        imageId: "",
        bootVolume: { id: "vol-root", unknownReason: "the block storage API (Cinder v3) could not be read: timeout" },
      },
    });
    expect(unread.type === "failed" && unread.why).toMatch(
      /the image of root volume vol-root could not be read back \(the block storage API \(Cinder v3\) could not be read: timeout\)/,
    );
  });
});
