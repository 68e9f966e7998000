import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DesiredSpec, ObservedInstance } from "../model/index.js";
import { appliedSha256Of } from "../plan/fingerprint.js";
import { planInstance } from "../plan/plan-instance.js";
import { IMAGES, desired, input, observed, userData } from "../plan/test-builders.js";
import type { DriftStatus } from "../model/drift.js";
import { classifyDrift, driftExitCode, summarizeDrift } from "./drift.js";
import { parseIgnores } from "./patterns.js";

const imageIdOf = (spec: Partial<DesiredSpec>): string | undefined =>
  spec.image === undefined
    ? undefined
    : Object.values(IMAGES).find((i) => "name" in spec.image! && i.name === spec.image.name)?.id;

/** The server as reform leaves it after converging it to `spec`, annotation included. */
function convergedTo(spec: Partial<DesiredSpec>, base: ObservedInstance = observed()): ObservedInstance {
  const full = desired(spec).spec;
  const imageId = imageIdOf(spec);
  return {
    ...base,
    ...(imageId !== undefined ? { imageId } : {}),
    ...(spec.keyPair !== undefined ? { keyPair: spec.keyPair } : {}),
    ...(spec.metadata !== undefined ? { metadata: { ...base.metadata, ...spec.metadata } } : {}),
    ...(spec.userData !== undefined
      ? { userDataSha256: { known: true, value: spec.userData === null ? null : spec.userData.sha256 } }
      : {}),
    ...(spec.power === "stopped" ? { power: "stopped", status: "stopped", rawStatus: "SHUTOFF" } : {}),
    ...(spec.power === "running" ? { power: "running", status: "active", rawStatus: "ACTIVE" } : {}),
    annotations: { ...base.annotations, appliedSha256: appliedSha256Of(full, imageId) },
  };
}

function classify(spec: Partial<DesiredSpec>, live: ObservedInstance, ignore: readonly string[] = []) {
  const d = desired(spec);
  return classifyDrift({
    desired: d,
    observed: live,
    change: planInstance(input(d, live)),
    imageId: imageIdOf(spec),
    ignore: parseIgnores(ignore),
  });
}

const noble = { name: IMAGES.noble.name };
const jammy = { name: IMAGES.jammy.name };

