import type { InstanceAddress } from "../model/address.js";
import type { RolloutPolicy } from "../model/desired.js";
import { limitCount } from "../plan/limits.js";

export interface ScheduleItem {
  readonly address: InstanceAddress;
  readonly group: string;
  /** The server is unavailable during its steps (reboot or reprovision): counts against maxUnavailable. */
  readonly downtime: boolean;
}

export interface ScheduleState {
  readonly running: ReadonlySet<InstanceAddress>;
  readonly converged: ReadonlySet<InstanceAddress>;
  readonly failed: ReadonlySet<InstanceAddress>;
  /** The clock's time (ms): pauses are measured against it. @default 0 */
  readonly now?: number;
  /** When a server of each group last finished (ms). */
  readonly lastFinished?: ReadonlyMap<string, number>;
  /** Groups whose canaries are approved (`canaryApproval: manual`), in this run or an earlier one. */
  readonly approved?: ReadonlySet<string>;
  /** Groups held for approval from the start: their canaries passed in an earlier run and are not approved yet. */
  readonly held?: ReadonlySet<string>;
  /** Converged servers that failed their gate during a bake: they count against `maxUnhealthy`. */
  readonly unhealthy?: ReadonlySet<InstanceAddress>;
  /** Per group, the finished count of the last checkpoint whose bake is over. @default 0 */
  readonly baked?: ReadonlyMap<string, number>;
  /** Groups baking now: nothing of theirs starts. */
  readonly baking?: ReadonlySet<string>;
}

/** A checkpoint reached: `through` servers of the group finished; bake before the next starts. */
export interface BakeRequest {
  readonly group: string;
  readonly through: number;
  /** The group's `bake` time. */
  readonly bakeMs: number;
}

export interface ScheduleDecision {
  /** Start these now, in this order. */
  readonly start: readonly InstanceAddress[];
  /** Nothing more will start: a group spent its failure budget (`onFailure: halt` has none) or reached `maxUnhealthy`. */
  readonly halted: boolean;
  /** What halted it, when it is halted: the group and the limit. */
  readonly haltedBy?: {
    readonly group: string;
    readonly limit: "maxFailures" | "maxUnhealthy";
    readonly count: number;
  };
  /** Checkpoints just reached, to bake now. */
  readonly bakes: readonly BakeRequest[];
  /** Servers that will never start (halted, or their group's canary failed). */
  readonly abandoned: readonly InstanceAddress[];
  /** Groups whose canaries converged and wait for approval: nothing more of theirs starts until then. */
  readonly awaitingApproval: readonly string[];
  /** Servers held until their group's canaries are approved. */
  readonly held: readonly InstanceAddress[];
  /** While a pause between batches holds servers back: when it ends (ask again then). */
  readonly wakeAt?: number;
}

/** `maxUnavailable` as a count for a group of `size` servers: a percentage rounds down, but never below 1. */
export function maxUnavailableCount(policy: RolloutPolicy, size: number): number {
  return Math.max(1, limitCount(policy.maxUnavailable, size));
}

/** Failures a group tolerates before the rollout halts: `maxFailures`, else 0 under halt and rollback, unlimited under continue. */
export function failureBudget(policy: RolloutPolicy, size: number): number {
  if (policy.maxFailures === undefined) return policy.onFailure === "continue" ? Number.POSITIVE_INFINITY : 0;
  return limitCount(policy.maxFailures, size);
}

/** `maxUnhealthy` as a count (at least 1), or undefined when the group has none. */
export function unhealthyLimit(policy: RolloutPolicy, size: number): number | undefined {
  return policy.maxUnhealthy === undefined ? undefined : Math.max(1, limitCount(policy.maxUnhealthy, size));
}

/** The group's checkpoints as finished counts, ascending and distinct: "10%" of 5 servers is 1 (rounded up). */
export function checkpointCounts(policy: RolloutPolicy, size: number): number[] {
  const counts = (policy.checkpoints ?? []).map((c) =>
    Math.min(size, Math.max(1, Math.ceil((Number.parseFloat(c) * size) / 100))),
  );
  return [...new Set(counts)].sort((a, b) => a - b);
}

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
export function nextToStart(
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
