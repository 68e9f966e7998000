import { describe, expect, it } from "vitest";
import type { InstanceChange } from "../model/change.js";
import type { ObservedInstance } from "../model/observed.js";
import type { Plan } from "../model/plan.js";
import { PLAN_FORMAT_VERSION } from "../model/plan.js";
import { DEFAULT_ROLLOUT } from "../model/desired.js";
import { planInstance } from "../plan/plan-instance.js";
import { desired, IMAGES, input, observed } from "../plan/test-builders.js";
import { checkSavedPlan, describeSavedPlanProblem } from "./saved-plan.js";

const web1 = observed();
const web2 = observed({ id: "srv-2", name: "web-2", annotations: { rebootToken: "t1" } });
const live = new Map<string, ObservedInstance>([
  ["dc1/web-1", web1],
  ["dc1/web-2", web2],
]);
const rebuild1 = planInstance(input(desired({ image: { name: IMAGES.noble.name } }), web1));
const reboot2 = planInstance(input(desired({ reboot: { token: "t2", type: "SOFT" } }, "web-2"), web2));
const planOf = (...changes: InstanceChange[]): Plan => ({
  formatVersion: PLAN_FORMAT_VERSION,
  createdAt: "2026-11-23T10:00:00.000Z",
  configFile: "/fleet.yaml",
  configSha256: "abc",
  changes,
  summary: { byAction: {}, unchanged: 0, total: changes.length } as unknown as Plan["summary"],
  rollout: {},
  applyable: true,
  hasChanges: true,
});

describe("checkSavedPlan", () => {
  it("accepts a saved plan equal to the fresh one (the builders' plans do act)", () => {
    expect(rebuild1.steps.map((s) => s.kind)).toEqual(["rebuild"]);
    expect(reboot2.steps.length).toBeGreaterThan(0);
    expect(checkSavedPlan(planOf(rebuild1, reboot2), planOf(rebuild1, reboot2), live)).toBeUndefined();
  });

  it("refuses steps edited by hand: another image id, a HARD reboot for the planned one", () => {
    const step = rebuild1.steps[0]!;
    if (step.kind !== "rebuild") throw new Error("the builder's plan should rebuild");
    const otherImage: InstanceChange = {
      ...rebuild1,
      steps: [{ ...step, params: { ...step.params, imageId: IMAGES.jammy.id } }],
    };
    const hard = {
      ...reboot2,
      steps: reboot2.steps.map((s) => (s.kind === "reboot" ? { ...s, params: { ...s.params, type: "HARD" } } : s)),
    } as InstanceChange;
    const problem = checkSavedPlan(planOf(otherImage, hard), planOf(rebuild1, reboot2), live);
    expect(problem).toEqual({ kind: "steps-differ", addresses: ["dc1/web-1", "dc1/web-2"] });
    expect(describeSavedPlanProblem(problem!)).toBe(
      "the plan does not match what the fleet file calls for now on these servers: dc1/web-1, dc1/web-2 (the plan file was edited, or an image name now resolves to another image); run plan again",
    );
  });

  it("refuses a server with another id or fingerprint before comparing steps; ignores saved no-ops", () => {
    const replaced = new Map(live);
    replaced.set("dc1/web-1", { ...web1, id: "srv-9" });
    expect(checkSavedPlan(planOf(rebuild1, reboot2), planOf(rebuild1, reboot2), replaced)).toEqual({
      kind: "servers-changed",
      addresses: ["dc1/web-1"],
    });
    const touched = new Map(live);
    touched.set("dc1/web-2", { ...web2, metadata: { role: "db" } });
    expect(checkSavedPlan(planOf(rebuild1, reboot2), planOf(rebuild1, reboot2), touched)).toEqual({
      kind: "servers-changed",
      addresses: ["dc1/web-2"],
    });
    const noop = planInstance(input(desired(), web1));
    expect(noop.steps).toEqual([]);
    // A saved plan that leaves web-1 alone is not refused because the fleet now wants more (it only does less).
    expect(checkSavedPlan(planOf(noop, reboot2), planOf(rebuild1, reboot2), live)).toBeUndefined();
  });

  it("refuses rollout policies that differ from the fleet file's (a gate deleted, a budget raised), naming the groups", () => {
    const gate = { type: "http" as const, url: "http://{address}:8080/healthz", timeoutMs: 60_000, intervalMs: 2000 };
    const fleet = {
      ...planOf(rebuild1),
      rollout: { web: { ...DEFAULT_ROLLOUT, gate }, db: { ...DEFAULT_ROLLOUT, maxFailures: 1 } },
    };
    expect(checkSavedPlan(fleet, fleet, live)).toBeUndefined();
    const edited = { ...fleet, rollout: { web: DEFAULT_ROLLOUT, db: { ...DEFAULT_ROLLOUT, maxFailures: 5 } } };
    const problem = checkSavedPlan(edited, fleet, live);
    expect(problem).toEqual({ kind: "rollout-differs", groups: ["db", "web"] });
    expect(describeSavedPlanProblem(problem!)).toBe(
      "the plan's rollout policy differs from the fleet file's for groups db, web (the plan file was edited); run plan again",
    );
  });
});
