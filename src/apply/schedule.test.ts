import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RolloutPolicy } from "../model/desired.js";
import type { ScheduleDecision, ScheduleItem } from "./schedule.js";
import { checkpointCounts, failureBudget, maxUnavailableCount, nextToStart, unhealthyLimit } from "./schedule.js";

const policy = (p: Partial<RolloutPolicy> = {}): RolloutPolicy => ({
  parallelism: 10,
  maxUnavailable: "100%",
  canary: 0,
  onFailure: "halt",
  ...p,
});
const item = (address: string, group = "default", downtime = true): ScheduleItem => ({ address, group, downtime });
const empty = () => ({ running: new Set<string>(), converged: new Set<string>(), failed: new Set<string>() });

describe("maxUnavailableCount and failureBudget", () => {
  it("rounds percentages down; maxUnavailable never below one", () => {
    expect(maxUnavailableCount(policy({ maxUnavailable: "25%" }), 10)).toBe(2);
    expect(maxUnavailableCount(policy({ maxUnavailable: "10%" }), 3)).toBe(1);
    expect(maxUnavailableCount(policy({ maxUnavailable: 3 }), 100)).toBe(3);
    expect(maxUnavailableCount(policy({ maxUnavailable: 0 }), 100)).toBe(1);
  });

  it("gives halt no budget and continue an unlimited one unless maxFailures says otherwise", () => {
    expect(failureBudget(policy(), 10)).toBe(0);
    expect(failureBudget(policy({ onFailure: "continue" }), 10)).toBe(Number.POSITIVE_INFINITY);
    expect(failureBudget(policy({ onFailure: "continue", maxFailures: 2 }), 10)).toBe(2);
    expect(failureBudget(policy({ maxFailures: "25%" }), 10)).toBe(2);
    expect(failureBudget(policy({ maxFailures: "0%" }), 10)).toBe(0);
  });

  it("gives rollback no budget, like halt, unless maxFailures says otherwise", () => {
    expect(failureBudget(policy({ onFailure: "rollback" }), 10)).toBe(0);
    expect(failureBudget(policy({ onFailure: "rollback", maxFailures: 3 }), 10)).toBe(3);
  });
});

describe("nextToStart", () => {
  it("starts canaries alone, then the rest", () => {
    const items = ["a", "b", "c", "d"].map((a) => item(a));
    const policies = { default: policy({ canary: 1 }) };
    expect(nextToStart(items, policies, empty(), 50).start).toEqual(["a"]);
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
    expect(nextToStart(items, { default: policy({ maxUnavailable: 1 }) }, empty(), 50).start).toEqual(["a", "c"]);
  });

  it("halts everywhere after a failure under onFailure: halt, and continues under continue", () => {
    const items = [item("a", "web"), item("b", "web"), item("c", "db")];
    const state = empty();
    state.failed.add("a");
    expect(nextToStart(items, { web: policy(), db: policy(), default: policy() }, state, 50)).toMatchObject({
      start: [],
      halted: true,
    });
    expect(
      nextToStart(items, { web: policy({ onFailure: "continue" }), db: policy(), default: policy() }, state, 50).start,
    ).toEqual(["b", "c"]);
  });

  it("halts once the failure budget is spent, not before", () => {
    const items = ["a", "b", "c", "d", "e"].map((a) => item(a));
    const policies = { default: policy({ onFailure: "continue", maxFailures: 1, parallelism: 1 }) };
    const state = empty();
    state.failed.add("a");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({ start: ["b"], halted: false });
    state.failed.add("b");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({
      start: [],
      halted: true,
      abandoned: ["c", "d", "e"],
    });
  });

  it("under canaryApproval: manual, holds the rest after the canaries until the group is approved", () => {
    const items = ["a", "b", "c"].map((a) => item(a, "web"));
    const policies = { web: policy({ canary: 1, canaryApproval: "manual" }) };
    const state = { ...empty(), approved: new Set<string>() };
    expect(nextToStart(items, policies, state, 50).start).toEqual(["a"]);
    state.converged.add("a");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({
      start: [],
      awaitingApproval: ["web"],
      held: ["b", "c"],
      abandoned: [],
    });
    state.approved.add("web");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({ start: ["b", "c"], awaitingApproval: [] });
  });

  it("holds a group whose canaries passed in an earlier run from the start, with no new canaries", () => {
    const items = ["c", "d"].map((a) => item(a, "web"));
    const policies = { web: policy({ canary: 0, canaryApproval: "manual" }) };
    expect(nextToStart(items, policies, { ...empty(), held: new Set(["web"]) }, 50)).toMatchObject({
      start: [],
      held: ["c", "d"],
      awaitingApproval: ["web"],
    });
    expect(
      nextToStart(items, policies, { ...empty(), held: new Set(["web"]), approved: new Set(["web"]) }, 50).start,
    ).toEqual(["c", "d"]);
  });

  it("with a pause, starts whole batches and waits the pause after the last one finished", () => {
    const items = ["a", "b", "c", "d"].map((a) => item(a));
    const policies = { default: policy({ parallelism: 2, pauseMs: 1000 }) };
    expect(nextToStart(items, policies, { ...empty(), now: 0 }, 50).start).toEqual(["a", "b"]);
    const state = { ...empty(), now: 500, lastFinished: new Map([["default", 400]]) };
    state.running.add("b");
    state.converged.add("a");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({ start: [] });
    state.running.delete("b");
    state.converged.add("b");
    expect(nextToStart(items, policies, state, 50)).toMatchObject({ start: [], wakeAt: 1400 });
    expect(nextToStart(items, policies, { ...state, now: 1400 }, 50).start).toEqual(["c", "d"]);
  });
});