describe("classifyDrift", () => {
  const applied: Partial<DesiredSpec> = { image: noble, keyPair: "ops-2026", metadata: { role: "web", tier: "1" } };

  it("a server reform never applied is unknown, never drift", () => {
    expect(classify(applied, observed()).status).toBe("unknown");
  });

  it("in sync when the server is what reform applied and the configuration did not move", () => {
    expect(classify(applied, convergedTo(applied))).toMatchObject({ status: "in-sync", fields: [] });
  });

  it("drift when a managed field changed outside reform, naming it", () => {
    const live = { ...convergedTo(applied), metadata: { role: "db", tier: "1" } };
    const entry = classify(applied, live);
    expect(entry.status).toBe("drift");
    expect(entry.reason).toMatch(/since then metadata\.role changed outside reform/);
    expect(entry.fields.map((f) => [f.path, f.before, f.after])).toEqual([["metadata.role", "db", "web"]]);
    expect(entry.action).toBe("update-metadata");
  });

  it("unapplied when only the configuration moved", () => {
    const entry = classify(
      { ...applied, metadata: { role: "frontend", tier: "1" }, image: jammy },
      convergedTo(applied),
    );
    expect(entry.status).toBe("unapplied");
    expect(entry.fields.map((f) => f.path).sort()).toEqual(["image", "metadata.role"]);
  });

  it("drift when the configuration moved and the server moved too", () => {
    const live = { ...convergedTo(applied), keyPair: "someone-elses" };
    expect(classify({ ...applied, metadata: { role: "frontend", tier: "1" } }, live).status).toBe("drift");
  });

  it("a new reboot token is a pending request, not drift", () => {
    const spec = { ...applied, reboot: { token: "t2", type: "SOFT" as const } };
    const live = { ...convergedTo(applied), annotations: { ...convergedTo(applied).annotations, rebootToken: "t1" } };
    expect(classify(spec, live).status).toBe("unapplied");
  });

  it("a server in ERROR is drift, unless status is ignored", () => {
    const live: ObservedInstance = {
      ...convergedTo(applied),
      status: "error",
      rawStatus: "ERROR",
      fault: { message: "disk gone" },
    };
    expect(classify(applied, live)).toMatchObject({ status: "drift", reason: "the server is in ERROR: disk gone" });
    expect(classify(applied, live, ["status"]).status).toBe("in-sync");
  });

  it("--ignore silences a field, lists it as ignored, and accepts the snake_case spelling", () => {
    const live = { ...convergedTo(applied), keyPair: "someone-elses", metadata: { role: "web", tier: "2" } };
    expect(classify(applied, live).status).toBe("drift");
    const entry = classify(applied, live, ["key_pair", "metadata.t*"]);
    expect(entry).toMatchObject({ status: "in-sync", fields: [], ignoredFields: ["keyPair", "metadata.tier"] });
  });

  it("a sensitive user_data changed outside reform is drift, marked sensitive", () => {
    const spec = { userData: userData("#cloud-config\nsecret: x\n", true) };
    const live = { ...convergedTo(spec), userDataSha256: { known: true as const, value: "f".repeat(64) } };
    const entry = classify(spec, live);
    expect(entry.status).toBe("drift");
    expect(entry.fields).toHaveLength(1);
    expect(entry.fields[0]?.sensitive).toBe(true);
  });

  const specs = fc.record(
    {
      image: fc.constantFrom(noble, jammy),
      keyPair: fc.constantFrom("k1", "k2", null),
      metadata: fc.dictionary(fc.constantFrom("role", "tier", "team"), fc.constantFrom("a", "b")),
      power: fc.constantFrom("running" as const, "stopped" as const),
      userData: fc.constantFrom(userData("#cloud-config\n"), userData("#cloud-config\npackages: [jq]\n"), null),
    },
    { requiredKeys: [] },
  );

  it("a configuration change alone is never drift, whatever was applied and whatever the configuration now says (property)", () => {
    fc.assert(
      fc.property(specs, specs, (before, now) => {
        const status = classify(now, convergedTo(before)).status;
        expect(["in-sync", "unapplied"]).toContain(status);
      }),
      { numRuns: 300 },
    );
  });

  it("a managed field changed outside reform is always drift when the configuration did not move (property)", () => {
    fc.assert(
      fc.property(specs, fc.constantFrom("image", "keyPair", "metadata", "power", "userData"), (spec, field) => {
        const live = convergedTo(spec);
        const moved: Record<string, Partial<ObservedInstance>> = {
          image: { imageId: "img-by-hand" },
          keyPair: { keyPair: "by-hand" },
          metadata: {
            metadata: {
              ...live.metadata,
              ...Object.fromEntries(Object.keys(spec.metadata ?? {}).map((k) => [k, "by-hand"])),
            },
          },
          power:
            live.power === "stopped"
              ? { power: "running", status: "active", rawStatus: "ACTIVE" }
              : { power: "stopped", status: "stopped", rawStatus: "SHUTOFF" },
          userData: { userDataSha256: { known: true, value: "e".repeat(64) } },
        };
        const managed =
          field === "metadata"
            ? Object.keys(spec.metadata ?? {}).length > 0
            : spec[field as keyof typeof spec] !== undefined;
        fc.pre(managed);
        expect(classify(spec, { ...live, ...moved[field] }).status).toBe("drift");
      }),
      { numRuns: 300 },
    );
  });
});

describe("drift exit codes", () => {
  const statuses: DriftStatus[] = ["drift", "unapplied", "in-sync", "unknown"];

  it("2 when anything drifted, else 3 when changes are unapplied, else 0 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...statuses), { maxLength: 30 }), (list) => {
        const summary = summarizeDrift(list.map((status) => ({ status }) as never));
        expect(Object.values(summary).reduce((a, b) => a + b, 0)).toBe(list.length);
        const expected = list.includes("drift") ? 2 : list.includes("unapplied") ? 3 : 0;
        expect(driftExitCode({ summary })).toBe(expected);
      }),
    );
  });
});

describe("parseIgnores", () => {
  it("tells address globs (with a /) from field globs", () => {
    const ignore = parseIgnores(["dc1/web-*", "userdata", "metadata.backup-*"]);
    expect(ignore.address("dc1/web-7")).toBe(true);
    expect(ignore.address("dc2/web-7")).toBe(false);
    expect(ignore.field("userData")).toBe(true);
    expect(ignore.field("metadata.backup-time")).toBe(true);
    expect(ignore.field("metadata.role")).toBe(false);
    expect(ignore.field("image")).toBe(false);
  });
});
