import { describe, expect, it } from "vitest";
import type { InstanceChange, MetadataTarget, Step } from "../model/index.js";
import { ANNOTATION_KEYS, DEFAULT_CHANGE_POLICY, REDACTED } from "../model/index.js";
import { appliedSha256Of, fingerprintOf } from "./fingerprint.js";
import { planInstance } from "./plan-instance.js";
import {
  HUAWEI_LIKE,
  IMAGES,
  JD_LIKE,
  NOVA_2_53,
  NOVA_2_96,
  desired,
  input,
  observed,
  stopped,
  userData,
} from "./test-builders.js";

const noble = { name: "ubuntu-24.04" } as const;
const jammy = { name: "ubuntu-22.04" } as const;
const kinds = (c: InstanceChange): string[] => c.steps.map((s) => s.kind);
const reasonText = (c: InstanceChange): string => c.reasons.map((r) => r.message).join("\n");
function target(step: Step | undefined): MetadataTarget {
  if (step === undefined) throw new Error("no step");
  if (step.kind === "update-metadata") return step.params.metadata;
  if (step.kind === "rebuild" || step.kind === "reinstall" || step.kind === "changeos") return step.params.metadata;
  throw new Error(`step ${step.kind} has no metadata target`);
}
function reprovisionParams(c: InstanceChange) {
  const step = c.steps.find((s) => s.impact === "reprovision");
  if (step === undefined || step.impact !== "reprovision") throw new Error("no reprovisioning step");
  return step.params;
}

describe("planInstance: busy, refused, unresolved", () => {
  it("waits for a busy server and never plans a second action", () => {
    const c = planInstance(
      input(desired({ image: noble }), observed({ status: "rebuilding", rawStatus: "REBUILD", task: "rebuilding" })),
    );
    expect(c.action).toBe("wait");
    expect(c.steps).toEqual([]);
    expect(reasonText(c)).toBe("server is REBUILD (task rebuilding): waiting, not acting twice");
  });

  it("waits for a settled status with a task in progress", () => {
    expect(planInstance(input(desired({ power: "stopped" }), observed({ task: "powering-off" }))).action).toBe("wait");
  });

  it.each([
    [
      "image",
      { image: noble, changePolicy: { ...DEFAULT_CHANGE_POLICY, onImageChange: "fail" as const } },
      "dc1/web-1: image change img-2204 → ubuntu-24.04 (img-2404) refused by policy onImageChange: fail",
    ],
    [
      "keyPair",
      { keyPair: "ops-2026", changePolicy: { ...DEFAULT_CHANGE_POLICY, onKeyPairChange: "fail" as const } },
      "dc1/web-1: key pair change ops-2025 → ops-2026 refused by policy onKeyPairChange: fail",
    ],
    [
      "userData",
      {
        userData: userData("#cloud-config\n"),
        changePolicy: { ...DEFAULT_CHANGE_POLICY, onUserDataChange: "fail" as const },
      },
      "dc1/web-1: user_data change (",
    ],
  ])("turns a %s change refused by policy into an error naming server and field", (_field, s, message) => {
    const c = planInstance(input(desired(s), observed()));
    expect(c.action).toBe("error");
    expect(c.steps).toEqual([]);
    expect(reasonText(c)).toContain(message);
  });

  it("refuses a metadata value longer than the cloud accepts", () => {
    const c = planInstance(input(desired({ metadata: { role: "x".repeat(300) } }), observed()));
    expect(c.action).toBe("error");
    expect(reasonText(c)).toContain("at most 255");
  });

  it("refuses metadata keys in reform's annotation namespace", () => {
    expect(planInstance(input(desired({ metadata: { "reform.x": "1" } }), observed())).action).toBe("error");
  });

  it("is an error when the desired image was not resolved", () => {
    const c = planInstance(input(desired({ image: noble }), observed(), NOVA_2_96, { image: null }));
    expect(c.action).toBe("error");
    expect(reasonText(c)).toContain("was not resolved");
  });
});