interface Run {
  readonly items: readonly ScheduleItem[];
  readonly policies: Readonly<Record<string, RolloutPolicy>>;
  readonly global: number;
  /** Whether each server (by index) succeeds. */
  readonly outcomes: readonly boolean[];
  /** Which running server finishes next (index into the running list). */
  readonly picks: readonly number[];
  readonly approved?: ReadonlySet<string>;
}

interface Trace {
  readonly started: string[];
  readonly converged: Set<string>;
  readonly failed: Set<string>;
  readonly last: ScheduleDecision;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Plays a whole rollout against the schedule, checking every invariant after each decision. */
function simulate(run: Run): Trace {
  const state = {
    ...empty(),
    now: 0,
    lastFinished: new Map<string, number>(),
    ...(run.approved ? { approved: run.approved } : {}),
  };
  const started: string[] = [];
  const startedAt = new Map<string, number>();
  let halted = false;
  for (let round = 0; round < 500; round++) {
    const decision = nextToStart(run.items, run.policies, state, run.global);
    if (halted) check(decision.start.length === 0, "started after a halt");
    checkStarts(run, state, decision);
    for (const address of decision.start) {
      state.running.add(address);
      started.push(address);
      startedAt.set(address, state.now);
    }
    checkBounds(run, state);
    if (state.running.size === 0) {
      if (decision.wakeAt !== undefined && decision.start.length === 0) {
        check(decision.wakeAt > state.now, "woke up early");
        state.now = decision.wakeAt;
        continue;
      }
      if (decision.start.length > 0) continue;
      return { started, converged: state.converged, failed: state.failed, last: decision };
    }
    const running = [...state.running];
    const done = running[(run.picks[round % Math.max(1, run.picks.length)] ?? 0) % running.length] as string;
    state.now += 1 + (round % 3);
    state.running.delete(done);
    const index = run.items.findIndex((i) => i.address === done);
    ((run.outcomes[index] ?? true) ? state.converged : state.failed).add(done);
    state.lastFinished.set(run.items[index]?.group ?? "", state.now);
    halted ||= groupOverBudget(run, state.failed);
  }
  throw new Error("the rollout did not finish in 500 rounds");
}

function groupOverBudget(run: Run, failed: ReadonlySet<string>): boolean {
  return Object.entries(run.policies).some(([group, p]) => {
    const members = run.items.filter((i) => i.group === group);
    return members.filter((m) => failed.has(m.address)).length > failureBudget(p, members.length);
  });
}

/** What may start now: canaries first and alone, nothing held for approval, pauses respected. */
function checkStarts(
  run: Run,
  state: ReturnType<typeof empty> & { now: number; lastFinished: Map<string, number> },
  decision: ScheduleDecision,
) {
  for (const address of decision.start) {
    const it = run.items.find((i) => i.address === address) as ScheduleItem;
    const p = run.policies[it.group] as RolloutPolicy;
    const members = run.items.filter((i) => i.group === it.group).map((i) => i.address);
    const canaries = members.slice(0, p.canary);
    if (!canaries.includes(address)) {
      for (const c of canaries) check(state.converged.has(c), `${address} started before canary ${c} converged`);
      if (p.canaryApproval === "manual" && p.canary > 0)
        check(run.approved?.has(it.group) === true, `${address} started without approval`);
    }
    if (p.pauseMs) {
      check(!members.some((m) => state.running.has(m)), `${address} started while its batch was running`);
      const last = state.lastFinished.get(it.group);
      if (last !== undefined) check(state.now >= last + p.pauseMs, `${address} started during the pause`);
    }
  }
}

function checkBounds(run: Run, state: ReturnType<typeof empty>) {
  check(state.running.size <= run.global, "global parallelism exceeded");
  for (const [group, p] of Object.entries(run.policies)) {
    const members = run.items.filter((i) => i.group === group);
    const running = members.filter((m) => state.running.has(m.address));
    check(running.length <= p.parallelism, `parallelism of ${group} exceeded`);
    check(
      running.filter((m) => m.downtime).length <= maxUnavailableCount(p, members.length),
      `maxUnavailable of ${group} exceeded`,
    );
  }
}

/** When no group spent its budget, no canary failed and nothing waits for approval, every server was started. */
function checkCompleteness(run: Run, trace: Trace) {
  const anyCanaryFailed = Object.entries(run.policies).some(([group, p]) =>
    run.items
      .filter((i) => i.group === group)
      .slice(0, p.canary)
      .some((c) => trace.failed.has(c.address)),
  );
  const untouched = run.items
    .filter((i) => !trace.converged.has(i.address) && !trace.failed.has(i.address))
    .map((i) => i.address);
  expect([...untouched].sort()).toEqual([...trace.last.abandoned, ...trace.last.held].sort());
  if (!trace.last.halted && !anyCanaryFailed && trace.last.held.length === 0) expect(untouched).toEqual([]);
  if (trace.last.halted) expect(groupOverBudget(run, trace.failed)).toBe(true);
}

const policyArb = fc.record({
  parallelism: fc.integer({ min: 1, max: 6 }),
  maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom("10%", "50%", "100%")),
  canary: fc.integer({ min: 0, max: 3 }),
  onFailure: fc.constantFrom("halt" as const, "continue" as const),
  maxFailures: fc.option(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("0%", "20%", "50%")), {
    nil: undefined,
  }),
  pauseMs: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  canaryApproval: fc.constantFrom("auto" as const, "manual" as const),
});

