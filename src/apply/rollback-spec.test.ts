import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isExecutable } from "../model/action.js";
import { userDataSha256 } from "../model/user-data.js";
import { planInstance } from "../plan/plan-instance.js";
import { applySteps } from "../plan/test-apply.js";
import { scenarioArb } from "../plan/test-arbitraries.js";
import { IMAGES, NOVA_2_96, desired, input, observed } from "../plan/test-builders.js";
import { beforeStateOf } from "./before-state.js";
import type { BeforeState } from "./journal.js";
import type { RolloutPolicy } from "../model/desired.js";
import { rollbackPolicies } from "./rollback.js";
import { metadataNotRestored, restoreMetadata, rollbackSpec, userDataNotRestored } from "./rollback-spec.js";
import { maxUnavailableCount, nextToStart } from "./schedule.js";

const OLD = "#cloud-config\npackages: [nginx]\n";
const before = (overrides: Partial<BeforeState> = {}): BeforeState => ({
  image: { id: IMAGES.jammy.id, name: IMAGES.jammy.name },
  keyPair: "ops-2025",
  metadata: { role: "web", tier: null },
  annotations: { rebootToken: "t1" },
  userData: { state: "content", sha256: userDataSha256(OLD), content: OLD },
  power: "running",
  status: "ACTIVE",
  ...overrides,
});

describe("rollbackSpec: the spec that takes a server back", () => {
  it("asks for the image by id, the key pair, the metadata that had a value, the kept user_data and the power", () => {
    const { spec, notRestored } = rollbackSpec(before(), undefined);
    expect(spec).toMatchObject({
      image: { id: IMAGES.jammy.id },
      keyPair: "ops-2025",
      metadata: { role: "web" },
      metadataPolicy: "merge",
      userData: { content: OLD, sha256: userDataSha256(OLD), sensitive: false },
      power: "running",
      changePolicy: { onImageChange: "rebuild", minDisruption: "none" },
    });
    expect(spec.reboot).toBeUndefined();
    expect(notRestored).toEqual([]);
  });

  it("asks for no user_data when there was none, and leaves it unmanaged when only its digest was kept", () => {
    expect(rollbackSpec(before({ userData: { state: "absent" } }), undefined).spec.userData).toBeNull();
    const digest = rollbackSpec(before({ userData: { state: "digest", sha256: "ab", why: "sensitive" } }), undefined);
    expect("userData" in digest.spec).toBe(false);
  });

  it("keeps the fleet file's guardrails but never adds a reboot", () => {
    const fleet = desired({}).spec;
    const guarded = {
      ...fleet,
      changePolicy: { ...fleet.changePolicy, protect: true, minDisruption: "reboot" as const },
    };
    expect(rollbackSpec(before(), guarded).spec.changePolicy).toMatchObject({ protect: true, minDisruption: "none" });
  });

  it("says precisely what it cannot restore: an unknown image, withheld metadata, unknown power", () => {
    const { spec, notRestored } = rollbackSpec(
      before({
        image: { unknown: "its root volume vol-1 was not created from an image" },
        withheldMetadata: [{ key: "db_token", why: "its name looks like a secret" }],
        power: "unknown",
      }),
      undefined,
    );
    expect(spec.image).toBeUndefined();
    expect(spec.power).toBeUndefined();
    expect(notRestored).toEqual([
      "image: the image before this run is not known (its root volume vol-1 was not created from an image)",
      "metadata db_token: its value before was not recorded (its name looks like a secret); it is left as it is",
      "power: the power state before this run is not known; it is left as it is",
    ]);
  });
});

describe("userDataNotRestored: measured on the server read back", () => {
  const digest = before({
    userData: { state: "digest", sha256: "a".repeat(64), why: "the fleet file marks it sensitive" },
  });
  it("is silent when the user_data is what it was, or its content was sent", () => {
    expect(
      userDataNotRestored(digest, observed({ userDataSha256: { known: true, value: "a".repeat(64) } }), true),
    ).toBeUndefined();
    expect(
      userDataNotRestored(before(), observed({ userDataSha256: { known: true, value: "b".repeat(64) } }), true),
    ).toBeUndefined();
  });
  it("says what the server has now when only the digest was kept, and that a rebuild without user_data keeps it", () => {
    expect(
      userDataNotRestored(digest, observed({ userDataSha256: { known: true, value: "b".repeat(64) } }), true),
    ).toBe(
      `user_data: the journal kept only its digest (the fleet file marks it sensitive), so the rollback sent none; a reprovisioning step without user_data keeps the server's current one; it is now sha256 bbbbbbbbbbbb…, was sha256 aaaaaaaaaaaa…`,
    );
    const unknown = before({ userData: { state: "unknown", why: "Nova shows user_data to admins only" } });
    expect(userDataNotRestored(unknown, observed(), false)).toBe(
      "user_data: it could not be read before this run (Nova shows user_data to admins only), so the rollback sent none",
    );
  });
});