describe("planInstance: reprovisioning on Nova 2.96", () => {
  it("rebuilds on an image change, labelled reprovision, with the full metadata and annotations", () => {
    const d = desired({ image: noble, metadata: { role: "api" } });
    const c = planInstance(input(d, observed({ metadata: { role: "web", owner: "ops" } })));
    expect(c.action).toBe("rebuild");
    expect(c.impact).toBe("reprovision");
    expect(kinds(c)).toEqual(["rebuild"]);
    const p = reprovisionParams(c);
    expect(p.imageId).toBe(IMAGES.noble.id);
    expect(p.keepStopped).toBe(false);
    expect(p.metadata.set).toMatchObject({
      role: "api",
      [ANNOTATION_KEYS.appliedSha256]: appliedSha256Of(d.spec, IMAGES.noble.id),
    });
    expect(p.metadata.full).toEqual({
      role: "api",
      owner: "ops",
      [ANNOTATION_KEYS.appliedSha256]: appliedSha256Of(d.spec, IMAGES.noble.id),
    });
    expect(c.fields).toContainEqual({ path: "image", before: "img-2204", after: "ubuntu-24.04", sensitive: false });
    expect(reasonText(c)).toContain("re-creates the root disk");
  });

  it("rebuilds with the current image for a key pair change, and removes a key pair with null", () => {
    const set = planInstance(input(desired({ keyPair: "ops-2026" }), observed()));
    expect(kinds(set)).toEqual(["rebuild"]);
    expect(reprovisionParams(set)).toMatchObject({ imageId: "img-2204", keyPair: "ops-2026" });
    const removed = planInstance(input(desired({ keyPair: null }), observed()));
    expect(reprovisionParams(removed).keyPair).toBeNull();
  });

  it("rebuilds for a user_data change and records its digest", () => {
    const ud = userData("#cloud-config\npackages: [nginx]\n");
    const c = planInstance(
      input(
        desired({ userData: ud }),
        observed({
          userData: "#cloud-config\n",
          userDataSha256: { known: true, value: userData("#cloud-config\n").sha256 },
        }),
      ),
    );
    expect(c.action).toBe("rebuild");
    expect(reprovisionParams(c).userDataSha256).toBe(ud.sha256);
    expect(target(c.steps[0]).set[ANNOTATION_KEYS.userDataSha256]).toBe(ud.sha256);
    expect(c.fields).toContainEqual({
      path: "userData",
      before: "#cloud-config\n",
      after: ud.content,
      sensitive: false,
    });
  });

  it("marks sensitive user_data and never carries its content", () => {
    const c = planInstance(
      input(desired({ userData: userData("password: hunter2\n", true) }), observed({ userData: "password: old\n" })),
    );
    const field = c.fields.find((f) => f.path === "userData");
    expect(field).toEqual({ path: "userData", before: REDACTED, after: REDACTED, sensitive: true });
    expect(JSON.stringify(c)).not.toContain("hunter2");
    expect(JSON.stringify(c)).not.toContain("password: old");
  });

  it("treats no user_data and empty user_data as equal", () => {
    expect(planInstance(input(desired({ userData: null }), observed())).action).toBe("no-op");
    expect(planInstance(input(desired({ userData: userData("\n\n") }), observed())).action).toBe("no-op");
  });

  it("ignores a user_data change by policy, says so, and does not send it with another rebuild", () => {
    const s = {
      userData: userData("#new\n"),
      changePolicy: { ...DEFAULT_CHANGE_POLICY, onUserDataChange: "ignore" as const },
    };
    const alone = planInstance(input(desired(s), observed()));
    expect(alone.action).toBe("no-op");
    expect(reasonText(alone)).toContain("ignored by policy onUserDataChange: ignore");
    const withImage = planInstance(input(desired({ ...s, image: noble }), observed()));
    expect(reprovisionParams(withImage).userDataSha256).toBeUndefined();
    expect(target(withImage.steps[0]).full[ANNOTATION_KEYS.userDataSha256]).toBeUndefined();
  });

  it("satisfies a pending reboot with the rebuild and records the token", () => {
    const c = planInstance(
      input(
        desired({ image: noble, reboot: { token: "t2", type: "SOFT" } }),
        observed({ annotations: { rebootToken: "t1" } }),
      ),
    );
    expect(kinds(c)).toEqual(["rebuild"]);
    expect(target(c.steps[0]).set[ANNOTATION_KEYS.rebootToken]).toBe("t2");
    expect(reasonText(c)).toContain("satisfies the reboot token t2");
  });

  it("repairs a server in ERROR with its current image when nothing else differs", () => {
    const c = planInstance(
      input(
        desired({ image: jammy }),
        observed({ status: "error", rawStatus: "ERROR", fault: { message: "No valid host" } }),
      ),
    );
    expect(c.action).toBe("rebuild");
    expect(reprovisionParams(c).imageId).toBe("img-2204");
    expect(reasonText(c)).toContain("server is in ERROR (fault: No valid host)");
    expect(reasonText(c)).toContain("repairs it");
  });

  it("says a rebuild of a server in ERROR also repairs it", () => {
    const c = planInstance(input(desired({ image: noble }), observed({ status: "error", rawStatus: "ERROR" })));
    expect(c.action).toBe("rebuild");
    expect(reasonText(c)).toContain("the rebuild repairs it");
  });

  it("does not see a boot-from-volume image as a change: it is unknown", () => {
    const c = planInstance(input(desired({ image: noble }), observed({ imageId: "" })));
    expect(c.action).toBe("no-op");
    expect(c.unknowns).toEqual([{ field: "image", reason: expect.stringContaining("boots from a volume") }]);
  });

  it("cannot rebuild a boot-from-volume server with its current image", () => {
    const c = planInstance(input(desired({ keyPair: "ops-2026" }), observed({ imageId: "" })));
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("boots from a volume");
  });
});

