import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT } from "../model/index.js";
import { limitCount } from "./limits.js";
import { limitPlan, planFleet, refuseChanges } from "./plan-fleet.js";
import { IMAGES, desired, input, observed } from "./test-builders.js";

const base = {
  createdAt: "2026-01-01T00:00:00.000Z",
  configFile: "/fleet.yaml",
  configSha256: "abc",
  rollout: { web: DEFAULT_ROLLOUT },
};

/** Three servers get a new image (reprovision), one only metadata. */
const inputs = [
  ...["web-1", "web-2", "web-3"].map((name, i) =>
    input(desired({ image: { name: IMAGES.noble.name } }, name), observed({ id: `srv-${i}`, name })),
  ),
  input(desired({ metadata: { role: "api" } }, "api-1"), observed({ id: "srv-9", name: "api-1" })),
];

describe("limitCount", () => {
  it("takes a count as it is and a percentage of the targeted servers rounded down", () => {
    expect([
      limitCount(3, 40),
      limitCount("10%", 40),
      limitCount("10%", 25),
      limitCount("0%", 25),
      limitCount("100%", 7),
    ]).toEqual([3, 4, 2, 0, 7]);
  });
});

describe("reprovision limit", () => {
  it("refuses a plan over the limit: not applyable, the count and limit recorded, every reprovisioned server marked with the servers named", () => {
    const plan = planFleet({ ...base, inputs, reprovisionLimit: { limit: 2, source: "fleet file" } });
    expect(plan.applyable).toBe(false);
    expect(plan.limits).toEqual({ reprovision: { limit: 2, source: "fleet file", max: 2, count: 3 } });
    const blocked = plan.changes.filter((c) => c.blocked);
    expect(blocked.map((c) => c.address)).toEqual(["dc1/web-1", "dc1/web-2", "dc1/web-3"]);
    expect(blocked[0]?.blocked).toEqual({
      by: "limits.reprovision",
      message:
        "the plan reprovisions 3 servers, over the limit of 2 (limits.reprovision): dc1/web-1, dc1/web-2, dc1/web-3",
    });
    // Their steps are kept for the reviewer; the metadata-only server is not blocked.
    expect(blocked.every((c) => c.action === "rebuild" && c.steps.length === 1)).toBe(true);
    expect(plan.changes.find((c) => c.address === "dc1/api-1")?.blocked).toBeUndefined();
  });

  it("accepts a plan at the limit, and records it", () => {
    const plan = planFleet({ ...base, inputs, reprovisionLimit: { limit: "75%", source: "--max-reprovisions" } });
    expect(plan.applyable).toBe(true);
    expect(plan.limits?.reprovision).toEqual({ limit: "75%", source: "--max-reprovisions", max: 3, count: 3 });
    expect(plan.changes.some((c) => c.blocked)).toBe(false);
  });

  it("measures a plan again against another limit (apply PLANFILE --max-reprovisions), clearing or setting the marks", () => {
    const refused = planFleet({ ...base, inputs, reprovisionLimit: { limit: 1, source: "fleet file" } });
    const raised = limitPlan(refused, { limit: 3, source: "--max-reprovisions" });
    expect(raised.applyable).toBe(true);
    expect(raised.changes.some((c) => c.blocked)).toBe(false);
    const lowered = limitPlan(raised, { limit: 0, source: "--max-reprovisions" });
    expect(lowered.applyable).toBe(false);
    expect(
      lowered.changes.filter((c) => c.blocked?.message.includes("over the limit of 0 (--max-reprovisions)")),
    ).toHaveLength(3);
  });

  it("counts again when a change is refused for another reason (a refused server is not reprovisioned)", () => {
    const plan = planFleet({ ...base, inputs, reprovisionLimit: { limit: 2, source: "fleet file" } });
    const refused = refuseChanges(
      plan,
      new Map([["dc1/web-1", [{ message: "dc1/web-1: variable ROOT_PASSWORD is not set" }]]]),
    );
    expect(refused.limits?.reprovision?.count).toBe(2);
    expect(refused.changes.some((c) => c.blocked?.by === "limits.reprovision")).toBe(false);
    expect(refused.applyable).toBe(false);
  });

  it("records no limit when none is set", () => {
    expect(planFleet({ ...base, inputs }).limits).toBeUndefined();
  });
});
