import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstanceAddress } from "../model/address.js";
import type { RolloutPolicy } from "../model/desired.js";
import type { BakeRequest, ScheduleDecision, ScheduleItem, ScheduleState } from "./schedule.js";
import {
  checkpointCounts,
  decide,
  failureBudget,
  maxUnavailableCount,
  nextToStart,
  ScheduleProgress,
  unhealthyLimit,
} from "./schedule.js";

/*
 * The schedule keeps its counts and how far each group has started as servers move (ScheduleProgress), so a decision
 * costs what it starts. The reference below is the schedule as it was, recomputing everything from the state's sets
 * on every decision: whatever the fleet, policies and course of the rollout, both must decide the same.
 */

interface Budget {
  inFlight: number;
  readonly global: number;
}

/**
 * The rolling schedule, as a pure function of what has happened so far. Per group: canaries first and alone (and,
 * under `canaryApproval: manual`, nothing more until approved); at most `parallelism` servers in flight; at most
 * `maxUnavailable` servers in a downtime step; with a `pause`, whole batches separated by the pause. Once a group's
 * failures exceed its budget nothing new starts anywhere (running servers finish). `globalParallelism` caps the sum.
 */
function reference(
  items: readonly ScheduleItem[],
  policies: Readonly<Record<string, RolloutPolicy>>,
  state: ScheduleState,
  globalParallelism: number,
): ScheduleDecision {
  const groups = groupItems(items);
  const haltedBy = haltReason(groups, policies, state);
  const halted = haltedBy !== undefined;
  const decision = {
    start: [] as InstanceAddress[],
    abandoned: [] as InstanceAddress[],
    awaitingApproval: [] as string[],
    held: [] as InstanceAddress[],
    bakes: [] as BakeRequest[],
    wakeAt: undefined as number | undefined,
  };
  const budget: Budget = { inFlight: state.running.size, global: globalParallelism };
  for (const [group, members] of groups) {
    const policy = policyOf(policies, group);
    const canaries = new Set(members.slice(0, policy.canary).map((m) => m.address));
    const waiting = members.filter(
      (m) => !state.running.has(m.address) && !state.converged.has(m.address) && !state.failed.has(m.address),
    );
    if (halted || [...canaries].some((a) => state.failed.has(a))) {
      decision.abandoned.push(...waiting.map((m) => m.address));
      continue;
    }
    const canaryPending = [...canaries].some((a) => !state.converged.has(a));
    if (!canaryPending && waiting.length > 0 && awaitsApproval(group, policy, state)) {
      decision.awaitingApproval.push(group);
      decision.held.push(...waiting.map((m) => m.address));
      continue;
    }
    const running = members.filter((m) => state.running.has(m.address));
    const room = checkpointRoom(group, members, running.length, policy, state, decision.bakes);
    if (room === 0) continue;
    if (policy.pauseMs !== undefined && policy.pauseMs > 0) {
      if (running.length > 0) continue;
      const resume = (state.lastFinished?.get(group) ?? Number.NEGATIVE_INFINITY) + policy.pauseMs;
      if ((state.now ?? 0) < resume) {
        if (waiting.length > 0) decision.wakeAt = Math.min(decision.wakeAt ?? resume, resume);
        continue;
      }
    }
    const eligible = (canaryPending ? waiting.filter((m) => canaries.has(m.address)) : waiting).slice(0, room);
    decision.start.push(...fill(eligible, running, policy, members.length, budget));
  }
  const { wakeAt, ...rest } = decision;
  return { ...rest, halted, ...(haltedBy ? { haltedBy } : {}), ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

/**
 * How many more servers of the group may start before its next checkpoint (Infinity without one). 0 while it bakes,
 * and when the checkpoint is reached: every server up to it finished, none running; then a bake is requested.
 */
function checkpointRoom(
  group: string,
  members: readonly ScheduleItem[],
  running: number,
  policy: RolloutPolicy,
  state: ScheduleState,
  bakes: BakeRequest[],
): number {
  if (state.baking?.has(group)) return 0;
  const baked = state.baked?.get(group) ?? 0;
  const next = checkpointCounts(policy, members.length).find((c) => c > baked);
  if (next === undefined) return Number.POSITIVE_INFINITY;
  const finished = members.filter((m) => state.converged.has(m.address) || state.failed.has(m.address)).length;
  if (finished >= next && running === 0) {
    bakes.push({ group, through: next, bakeMs: policy.bakeMs ?? 0 });
    return 0;
  }
  return Math.max(0, next - finished - running);
}

function awaitsApproval(group: string, policy: RolloutPolicy, state: ScheduleState): boolean {
  if (state.approved?.has(group)) return false;
  if (state.held?.has(group)) return true;
  return policy.canaryApproval === "manual" && policy.canary > 0;
}

/** Takes servers in order while the group's parallelism, its downtime limit and the global limit allow. */
function fill(
  eligible: readonly ScheduleItem[],
  running: readonly ScheduleItem[],
  policy: RolloutPolicy,
  size: number,
  budget: Budget,
): InstanceAddress[] {
  const limitDown = maxUnavailableCount(policy, size);
  let inGroup = running.length;
  let down = running.filter((m) => m.downtime).length;
  const start: InstanceAddress[] = [];
  for (const item of eligible) {
    if (budget.inFlight >= budget.global || inGroup >= policy.parallelism) break;
    if (item.downtime && down >= limitDown) continue;
    start.push(item.address);
    budget.inFlight += 1;
    inGroup += 1;
    if (item.downtime) down += 1;
  }
  return start;
}

function groupItems(items: readonly ScheduleItem[]): Map<string, ScheduleItem[]> {
  const groups = new Map<string, ScheduleItem[]>();
  for (const item of items) {
    const list = groups.get(item.group) ?? [];
    list.push(item);
    groups.set(item.group, list);
  }
  return groups;
}

function policyOf(policies: Readonly<Record<string, RolloutPolicy>>, group: string): RolloutPolicy {
  const policy = policies[group] ?? policies["default"];
  if (!policy) throw new TypeError(`no rollout policy for group "${group}"`);
  return policy;
}

function haltReason(
  groups: ReadonlyMap<string, readonly ScheduleItem[]>,
  policies: Readonly<Record<string, RolloutPolicy>>,
  state: ScheduleState,
): ScheduleDecision["haltedBy"] {
  for (const [group, members] of groups) {
    const policy = policyOf(policies, group);
    // Both reached: the group's own maxUnhealthy is named (it is the limit the fleet file sets on purpose).
    const limit = unhealthyLimit(policy, members.length);
    const unhealthy = members.filter((m) => state.failed.has(m.address) || state.unhealthy?.has(m.address)).length;
    if (limit !== undefined && unhealthy >= limit) return { group, limit: "maxUnhealthy", count: unhealthy };
    const failures = members.filter((m) => state.failed.has(m.address)).length;
    if (failures > failureBudget(policy, members.length)) return { group, limit: "maxFailures", count: failures };
  }
  return undefined;
}

const percent = fc.integer({ min: 1, max: 100 }).map((n) => `${n}%`);
const policyArb: fc.Arbitrary<RolloutPolicy> = fc.record(
  {
    parallelism: fc.integer({ min: 1, max: 6 }),
    maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 5 }), percent),
    canary: fc.integer({ min: 0, max: 3 }),
    onFailure: fc.constantFrom("halt", "continue", "rollback"),
    maxFailures: fc.oneof(fc.integer({ min: 0, max: 4 }), percent),
    pauseMs: fc.constantFrom(0, 10, 50),
    canaryApproval: fc.constantFrom("auto", "manual"),
    checkpoints: fc.array(percent, { maxLength: 3 }),
    bakeMs: fc.constantFrom(0, 20),
    maxUnhealthy: fc.oneof(fc.integer({ min: 0, max: 4 }), percent),
  },
  { requiredKeys: ["parallelism", "maxUnavailable", "canary", "onFailure"] },
) as fc.Arbitrary<RolloutPolicy>;

