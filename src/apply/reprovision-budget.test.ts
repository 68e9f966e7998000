import { describe, expect, it } from "vitest";
import type { InstanceChange } from "../model/change.js";
import type { ReprovisionLimit } from "../model/plan.js";
import { planInstance } from "../plan/plan-instance.js";
import { IMAGES, desired, input, observed } from "../plan/test-builders.js";
import { ReprovisionBudget } from "./reprovision-budget.js";
import type { InstanceContext } from "./run-instance.js";
import { runInstance } from "./run-instance.js";

const want = desired({ image: { name: IMAGES.noble.name } });
const settled = observed();
/** A rebuild planned by the real planner, and the same server planned as busy (`wait`, impact none). */
const rebuild = planInstance(input(want, settled));
const busy: InstanceChange = { ...rebuild, action: "wait", impact: "none", steps: [] };
const limit = (max: number): ReprovisionLimit => ({ limit: max, source: "fleet file", max, count: 1 });

/** Just what runInstance reaches for a busy server that settled: no cloud call can be made (the adapter is absent). */
function context(reprovisions: ReprovisionBudget, sent: string[]): InstanceContext {
  return {
    reader: { read: () => Promise.resolve(settled) },
    replan: (d: typeof want, o: typeof settled) => planInstance(input(d, o)),
    reprovisions,
    clock: { now: () => 0 },
    waitTimeoutMs: 60_000,
    resolveInputs: (_: unknown, step: { kind: string }) => {
      sent.push(step.kind);
      return Promise.reject(new Error("preflight reached"));
    },
  } as unknown as InstanceContext;
}

describe("the reprovision limit across busy servers planned again at apply", () => {
  it("limits.reprovision 1, one rebuild and two busy servers: neither busy server is rebuilt, each naming the limit", async () => {
    expect(rebuild.impact).toBe("reprovision");
    const budget = new ReprovisionBudget(limit(1), [rebuild, busy, busy]);
    const sent: string[] = [];
    const outcomes = [
      await runInstance(context(budget, sent), busy, want),
      await runInstance(context(budget, sent), busy, want),
    ];
    expect(outcomes.map((o) => o.result)).toEqual([
      {
        type: "failed",
        why: "not started: would reprovision 2 servers, over limits.reprovision 1; plan again; nothing was sent to the server",
      },
      {
        type: "failed",
        why: "not started: would reprovision 2 servers, over limits.reprovision 1; plan again; nothing was sent to the server",
      },
    ]);
    expect(sent).toEqual([]);
  });

  it("the slots are shared by the run: with a limit of 2 the first busy server goes on, the second is refused", async () => {
    const budget = new ReprovisionBudget(limit(2), [rebuild, busy, busy]);
    const sent: string[] = [];
    const first = await runInstance(context(budget, sent), busy, want);
    const second = await runInstance(context(budget, sent), busy, want);
    expect(first.result).toEqual({
      type: "failed",
      why: "not started: preflight reached; nothing was sent to the server",
    });
    expect(second.result.type === "failed" && second.result.why).toMatch(
      /would reprovision 3 servers, over limits\.reprovision 2; plan again/,
    );
    expect(sent).toEqual(["rebuild"]);
  });

  it("counts the planned reprovisions, not waits, and names --max-reprovisions when that set the limit", () => {
    const set: ReprovisionLimit = { limit: 3, source: "--max-reprovisions", max: 3, count: 2 };
    const budget = new ReprovisionBudget(set, [rebuild, rebuild, busy]);
    expect(budget.reserve({ ...rebuild, impact: "none" })).toBeUndefined();
    expect(budget.reserve(rebuild)).toBeUndefined();
    expect(budget.reserve(rebuild)).toBe("would reprovision 4 servers, over --max-reprovisions 3; plan again");
    expect(new ReprovisionBudget(undefined, [rebuild]).reserve(rebuild)).toBeUndefined();
  });
});
