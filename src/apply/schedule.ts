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

/** What a decision reads of the state besides which servers run, converged, failed or turned unhealthy. */
type ScheduleStateExtras = Omit<ScheduleState, "running" | "converged" | "failed" | "unhealthy">;

interface Budget {
  inFlight: number;
  readonly global: number;
}

/** A group's servers in rollout order, and what the schedule keeps counted of them. */
interface Group {
  readonly name: string;
  readonly members: readonly ScheduleItem[];
  /** For each index, the index of the first server at or after it with no downtime (members.length when none). */
  readonly nextUp: readonly number[];
  /** Every server before it has started (is running or finished). */
  cursor: number;
  /** Servers running, converged or failed. */
  started: number;
  running: number;
  /** Running servers in a downtime step. */
  runningDown: number;
  /** Converged or failed. */
  finished: number;
  failed: number;
  /** Failed, or unhealthy. */
  sick: number;
}

/**
 * Where a rollout stands: which servers run, converged, failed or turned unhealthy, with per group the counts the
 * schedule needs and how far the group's servers have started, kept as servers move (waiting → running → converged or
 * failed; converged → unhealthy), so a decision costs about what it starts rather than the size of the fleet.
 */
export class ScheduleProgress implements ScheduleState {
  readonly running = new Set<InstanceAddress>();
  readonly converged = new Set<InstanceAddress>();
  readonly failed = new Set<InstanceAddress>();
  readonly unhealthy = new Set<InstanceAddress>();
  readonly groups: readonly Group[];
  readonly #groupOf = new Map<InstanceAddress, Group>();
  readonly #downtime = new Set<InstanceAddress>();

  constructor(items: readonly ScheduleItem[]) {
    const groups = new Map<string, ScheduleItem[]>();
    for (const item of items) {
      const list = groups.get(item.group) ?? [];
      list.push(item);
      groups.set(item.group, list);
      if (item.downtime) this.#downtime.add(item.address);
    }
    this.groups = [...groups].map(([name, members]) => {
      const nextUp = new Array<number>(members.length + 1).fill(members.length);
      for (let i = members.length - 1; i >= 0; i--) nextUp[i] = members[i]?.downtime ? (nextUp[i + 1] as number) : i;
      const group: Group = {
        name,
        members,
        nextUp,
        cursor: 0,
        started: 0,
        running: 0,
        runningDown: 0,
        finished: 0,
        failed: 0,
        sick: 0,
      };
      for (const m of members) this.#groupOf.set(m.address, group);
      return group;
    });
  }

  /** The progress a state describes (its running, converged, failed and unhealthy servers). */
  static of(items: readonly ScheduleItem[], state: ScheduleState): ScheduleProgress {
    const progress = new ScheduleProgress(items);
    for (const address of state.running) progress.#add(progress.running, address);
    for (const address of state.converged) progress.#add(progress.converged, address);
    for (const address of state.failed) progress.#add(progress.failed, address);
    for (const address of state.unhealthy ?? []) progress.#add(progress.unhealthy, address);
    return progress;
  }

  /** The server starts its steps. */
  start(address: InstanceAddress): void {
    this.#add(this.running, address);
  }

  /** The server finished: converged or failed. */
  finish(address: InstanceAddress, converged: boolean): void {
    this.#remove(this.running, address);
    this.#add(converged ? this.converged : this.failed, address);
  }

  /** The converged server failed its gate while baking. */
  markUnhealthy(address: InstanceAddress): void {
    this.#add(this.unhealthy, address);
  }

  /** Whether the server has not started. */
  waiting(address: InstanceAddress): boolean {
    return !this.running.has(address) && !this.converged.has(address) && !this.failed.has(address);
  }

  #add(set: Set<InstanceAddress>, address: InstanceAddress): void {
    if (set.has(address)) return;
    this.#change(address, () => set.add(address));
  }

  #remove(set: Set<InstanceAddress>, address: InstanceAddress): void {
    if (!set.has(address)) return;
    this.#change(address, () => set.delete(address));
  }

  /** Changes the sets, the server's group counts following. */
  #change(address: InstanceAddress, change: () => void): void {
    const group = this.#groupOf.get(address);
    if (group) this.#count(group, address, -1);
    change();
    if (group) this.#count(group, address, 1);
  }

  /** Adds (1) or takes away (-1) the server's share of its group's counts, as the sets are now. */
  #count(group: Group, address: InstanceAddress, sign: 1 | -1): void {
    const running = this.running.has(address);
    const failed = this.failed.has(address);
    const finished = failed || this.converged.has(address);
    if (running || finished) group.started += sign;
    if (running) group.running += sign;
    if (running && this.#downtime.has(address)) group.runningDown += sign;
    if (finished) group.finished += sign;
    if (failed) group.failed += sign;
    if (failed || this.unhealthy.has(address)) group.sick += sign;
  }
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
  return decide(ScheduleProgress.of(items, state), policies, state, globalParallelism);
}

/**
 * `nextToStart` of the progress's servers (`state`'s running, converged, failed and unhealthy are not read: the
 * progress's are), at about the cost of what it starts: what a running rollout asks after each result.
 */