describe("nextToStart over whole rollouts", () => {
  it("keeps every bound exhaustively on small fleets (every policy, every failure pattern)", () => {
    let runs = 0;
    for (const size of [1, 2, 3, 4])
      for (const parallelism of [1, 2, 3])
        for (const maxUnavailable of [1, 2, "50%"])
          for (const canary of [0, 1, 2])
            for (const onFailure of ["halt", "continue"] as const)
              for (const maxFailures of [undefined, 1])
                for (const pauseMs of [undefined, 5])
                  for (const approval of ["auto", "manual", "approved"] as const)
                    for (let pattern = 0; pattern < 2 ** size; pattern++) {
                      const items = Array.from({ length: size }, (_, i) => item(`s${i}`, "web", i % 3 !== 2));
                      const p = policy({
                        parallelism,
                        maxUnavailable,
                        canary,
                        onFailure,
                        ...(maxFailures !== undefined ? { maxFailures } : {}),
                        ...(pauseMs ? { pauseMs } : {}),
                        canaryApproval: approval === "auto" ? "auto" : "manual",
                      });
                      const outcomes = items.map((_, i) => (pattern & (1 << i)) === 0);
                      const run: Run = {
                        items,
                        policies: { web: p, default: policy() },
                        global: 3,
                        outcomes,
                        picks: [0],
                        ...(approval === "approved" ? { approved: new Set(["web"]) } : {}),
                      };
                      checkCompleteness(run, simulate(run));
                      runs += 1;
                    }
    expect(runs).toBe(3 * 3 * 3 * 2 * 2 * 2 * 3 * (2 + 4 + 8 + 16));
  });

  it("keeps every bound through any sequence of outcomes, with two groups (property)", () => {
    const arbitraryRun = fc.record({
      items: fc.uniqueArray(
        fc.record({
          address: fc.string({ minLength: 1, maxLength: 4 }),
          group: fc.constantFrom("web", "db"),
          downtime: fc.boolean(),
        }),
        { selector: (i) => i.address, maxLength: 25 },
      ),
      policies: fc.record({ web: policyArb, db: policyArb }),
      global: fc.integer({ min: 1, max: 8 }),
      outcomes: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
      picks: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      approveWeb: fc.boolean(),
    });
    fc.assert(
      fc.property(arbitraryRun, ({ policies, approveWeb, ...rest }) => {
        const run: Run = {
          ...rest,
          policies: { ...policies, default: policy() },
          ...(approveWeb ? { approved: new Set(["web"]) } : {}),
        };
        checkCompleteness(run, simulate(run));
      }),
      { numRuns: 400 },
    );
  });
});

