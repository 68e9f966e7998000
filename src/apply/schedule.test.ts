import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RolloutPolicy } from "../model/desired.js";
import type { ScheduleItem } from "./schedule.js";
import { maxUnavailableCount, nextToStart } from "./schedule.js";

const policy = (p: Partial<RolloutPolicy> = {}): RolloutPolicy => ({ parallelism: 10, maxUnavailable: "100%", canary: 0, onFailure: "halt", ...p });
const item = (address: string, group = "default", downtime = true): ScheduleItem => ({ address, group, downtime });
const empty = () => ({ running: new Set<string>(), converged: new Set<string>(), failed: new Set<string>() });

describe("maxUnavailableCount", () => {
  it("rounds percentages down but never below one", () => {
    expect(maxUnavailableCount(policy({ maxUnavailable: "25%" }), 10)).toBe(2);
    expect(maxUnavailableCount(policy({ maxUnavailable: "10%" }), 3)).toBe(1);
    expect(maxUnavailableCount(policy({ maxUnavailable: 3 }), 100)).toBe(3);
    expect(maxUnavailableCount(policy({ maxUnavailable: 0 }), 100)).toBe(1);
  });
});

describe("nextToStart", () => {
  it("starts canaries alone, then the rest", () => {
    const items = ["a", "b", "c", "d"].map((a) => item(a));
    const policies = { default: policy({ canary: 1 }) };
    const first = nextToStart(items, policies, empty(), 50);
    expect(first.start).toEqual(["a"]);
    const state = empty();
    state.running.add("a");
    expect(nextToStart(items, policies, state, 50).start).toEqual([]);
    state.running.delete("a");
    state.converged.add("a");
    expect(nextToStart(items, policies, state, 50).start).toEqual(["b", "c", "d"]);
  });

  it("abandons the rest of a group whose canary failed", () => {
    const items = ["a", "b"].map((a) => item(a));
    const state = empty();
    state.failed.add("a");
    const decision = nextToStart(items, { default: policy({ canary: 1, onFailure: "continue" }) }, state, 50);
    expect(decision.start).toEqual([]);
    expect(decision.abandoned).toEqual(["b"]);
  });

  it("lets metadata-only servers pass while downtime servers are held by maxUnavailable", () => {
    const items = [item("a"), item("b"), item("c", "default", false)];
    const decision = nextToStart(items, { default: policy({ maxUnavailable: 1 }) }, empty(), 50);
    expect(decision.start).toEqual(["a", "c"]);
  });

  it("halts everywhere after a failure under onFailure: halt, and continues under continue", () => {
    const items = [item("a", "web"), item("b", "web"), item("c", "db")];
    const state = empty();
    state.failed.add("a");
    expect(nextToStart(items, { web: policy(), db: policy(), default: policy() }, state, 50)).toMatchObject({ start: [], halted: true });
    expect(nextToStart(items, { web: policy({ onFailure: "continue" }), db: policy(), default: policy() }, state, 50).start).toEqual(["b", "c"]);
  });

  it("keeps every rollout bound through any sequence of outcomes (property)", () => {
    const arbitraryRun = fc.record({
      items: fc.uniqueArray(fc.record({ address: fc.string({ minLength: 1, maxLength: 4 }), group: fc.constantFrom("web", "db"), downtime: fc.boolean() }), { selector: (i) => i.address, maxLength: 25 }),
      policies: fc.record({
        web: fc.record({ parallelism: fc.integer({ min: 1, max: 6 }), maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom("10%", "50%", "100%")), canary: fc.integer({ min: 0, max: 3 }), onFailure: fc.constantFrom("halt" as const, "continue" as const) }),
        db: fc.record({ parallelism: fc.integer({ min: 1, max: 6 }), maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom("10%", "50%", "100%")), canary: fc.integer({ min: 0, max: 3 }), onFailure: fc.constantFrom("halt" as const, "continue" as const) }),
      }),
      global: fc.integer({ min: 1, max: 8 }),
      outcomes: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
      picks: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    });
    fc.assert(
      fc.property(arbitraryRun, ({ items, policies, global, outcomes, picks }) => {
        const all = { ...policies, default: policy() };
        const state = empty();
        const startedOrder: string[] = [];
        let halted = false;
        for (let round = 0; round < 200; round++) {
          const decision = nextToStart(items, all, state, global);
          if (halted) expect(decision.start).toEqual([]);
          for (const address of decision.start) {
            state.running.add(address);
            startedOrder.push(address);
          }
          checkBounds(items, all, state, global);
          if (state.running.size === 0) {
            const untouched = items.filter((i) => !state.converged.has(i.address) && !state.failed.has(i.address));
            expect(untouched.map((i) => i.address).sort()).toEqual([...decision.abandoned].sort());
            break;
          }
          const running = [...state.running];
          const done = running[(picks[round % picks.length] ?? 0) % running.length] as string;
          state.running.delete(done);
          const index = items.findIndex((i) => i.address === done);
          const ok = outcomes[index] ?? true;
          (ok ? state.converged : state.failed).add(done);
          if (!ok && all[items[index]?.group as "web" | "db"].onFailure === "halt") halted = true;
        }
        checkCanariesFirst(items, all, startedOrder, state);
      }),
      { numRuns: 300 },
    );
  });
});

function checkBounds(items: readonly ScheduleItem[], policies: Record<string, RolloutPolicy>, state: ReturnType<typeof empty>, global: number) {
  expect(state.running.size).toBeLessThanOrEqual(global);
  for (const group of ["web", "db"]) {
    const members = items.filter((i) => i.group === group);
    const p = policies[group] as RolloutPolicy;
    const running = members.filter((m) => state.running.has(m.address));
    expect(running.length).toBeLessThanOrEqual(p.parallelism);
    expect(running.filter((m) => m.downtime).length).toBeLessThanOrEqual(maxUnavailableCount(p, members.length));
  }
}

function checkCanariesFirst(items: readonly ScheduleItem[], policies: Record<string, RolloutPolicy>, order: string[], state: ReturnType<typeof empty>) {
  for (const group of ["web", "db"]) {
    const members = items.filter((i) => i.group === group).map((i) => i.address);
    const canaries = members.slice(0, (policies[group] as RolloutPolicy).canary);
    const others = order.filter((a) => members.includes(a) && !canaries.includes(a));
    if (others.length > 0) for (const c of canaries) expect(state.converged.has(c)).toBe(true);
  }
}
