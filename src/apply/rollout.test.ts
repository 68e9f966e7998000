import { describe, expect, it } from "vitest";
import { instantClock } from "../../test/support/instant-clock.js";
import type { InstanceChange } from "../model/change.js";
import type { ApplyEvent } from "../model/events.js";
import type { RolloutPolicy } from "../model/desired.js";
import type { CanaryPlan } from "./canary.js";
import type { JournalEntry } from "./journal.js";
import type { InstanceReport } from "../model/report.js";
import { runRollout } from "./rollout.js";

const change = (address: string, group = "web"): InstanceChange =>
  ({
    address,
    group,
    provider: "dc1",
    id: address,
    action: "rebuild",
    impact: "reprovision",
  }) as unknown as InstanceChange;
const policy = (p: Partial<RolloutPolicy> = {}): RolloutPolicy => ({
  parallelism: 10,
  maxUnavailable: "100%",
  canary: 0,
  onFailure: "halt",
  ...p,
});
const plan = (p: RolloutPolicy, over: Partial<CanaryPlan> = {}): CanaryPlan => ({
  policies: { web: p, default: policy() },
  approved: new Set(),
  held: new Set(),
  configs: new Map([["web", "cfg"]]),
  newlyApproved: [],
  ...over,
});

function harness(
  options: {
    approve?: (group: string, canaries: readonly string[]) => Promise<boolean>;
    durationMs?: number;
    fail?: ReadonlySet<string>;
  } = {},
) {
  const clock = instantClock(0);
  const journal: JournalEntry[] = [];
  const events: ApplyEvent[] = [];
  const started: { address: string; at: number }[] = [];
  const deps = {
    clock,
    reporter: { report: (e: ApplyEvent) => void events.push(e) },
    signal: new AbortController().signal,
    journal: { append: async (e: JournalEntry) => void journal.push(e) },
    run: "r1",
    parallelism: 10,
    ...(options.approve ? { approveCanaries: options.approve } : {}),
    start: async (address: string): Promise<InstanceReport> => {
      started.push({ address, at: clock.now() });
      await clock.sleep(options.durationMs ?? 100);
      const failed = options.fail?.has(address);
      return {
        address,
        id: address,
        action: "rebuild",
        steps: ["rebuild"],
        result: failed ? { type: "failed", why: "ERROR" } : { type: "converged" },
        durationMs: 100,
      };
    },
  };
  return { deps, journal, events, started, clock };
}

describe("runRollout", () => {
  const changes = ["web-1", "web-2", "web-3"].map((a) => change(a));

  it("records passed canaries, asks once, and rolls on when approved (a terminal's yes)", async () => {
    const asked: string[][] = [];
    const h = harness({ approve: async (_g, canaries) => (asked.push([...canaries]), true) });
    const outcome = await runRollout(changes, plan(policy({ canary: 1, canaryApproval: "manual" })), h.deps);
    expect(asked).toEqual([["web-1"]]);
    expect(h.journal.map((e) => e.event)).toEqual(["canaries-passed", "canaries-approved"]);
    expect(h.journal[0]).toMatchObject({ group: "web", config: "cfg", addresses: ["web-1"] });
    expect([...outcome.results.values()].map((r) => r.result.type)).toEqual(["converged", "converged", "converged"]);
    expect(outcome.awaitingApproval).toEqual([]);
  });

  it("holds the rest when approval is refused, reporting why", async () => {
    const h = harness({ approve: async () => false });
    const outcome = await runRollout(changes, plan(policy({ canary: 1, canaryApproval: "manual" })), h.deps);
    expect(h.started.map((s) => s.address)).toEqual(["web-1"]);
    expect(outcome.awaitingApproval).toEqual(["web"]);
    expect(outcome.results.get("web-2")?.result).toEqual({
      type: "skipped",
      why: "held: the canaries of group web converged and wait for approval; run `reform apply --continue`",
    });
    expect(h.journal.map((e) => e.event)).toEqual(["canaries-passed"]);
  });

  it("does not record new canaries for a group held from an earlier run", async () => {
    const h = harness();
    const outcome = await runRollout(
      changes,
      plan(policy({ canary: 0, canaryApproval: "manual" }), { held: new Set(["web"]) }),
      h.deps,
    );
    expect(h.started).toEqual([]);
    expect(h.journal).toEqual([]);
    expect(outcome.awaitingApproval).toEqual(["web"]);
  });

  it("waits out the pause between batches on the clock", async () => {
    const h = harness({ durationMs: 100 });
    await runRollout(changes, plan(policy({ parallelism: 1, pauseMs: 5000 })), h.deps);
    expect(h.started).toEqual([
      { address: "web-1", at: 0 },
      { address: "web-2", at: 5100 },
      { address: "web-3", at: 10_200 },
    ]);
  });

  it("says which servers a failed canary kept from starting", async () => {
    const h = harness({ fail: new Set(["web-1"]) });
    const outcome = await runRollout(changes, plan(policy({ canary: 1, onFailure: "continue" })), h.deps);
    expect(outcome.results.get("web-3")?.result).toEqual({
      type: "skipped",
      why: "not started: a canary of group web failed",
    });
  });
});