describe("checkpoints, bakes and maxUnhealthy", () => {
  const ten = Array.from({ length: 10 }, (_, i) => item(`s${i}`));
  const state = (
    converged: number,
    extra: Partial<{ running: string[]; failed: string[]; unhealthy: string[]; baked: number; baking: boolean }> = {},
  ) => ({
    running: new Set(extra.running ?? []),
    converged: new Set(ten.slice(0, converged).map((i) => i.address)),
    failed: new Set(extra.failed ?? []),
    unhealthy: new Set(extra.unhealthy ?? []),
    baked: new Map([["default", extra.baked ?? 0]]),
    baking: new Set(extra.baking ? ["default"] : []),
  });

  it("counts checkpoints as shares of the group rounded up, distinct and ascending", () => {
    expect(checkpointCounts(policy({ checkpoints: ["50%", "10%", "12%"] }), 10)).toEqual([1, 2, 5]);
    expect(checkpointCounts(policy({ checkpoints: ["1%"] }), 3)).toEqual([1]);
    expect(checkpointCounts(policy(), 10)).toEqual([]);
    expect(unhealthyLimit(policy({ maxUnhealthy: "5%" }), 10)).toBe(1);
    expect(unhealthyLimit(policy({ maxUnhealthy: 3 }), 10)).toBe(3);
    expect(unhealthyLimit(policy(), 10)).toBeUndefined();
  });

  it("starts no more than the next checkpoint, asks for a bake when it is reached, and goes on once it is baked", () => {
    const policies = { default: policy({ checkpoints: ["20%", "50%"], bakeMs: 60_000 }) };
    expect(nextToStart(ten, policies, state(0), 50).start).toEqual(["s0", "s1"]);
    expect(nextToStart(ten, policies, state(1, { running: ["s1"] }), 50)).toMatchObject({ start: [], bakes: [] });
    expect(nextToStart(ten, policies, state(2), 50)).toMatchObject({
      start: [],
      bakes: [{ group: "default", through: 2, bakeMs: 60_000 }],
    });
    expect(nextToStart(ten, policies, state(2, { baking: true }), 50)).toMatchObject({ start: [], bakes: [] });
    expect(nextToStart(ten, policies, state(2, { baked: 2 }), 50).start).toEqual(["s2", "s3", "s4"]);
    expect(nextToStart(ten, policies, state(5, { baked: 5 }), 50).start).toEqual(["s5", "s6", "s7", "s8", "s9"]);
  });

  it("halts when failed plus unhealthy servers reach maxUnhealthy, naming the group and the count", () => {
    const policies = { default: policy({ onFailure: "continue", maxUnhealthy: 2, checkpoints: ["20%"] }) };
    expect(nextToStart(ten, policies, state(2, { baked: 2, unhealthy: ["s0"] }), 50).halted).toBe(false);
    const decision = nextToStart(ten, policies, state(3, { baked: 2, unhealthy: ["s0"], failed: ["s9"] }), 50);
    expect(decision).toMatchObject({
      start: [],
      halted: true,
      haltedBy: { group: "default", limit: "maxUnhealthy", count: 2 },
    });
    expect(decision.abandoned).toEqual(["s3", "s4", "s5", "s6", "s7", "s8"]);
  });

  it("property: never more servers started than the next checkpoint allows, before it is baked", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 20 }),
        (size, shares, parallelism) => {
          const items = Array.from({ length: size }, (_, i) => item(`s${i}`));
          const p = policy({ parallelism, checkpoints: shares.map((s) => `${s}%`) });
          const counts = checkpointCounts(p, size);
          const s = {
            running: new Set<string>(),
            converged: new Set<string>(),
            failed: new Set<string>(),
            baked: new Map<string, number>(),
          };
          for (let round = 0; round < 4 * size + 10; round += 1) {
            const decision = nextToStart(items, { default: p }, s, 50);
            for (const a of decision.start) s.running.add(a);
            const started = s.running.size + s.converged.size;
            const limit = counts.find((c) => c > (s.baked.get("default") ?? 0)) ?? size;
            expect(started).toBeLessThanOrEqual(limit);
            for (const bake of decision.bakes) s.baked.set(bake.group, bake.through);
            const first = [...s.running][0];
            if (first !== undefined) {
              s.running.delete(first);
              s.converged.add(first);
            }
            if (s.converged.size === size && decision.bakes.length === 0 && decision.start.length === 0) break;
          }
          expect(s.converged.size).toBe(size);
        },
      ),
      { numRuns: 200 },
    );
  });
});