describe("restoreMetadata: absent keys removed, reform's annotations put back", () => {
  it("adds an update-metadata step when the planned change writes no metadata", () => {
    const now = observed({
      metadata: { role: "web", tier: "2" },
      annotations: { rebootToken: "t1", appliedSha256: "new-digest" },
    });
    const planned = planInstance(input(desired({ metadata: { role: "web" } }), now));
    expect(planned.action).toBe("no-op");
    const change = restoreMetadata(planned, now, before(), NOVA_2_96);
    expect(change.action).toBe("update-metadata");
    expect(change.steps).toEqual([
      {
        kind: "update-metadata",
        impact: "none",
        params: {
          metadata: {
            set: {},
            remove: ["tier", "reform.applied.sha256"],
            full: { role: "web", "reform.reboot.token": "t1" },
          },
        },
      },
    ]);
  });

  it("leaves a server that is as it was untouched", () => {
    const now = observed({ metadata: { role: "web" }, annotations: { rebootToken: "t1" } });
    const planned = planInstance(input(desired({ metadata: { role: "web" } }), now));
    expect(restoreMetadata(planned, now, before(), NOVA_2_96)).toEqual(planned);
  });
});

describe("rollback property", () => {
  it("after a forward change and its rollback, the server has its before image, key pair, managed metadata and annotations", () => {
    let checked = 0;
    fc.assert(
      fc.property(scenarioArb, ({ caps, server, input: forward }) => {
        const first = planInstance(forward);
        if (
          !isExecutable(first.action) ||
          server.observed.imageId === "" ||
          (server.observed.status !== "active" && server.observed.status !== "stopped")
        )
          return;
        const was = beforeStateOf(server.observed, forward.desired.spec, first);
        const after = applySteps(server, first, caps);
        const target = rollbackSpec(was, forward.desired.spec);
        const back = restoreMetadata(
          planInstance({
            desired: { ...forward.desired, spec: target.spec },
            observed: after.observed,
            capabilities: caps,
            adopt: false,
            image: { id: server.observed.imageId, name: "before", properties: forward.observedImage?.properties ?? {} },
            ...(forward.image ? { observedImage: { ...forward.image } } : {}),
          }),
          after.observed,
          was,
          caps,
        );
        if (!isExecutable(back.action) && back.action !== "no-op") return;
        // A cloud that cannot write metadata here: the report says so (checked below), and the image must still be back.
        const left = metadataNotRestored(back, after.observed, was, caps);
        const rolled = applySteps(after, back, caps).observed;
        checked += 1;
        expect(rolled.imageId).toBe(server.observed.imageId);
        expect(rolled.keyPair).toBe(server.observed.keyPair);
        if (left === undefined) {
          expect(rolled.annotations).toEqual(server.observed.annotations);
          for (const [key, value] of Object.entries(was.metadata))
            expect([key, rolled.metadata[key]]).toEqual([key, value ?? undefined]);
        } else expect(caps.metadataUpdate).toBe(false);
        if (was.power !== "unknown") expect(rolled.power).toBe(was.power);
      }),
      { numRuns: 4000 },
    );
    // Most random scenarios are refusals or busy servers; enough changed servers must be checked to mean something.
    expect(checked).toBeGreaterThan(80);
  });
});

describe("a rollback's schedule (rollbackPolicies + nextToStart)", () => {
  const policyArb = fc.record({
    parallelism: fc.integer({ min: 1, max: 6 }),
    maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom("10%", "50%", "100%")),
    canary: fc.integer({ min: 0, max: 3 }),
    onFailure: fc.constantFrom("halt" as const, "continue" as const, "rollback" as const),
    maxUnhealthy: fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }),
    checkpoints: fc.option(fc.constant(["50%"]), { nil: undefined }),
    pauseMs: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  });

  it("never has more than maxUnavailable servers of a group in a downtime step, and attempts every server whatever fails", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.record({ downtime: fc.boolean(), fails: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        (group, servers, picks) => {
          const policies = rollbackPolicies({ web: group as RolloutPolicy });
          const items = servers.map((s, i) => ({ address: `dc1/s${i}`, group: "web", downtime: s.downtime }));
          const running = new Set<string>();
          const converged = new Set<string>();
          const failed = new Set<string>();
          const lastFinished = new Map<string, number>();
          let now = 0;
          const limit = maxUnavailableCount(group as RolloutPolicy, items.length);
          for (let round = 0; round < 100; round++) {
            const decision = nextToStart(items, policies, { running, converged, failed, now, lastFinished }, 50);
            expect(decision.halted).toBe(false);
            for (const a of decision.start) running.add(a);
            const down = items.filter((i) => i.downtime && running.has(i.address)).length;
            expect(down).toBeLessThanOrEqual(limit);
            if (running.size === 0) {
              if (decision.wakeAt === undefined) break;
              now = decision.wakeAt;
              continue;
            }
            const done = [...running][(picks[round % picks.length] ?? 0) % running.size] as string;
            running.delete(done);
            (servers[Number(done.slice("dc1/s".length))]?.fails ? failed : converged).add(done);
            lastFinished.set("web", now);
          }
          expect(converged.size + failed.size).toBe(items.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
