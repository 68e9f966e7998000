import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIONS, isExecutable } from "../model/index.js";
import { planInstance } from "./plan-instance.js";
import { applySteps } from "./test-apply.js";
import { scenarioArb } from "./test-arbitraries.js";
import { IMAGES, NOVA_2_96, desired, observed, userData } from "./test-builders.js";

describe("planner properties", () => {
  it("the random scenarios reach every action (the properties below are not vacuous)", () => {
    const actions = new Set(
      fc.sample(scenarioArb, { numRuns: 4000, seed: 42 }).map((s) => planInstance(s.input).action),
    );
    expect([...actions].sort()).toEqual([...ACTIONS].sort());
  });

  it("the random scenarios reach volume-backed servers rebuilt, refused for the cloud and refused for an unreadable volume", () => {
    const seen = new Set<string>();
    for (const s of fc.sample(scenarioArb, { numRuns: 4000, seed: 42 })) {
      const c = planInstance(s.input);
      const step = c.steps.find((st) => st.impact === "reprovision");
      if (step?.impact === "reprovision" && step.params.rootVolumeId !== undefined) seen.add("re-imaged");
      const reasons = c.reasons.map((r) => r.message).join("\n");
      if (reasons.includes("cannot re-image a root volume")) seen.add("cloud cannot");
      if (reasons.includes("so it cannot be reprovisioned with its current image")) seen.add("unreadable");
    }
    expect([...seen].sort()).toEqual(["cloud cannot", "re-imaged", "unreadable"]);
  });

  it("converges: applying the planned steps and planning again gives no-op (or the same refusal)", () => {
    fc.assert(
      fc.property(scenarioArb, ({ caps, server, input }) => {
        const first = planInstance(input);
        if (first.action === "wait") return;
        if (!isExecutable(first.action)) {
          expect(first.steps).toEqual([]);
          expect(planInstance(input).action).toBe(first.action);
          return;
        }
        const after = applySteps(server, first, caps);
        const second = planInstance({ ...input, observed: after.observed });
        expect({ action: second.action, reasons: second.reasons }).toEqual({
          action: "no-op",
          reasons: expect.anything(),
        });
        expect(second.steps).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("gives a reason for every unsupported, error and wait", () => {
    fc.assert(
      fc.property(scenarioArb, ({ input }) => {
        const change = planInstance(input);
        if (change.action === "unsupported" || change.action === "error" || change.action === "wait") {
          expect(change.reasons.length).toBeGreaterThan(0);
          expect(change.reasons.every((r) => r.message.length > 10)).toBe(true);
          expect(change.steps).toEqual([]);
        }
        expect(change.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });

  it("plans no step when something is merely unknown", () => {
    const ud = userData("#cloud-config\n");
    fc.assert(
      fc.property(
        fc.record({
          bootFromVolume: fc.boolean(),
          userDataUnknown: fc.boolean(),
          tokenUnknown: fc.boolean(),
          powerUnknown: fc.boolean(),
        }),
        (u) => {
          const d = desired({
            image: { name: IMAGES.noble.name },
            userData: ud,
            reboot: { token: "t1", type: "SOFT" },
            power: "running",
            keyPair: "ops-2025",
          });
          const o = observed({
            imageId: u.bootFromVolume ? "" : IMAGES.noble.id,
            userDataSha256: u.userDataUnknown
              ? { known: false, reason: "not returned" }
              : { known: true, value: ud.sha256 },
            annotations: u.tokenUnknown ? {} : { rebootToken: "t1" },
            power: u.powerUnknown ? "unknown" : "running",
          });
          const change = planInstance({
            desired: d,
            observed: o,
            capabilities: NOVA_2_96,
            adopt: false,
            image: IMAGES.noble,
          });
          expect(change.action).toBe("no-op");
          expect(change.steps).toEqual([]);
          const unknownCount = [u.bootFromVolume, u.userDataUnknown, u.tokenUnknown, u.powerUnknown].filter(
            Boolean,
          ).length;
          expect(change.unknowns).toHaveLength(unknownCount);
        },
      ),
    );
  });
});