describe("planInstance: in place on Nova 2.96", () => {
  it("updates metadata without downtime, keeping unmanaged keys in the full set", () => {
    const c = planInstance(
      input(desired({ metadata: { role: "api", tier: "1" } }), observed({ metadata: { role: "web", owner: "ops" } })),
    );
    expect(c.action).toBe("update-metadata");
    expect(c.impact).toBe("none");
    const t = target(c.steps[0]);
    expect(t.set).toMatchObject({ role: "api", tier: "1" });
    expect(t.remove).toEqual([]);
    expect(t.full).toMatchObject({ role: "api", tier: "1", owner: "ops" });
    expect(c.fields.map((f) => f.path)).toEqual(["metadata.role", "metadata.tier"]);
  });

  it("with metadataPolicy exact removes undeclared keys except ignored and system ones", () => {
    const caps = { ...NOVA_2_96, systemMetadataKeys: ["sys.*"] };
    const d = desired({ metadata: { role: "web" }, metadataPolicy: "exact", ignoreMetadata: ["keep-*"] });
    const c = planInstance(
      input(d, observed({ metadata: { role: "web", stray: "1", "keep-me": "1", "sys.x": "1" } }), caps),
    );
    expect(c.action).toBe("update-metadata");
    expect(target(c.steps[0]).remove).toEqual(["stray"]);
    expect(target(c.steps[0]).full).not.toHaveProperty("stray");
    expect(c.fields).toEqual([{ path: "metadata.stray", before: "1", after: null, sensitive: false }]);
  });

  it("reboots for a changed token, then records it in one update-metadata step placed last", () => {
    const c = planInstance(
      input(
        desired({ reboot: { token: "t2", type: "HARD" }, metadata: { role: "api" } }),
        observed({ annotations: { rebootToken: "t1" } }),
      ),
    );
    expect(c.action).toBe("reboot");
    expect(c.impact).toBe("reboot");
    expect(kinds(c)).toEqual(["reboot", "update-metadata"]);
    expect(c.steps[0]).toEqual({ kind: "reboot", impact: "reboot", params: { type: "HARD" } });
    expect(target(c.steps[1]).set).toMatchObject({ role: "api", [ANNOTATION_KEYS.rebootToken]: "t2" });
  });

  it("does not reboot when no token was ever recorded; lists it as unknown", () => {
    const c = planInstance(input(desired({ reboot: { token: "t1", type: "SOFT" } }), observed()));
    expect(c.action).toBe("no-op");
    expect(c.steps).toEqual([]);
    expect(c.unknowns[0]?.reason).toBe(
      "no reboot token recorded yet; the next step that touches the server records it, `apply --adopt` records it alone",
    );
  });

  it("records an unknown reboot token with the next step that touches the server", () => {
    const c = planInstance(
      input(desired({ reboot: { token: "t1", type: "SOFT" }, metadata: { role: "api" } }), observed()),
    );
    expect(kinds(c)).toEqual(["update-metadata"]);
    expect(target(c.steps[0]).set[ANNOTATION_KEYS.rebootToken]).toBe("t1");
  });

  it.each([
    ["stopped and staying stopped: not rebooted, token recorded", undefined, ["update-metadata"], "update-metadata"],
    ["stopped but should run: started (a fresh boot)", "running" as const, ["start", "update-metadata"], "start"],
  ])("a pending reboot on a server %s", (_label, power, steps, action) => {
    const c = planInstance(
      input(
        desired({ reboot: { token: "t2", type: "SOFT" }, ...(power ? { power } : {}) }),
        stopped({ annotations: { rebootToken: "t1" } }),
      ),
    );
    expect(kinds(c)).toEqual(steps);
    expect(c.action).toBe(action);
    expect(target(c.steps.at(-1)).set[ANNOTATION_KEYS.rebootToken]).toBe("t2");
  });

  it("stops and starts for a power change", () => {
    const stop = planInstance(input(desired({ power: "stopped" }), observed()));
    expect(stop.action).toBe("stop");
    expect(stop.steps[0]).toEqual({ kind: "stop", impact: "reboot", params: { reason: "power" } });
    const start = planInstance(input(desired({ power: "running" }), stopped()));
    expect(kinds(start)[0]).toBe("start");
  });

  it("is a no-op when only the applied digest is stale", () => {
    const c = planInstance(
      input(desired({ metadata: { role: "web" } }), observed({ annotations: { appliedSha256: "stale" } })),
    );
    expect(c.action).toBe("no-op");
    expect(c.steps).toEqual([]);
  });

  it("lists an unknown user_data digest without acting; --adopt records it alone", () => {
    const ud = userData("#cloud-config\n");
    const o = observed({ userDataSha256: { known: false, reason: "the cloud does not return user_data" } });
    const plain = planInstance(input(desired({ userData: ud, reboot: { token: "t1", type: "SOFT" } }), o));
    expect(plain.action).toBe("no-op");
    expect(plain.unknowns.map((u) => u.field)).toEqual(["userData", "reboot"]);
    const adopted = planInstance(
      input(desired({ userData: ud, reboot: { token: "t1", type: "SOFT" } }), o, NOVA_2_96, { adopt: true }),
    );
    expect(adopted.action).toBe("adopt");
    expect(kinds(adopted)).toEqual(["update-metadata"]);
    expect(target(adopted.steps[0]).set).toMatchObject({
      [ANNOTATION_KEYS.userDataSha256]: ud.sha256,
      [ANNOTATION_KEYS.rebootToken]: "t1",
    });
  });

  it("--adopt records the drift baseline on a server that shows everything and matches, and nothing once it is there", () => {
    const d = desired({ metadata: { role: "web" }, keyPair: "ops-2025" });
    expect(planInstance(input(d, observed())).action).toBe("no-op");
    const adopted = planInstance(input(d, observed(), NOVA_2_96, { adopt: true }));
    expect([adopted.action, kinds(adopted)]).toEqual(["adopt", ["update-metadata"]]);
    expect(target(adopted.steps[0]).set).toEqual({
      [ANNOTATION_KEYS.appliedSha256]: appliedSha256Of(d.spec, undefined),
    });
    expect(reasonText(adopted)).toContain(
      "records the digest of the configured state (the baseline `reform drift` compares with)",
    );
    const recorded = observed({ annotations: { appliedSha256: appliedSha256Of(d.spec, undefined) } });
    expect(planInstance(input(d, recorded, NOVA_2_96, { adopt: true })).action).toBe("no-op");
    expect(
      planInstance(input(d, observed({ status: "error", rawStatus: "ERROR" }), NOVA_2_96, { adopt: true })).action,
    ).toBe("no-op");
  });

  it("refuses metadata changes on a server in ERROR where the cloud does", () => {
    const c = planInstance(
      input(desired({ metadata: { role: "api" } }), observed({ status: "error", rawStatus: "ERROR" })),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("does not change metadata of a server in error");
  });

  it("fingerprints the observed fields the decision rests on", () => {
    const o = observed();
    expect(planInstance(input(desired(), o)).fingerprint).toBe(fingerprintOf(o));
    expect(fingerprintOf(o)).toBe(fingerprintOf({ ...o }));
    expect(fingerprintOf(o)).not.toBe(fingerprintOf({ ...o, updatedAt: "2026-01-02T00:00:00Z" }));
    expect(fingerprintOf(o)).not.toBe(fingerprintOf({ ...o, annotations: { rebootToken: "x" } }));
  });
});

describe("planInstance: Nova 2.53", () => {
  it.each([
    ["key pair", { keyPair: "ops-2026" }, "reprovisionSetsKeyPair"],
    ["key pair removal", { keyPair: null }, "reprovisionRemovesKeyPair"],
    ["user_data", { userData: userData("#x\n") }, "reprovisionSetsUserData"],
  ])("cannot change the %s in place: unsupported, naming the capability", (_label, s, capability) => {
    const c = planInstance(input(desired(s), observed(), NOVA_2_53));
    expect(c.action).toBe("unsupported");
    expect(c.steps).toEqual([]);
    expect(reasonText(c)).toContain(capability);
    expect(reasonText(c)).toContain("compute microversion 2.53");
  });

  it("rebuilds an image change and leaves key pair and user_data as they are", () => {
    const c = planInstance(
      input(desired({ image: noble, keyPair: "ops-2025", userData: null }), observed(), NOVA_2_53),
    );
    const p = reprovisionParams(c);
    expect(p.keyPair).toBeUndefined();
    expect(p.userDataSha256).toBeUndefined();
  });
});

describe("planInstance: Huawei-like capabilities", () => {
  it("runs changeos for an image change, then writes metadata in a trailing step", () => {
    const c = planInstance(input(desired({ image: noble, metadata: { role: "api" } }), observed(), HUAWEI_LIKE));
    expect(c.action).toBe("rebuild");
    expect(kinds(c)).toEqual(["changeos", "update-metadata"]);
    expect(reprovisionParams(c).metadata.set).toEqual({});
    expect(target(c.steps[1]).set).toMatchObject({ role: "api" });
  });

  it("reinstalls for a key pair change on the same image", () => {
    const c = planInstance(input(desired({ keyPair: "ops-2026" }), observed(), HUAWEI_LIKE));
    expect(c.action).toBe("reinstall");
    expect(kinds(c)[0]).toBe("reinstall");
  });

  it("cannot rebuild a server in ERROR", () => {
    const c = planInstance(
      input(
        desired({ image: jammy }),
        observed({ status: "error", rawStatus: "ERROR", fault: { message: "disk" } }),
        HUAWEI_LIKE,
      ),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toBe("dc1/web-1: server is in ERROR (fault: disk) and the cloud cannot rebuild it");
  });

  it("updates metadata of a server in ERROR when the cloud allows it", () => {
    const c = planInstance(
      input(desired({ metadata: { role: "api" } }), observed({ status: "error", rawStatus: "ERROR" }), HUAWEI_LIKE),
    );
    expect(c.action).toBe("update-metadata");
  });

  it("has no same-image step when the cloud declares none", () => {
    const c = planInstance(
      input(desired({ keyPair: "ops-2026" }), observed(), { ...HUAWEI_LIKE, sameImageStep: null }),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("no step that reprovisions a server with its current image");
  });
});

describe("planInstance: JD-like capabilities", () => {
  it("stops, rebuilds and starts a running server", () => {
    const c = planInstance(input(desired({ image: noble, keyPair: "ops-2025" }), observed(), JD_LIKE));
    expect(c.action).toBe("rebuild");
    expect(
      c.steps.map((s) => (s.kind === "stop" || s.kind === "start" ? `${s.kind}:${s.params.reason}` : s.kind)),
    ).toEqual(["stop:prerequisite", "rebuild", "start:prerequisite"]);
  });

  it("leaves a stopped server stopped", () => {
    const c = planInstance(input(desired({ image: noble, keyPair: "ops-2025" }), stopped(), JD_LIKE));
    expect(kinds(c)).toEqual(["rebuild"]);
    expect(reprovisionParams(c).keepStopped).toBe(true);
  });

  it("stops for good when the server should be stopped", () => {
    const c = planInstance(
      input(desired({ image: noble, keyPair: "ops-2025", power: "stopped" }), observed(), JD_LIKE),
    );
    expect(c.steps.map((s) => (s.kind === "stop" ? `stop:${s.params.reason}` : s.kind))).toEqual([
      "stop:power",
      "rebuild",
    ]);
    expect(reprovisionParams(c).keepStopped).toBe(true);
  });

  it("needs a password when the server would be left with no key pair", () => {
    const c = planInstance(input(desired({ image: noble }), observed({ keyPair: null }), JD_LIKE));
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("needs a password");
    // an unmanaged key pair is kept by the rebuild, so no password is needed
    const kept = planInstance(input(desired({ image: noble }), observed({ keyPair: "ops-2024" }), JD_LIKE));
    expect(kept.action).toBe("rebuild");
    const ok = planInstance(input(desired({ image: noble, password: { env: "JD_PASS" } }), observed(), JD_LIKE));
    expect(ok.action).toBe("rebuild");
  });

  it("refuses a HARD reboot the cloud does not offer", () => {
    const c = planInstance(
      input(
        desired({ reboot: { token: "t2", type: "HARD" } }),
        observed({ annotations: { rebootToken: "t1" } }),
        JD_LIKE,
      ),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("does not support HARD reboots");
  });

  it("stops again after reprovisioning where the cloud starts a stopped server", () => {
    const caps = { ...NOVA_2_96, reprovisionStartsStopped: true };
    const c = planInstance(input(desired({ image: noble }), stopped(), caps));
    expect(kinds(c)).toEqual(["rebuild", "stop"]);
    expect(reprovisionParams(c).keepStopped).toBe(true);
  });
});