export function decide(
  progress: ScheduleProgress,
  policies: Readonly<Record<string, RolloutPolicy>>,
  state: ScheduleStateExtras,
  globalParallelism: number,
): ScheduleDecision {
  const haltedBy = haltReason(progress.groups, policies);
  const halted = haltedBy !== undefined;
  const decision = {
    start: [] as InstanceAddress[],
    abandoned: [] as InstanceAddress[],
    awaitingApproval: [] as string[],
    held: [] as InstanceAddress[],
    bakes: [] as BakeRequest[],
    wakeAt: undefined as number | undefined,
  };
  const budget: Budget = { inFlight: progress.running.size, global: globalParallelism };
  for (const group of progress.groups) {
    const { name, members } = group;
    const policy = policyOf(policies, name);
    while (group.cursor < members.length && !progress.waiting((members[group.cursor] as ScheduleItem).address))
      group.cursor += 1;
    const waiting = () =>
      members
        .slice(group.cursor)
        .filter((m) => progress.waiting(m.address))
        .map((m) => m.address);
    const canaries = members.slice(0, policy.canary);
    if (halted || canaries.some((m) => progress.failed.has(m.address))) {
      decision.abandoned.push(...waiting());
      continue;
    }
    const anyWaiting = group.started < members.length;
    const canaryPending = canaries.some((m) => !progress.converged.has(m.address));
    if (!canaryPending && anyWaiting && awaitsApproval(name, policy, state)) {
      decision.awaitingApproval.push(name);
      decision.held.push(...waiting());
      continue;
    }
    const room = checkpointRoom(group, policy, state, decision.bakes);
    if (room === 0) continue;
    if (policy.pauseMs !== undefined && policy.pauseMs > 0) {
      if (group.running > 0) continue;
      const resume = (state.lastFinished?.get(name) ?? Number.NEGATIVE_INFINITY) + policy.pauseMs;
      if ((state.now ?? 0) < resume) {
        if (anyWaiting) decision.wakeAt = Math.min(decision.wakeAt ?? resume, resume);
        continue;
      }
    }
    const end = canaryPending ? canaries.length : members.length;
    decision.start.push(...fill(progress, group, end, room, policy, budget));
  }
  const { wakeAt, ...rest } = decision;
  return { ...rest, halted, ...(haltedBy ? { haltedBy } : {}), ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

/**
 * How many more servers of the group may start before its next checkpoint (Infinity without one). 0 while it bakes,
 * and when the checkpoint is reached: every server up to it finished, none running; then a bake is requested.
 */
function checkpointRoom(group: Group, policy: RolloutPolicy, state: ScheduleStateExtras, bakes: BakeRequest[]): number {
  if (state.baking?.has(group.name)) return 0;
  const baked = state.baked?.get(group.name) ?? 0;
  const next = checkpointCounts(policy, group.members.length).find((c) => c > baked);
  if (next === undefined) return Number.POSITIVE_INFINITY;
  if (group.finished >= next && group.running === 0) {
    bakes.push({ group: group.name, through: next, bakeMs: policy.bakeMs ?? 0 });
    return 0;
  }
  return Math.max(0, next - group.finished - group.running);
}

function awaitsApproval(group: string, policy: RolloutPolicy, state: ScheduleStateExtras): boolean {
  if (state.approved?.has(group)) return false;
  if (state.held?.has(group)) return true;
  return policy.canaryApproval === "manual" && policy.canary > 0;
}

/**
 * Takes waiting servers in order, from the group's first waiting one up to `end` and at most `room` of them, while
 * the group's parallelism, its downtime limit and the global limit allow.
 */
function fill(
  progress: ScheduleProgress,
  group: Group,
  end: number,
  room: number,
  policy: RolloutPolicy,
  budget: Budget,
): InstanceAddress[] {
  const limitDown = maxUnavailableCount(policy, group.members.length);
  let inGroup = group.running;
  let down = group.runningDown;
  let seen = 0;
  const start: InstanceAddress[] = [];
  for (let i = group.cursor; i < end && seen < room; i++) {
    if (budget.inFlight >= budget.global || inGroup >= policy.parallelism) break;
    // No more downtime now: with no room to count the waiting servers passed over, go to the next without downtime.
    if (down >= limitDown && room === Number.POSITIVE_INFINITY) i = group.nextUp[i] as number;
    const item = group.members[i];
    if (item === undefined || i >= end) break;
    if (!progress.waiting(item.address)) continue;
    seen += 1;
    if (item.downtime && down >= limitDown) continue;
    start.push(item.address);
    budget.inFlight += 1;
    inGroup += 1;
    if (item.downtime) down += 1;
  }
  return start;
}

function policyOf(policies: Readonly<Record<string, RolloutPolicy>>, group: string): RolloutPolicy {
  const policy = policies[group] ?? policies["default"];
  if (!policy) throw new TypeError(`no rollout policy for group "${group}"`);
  return policy;
}

function haltReason(
  groups: readonly Group[],
  policies: Readonly<Record<string, RolloutPolicy>>,
): ScheduleDecision["haltedBy"] {
  for (const { name, members, sick, failed } of groups) {
    const policy = policyOf(policies, name);
    // Both reached: the group's own maxUnhealthy is named (it is the limit the fleet file sets on purpose).
    const limit = unhealthyLimit(policy, members.length);
    if (limit !== undefined && sick >= limit) return { group: name, limit: "maxUnhealthy", count: sick };
    if (failed > failureBudget(policy, members.length)) return { group: name, limit: "maxFailures", count: failed };
  }
  return undefined;
}