const GROUPS = ["web", "db", "default"] as const;
const fleetArb = fc
  .array(fc.record({ group: fc.constantFrom(...GROUPS), downtime: fc.boolean() }), { minLength: 1, maxLength: 25 })
  .map((xs) => xs.map((x, i): ScheduleItem => ({ address: `s${i}`, ...x })));
const policiesArb = fc.record({ web: policyArb, db: policyArb, default: policyArb }, { requiredKeys: ["default"] });

/** What happens next: the n-th running server finishes (converged or failed), a converged one turns unhealthy, time passes, a group is approved, held, bakes or stops baking. */
const stepArb = fc.record({
  kind: fc.constantFrom("finish", "finish", "finish", "unhealthy", "time", "approve", "hold", "bake", "baked"),
  n: fc.nat(),
  ok: fc.boolean(),
  group: fc.constantFrom(...GROUPS),
});

interface Extras {
  now: number;
  lastFinished: Map<string, number>;
  approved: Set<string>;
  held: Set<string>;
  baked: Map<string, number>;
  baking: Set<string>;
}

function snapshot(progress: ScheduleProgress, extras: Extras): ScheduleState {
  return {
    running: new Set(progress.running),
    converged: new Set(progress.converged),
    failed: new Set(progress.failed),
    unhealthy: new Set(progress.unhealthy),
    ...extras,
  };
}

