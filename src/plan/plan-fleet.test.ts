import { describe, expect, it } from "vitest";
import { ACTIONS, DEFAULT_CHANGE_POLICY, DEFAULT_ROLLOUT } from "../model/index.js";
import { planFleet, refuseChanges } from "./plan-fleet.js";
import { isTargeted } from "./targets.js";
import { desired, input, observed } from "./test-builders.js";

const base = {
  createdAt: "2026-01-01T00:00:00.000Z",
  configFile: "/fleet.yaml",
  configSha256: "abc",
  rollout: { web: DEFAULT_ROLLOUT },
};

describe("planFleet", () => {
  const inputs = [
    input(desired({ metadata: { role: "api" } }, "web-2"), observed({ id: "srv-2", name: "web-2" })),
    input(desired({}, "web-1"), observed()),
    input(desired({ image: { name: "ubuntu-24.04" } }, "db-1"), observed({ id: "srv-3", name: "db-1" })),
  ];

  it("sorts by address and counts every action, zeros included", () => {
    const plan = planFleet({ ...base, inputs });
    expect(plan.changes.map((c) => c.address)).toEqual(["dc1/db-1", "dc1/web-1", "dc1/web-2"]);
    expect(Object.keys(plan.summary).sort()).toEqual([...ACTIONS].sort());
    expect(plan.summary).toMatchObject({ rebuild: 1, "update-metadata": 1, "no-op": 1, reboot: 0, error: 0 });
    expect(plan.hasChanges).toBe(true);
    expect(plan.applyable).toBe(true);
    expect(plan.formatVersion).toBe("2.0");
  });

  it("is not applyable when any change is an error", () => {
    const refused = input(
      desired({ keyPair: "k2", changePolicy: { ...DEFAULT_CHANGE_POLICY, onKeyPairChange: "fail" } }, "web-9"),
      observed(),
    );
    const plan = planFleet({ ...base, inputs: [...inputs, refused] });
    expect(plan.applyable).toBe(false);
    expect(plan.summary.error).toBe(1);
  });

  it("restricts the plan to --target globs", () => {
    const plan = planFleet({ ...base, inputs, targets: ["dc1/web-*"] });
    expect(plan.changes.map((c) => c.address)).toEqual(["dc1/web-1", "dc1/web-2"]);
    expect(plan.summary.rebuild).toBe(0);
  });

  it("has no changes when every server matches", () => {
    const plan = planFleet({ ...base, inputs: [inputs[1]!] });
    expect(plan.hasChanges).toBe(false);
  });
});

describe("refuseChanges", () => {
  const inputs = [
    input(desired({ metadata: { role: "api" } }, "web-2"), observed({ id: "srv-2", name: "web-2" })),
    input(desired({ image: { name: "ubuntu-24.04" } }, "db-1"), observed({ id: "srv-3", name: "db-1" })),
  ];
  const problem = {
    message: "/fleet.yaml:10:5: environment variable PW is not set (spec.password of dc1/db-1, needed by its rebuild)",
  };

  it("turns a change whose inputs are missing into an error: no steps, the problem first, the plan not applyable", () => {
    const plan = planFleet({ ...base, inputs });
    const refused = refuseChanges(plan, new Map([["dc1/db-1", [problem]]]));
    const db = refused.changes.find((c) => c.address === "dc1/db-1");
    expect(db).toMatchObject({ action: "error", impact: "none", steps: [] });
    expect(db?.reasons[0]).toEqual(problem);
    // what differs and why the rebuild was planned stay visible
    expect(db?.fields.map((f) => f.path)).toEqual(["image"]);
    expect(db?.reasons.slice(1)).toEqual(plan.changes.find((c) => c.address === "dc1/db-1")?.reasons);
    expect(refused.changes.find((c) => c.address === "dc1/web-2")).toEqual(
      plan.changes.find((c) => c.address === "dc1/web-2"),
    );
    expect(refused.summary).toMatchObject({ rebuild: 0, error: 1, "update-metadata": 1 });
    expect(refused.applyable).toBe(false);
    expect(refused.hasChanges).toBe(true);
  });

  it("recomputes hasChanges, and leaves a plan without problems as it is", () => {
    const plan = planFleet({ ...base, inputs: [inputs[1]!] });
    expect(refuseChanges(plan, new Map())).toBe(plan);
    expect(refuseChanges(plan, new Map([["dc1/db-1", []]])).applyable).toBe(true);
    expect(refuseChanges(plan, new Map([["dc1/db-1", [problem]]])).hasChanges).toBe(false);
  });
});

describe("isTargeted", () => {
  it.each([
    ["dc1/web-1", ["dc1/web-1"], true],
    ["dc1/web-1", ["dc1/*"], true],
    ["dc1/web-1", ["*/web-1"], true],
    ["dc1/web-1", ["hw/*", "dc1/db-*"], false],
    ["dc1/web-1", ["**"], true],
    ["dc1/web-1", [], true],
  ])("%s against %j is %s", (address, targets, expected) => {
    expect(isTargeted(address, targets)).toBe(expected);
  });
});