describe("decide (the schedule kept as servers move)", () => {
  it("decides what the schedule recomputed from the state's sets decides, over the whole course of random rollouts", () => {
    fc.assert(
      fc.property(
        fleetArb,
        policiesArb,
        fc.integer({ min: 1, max: 8 }),
        fc.array(stepArb, { maxLength: 60 }),
        (items, policies, parallelism, steps) => {
          const progress = new ScheduleProgress(items);
          const extras: Extras = {
            now: 0,
            lastFinished: new Map(),
            approved: new Set(),
            held: new Set(),
            baked: new Map(),
            baking: new Set(),
          };
          for (const step of steps) {
            const expected = reference(items, policies, snapshot(progress, extras), parallelism);
            expect(decide(progress, policies, extras, parallelism)).toEqual(expected);
            expect(nextToStart(items, policies, snapshot(progress, extras), parallelism)).toEqual(expected);
            for (const address of expected.start) progress.start(address);
            const group = (a: InstanceAddress) => items.find((i) => i.address === a)?.group ?? "";
            if (step.kind === "finish" && progress.running.size > 0) {
              const address = [...progress.running][step.n % progress.running.size] as InstanceAddress;
              progress.finish(address, step.ok);
              extras.lastFinished.set(group(address), extras.now);
            } else if (step.kind === "unhealthy" && progress.converged.size > 0)
              progress.markUnhealthy([...progress.converged][step.n % progress.converged.size] as InstanceAddress);
            else if (step.kind === "time") extras.now += 5 + (step.n % 60);
            else if (step.kind === "approve") extras.approved.add(step.group);
            else if (step.kind === "hold") extras.held.add(step.group);
            else if (step.kind === "bake") extras.baking.add(step.group);
            else if (step.kind === "baked") {
              extras.baking.delete(step.group);
              const through = expected.bakes.find((b) => b.group === step.group)?.through;
              if (through !== undefined) extras.baked.set(step.group, through);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("decides as the reference for any state given at once", () => {
    fc.assert(
      fc.property(
        fleetArb,
        policiesArb,
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom("waiting", "running", "converged", "failed", "unhealthy"), { maxLength: 25 }),
        fc.integer({ min: 0, max: 100 }),
        (items, policies, parallelism, states, now) => {
          const of = (s: string) => new Set(items.filter((_, i) => states[i] === s).map((i) => i.address));
          const state: ScheduleState = {
            running: of("running"),
            converged: new Set([...of("converged"), ...of("unhealthy")]),
            failed: of("failed"),
            unhealthy: of("unhealthy"),
            now,
            lastFinished: new Map([["web", 10]]),
          };
          expect(nextToStart(items, policies, state, parallelism)).toEqual(
            reference(items, policies, state, parallelism),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
