import type { InstanceAddress } from "../model/address.js";
import type { RolloutPolicy } from "../model/desired.js";

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
}

export interface ScheduleDecision {
  /** Start these now, in this order. */
  readonly start: readonly InstanceAddress[];
  /** Nothing more will start: a failure under `onFailure: halt`, or a failed canary. */
  readonly halted: boolean;
  /** Servers that will never start (halted, or their group's canary failed). */
  readonly abandoned: readonly InstanceAddress[];
}

/** `maxUnavailable` as a count for a group of `size` servers: a percentage rounds down, but never below 1. */
export function maxUnavailableCount(policy: RolloutPolicy, size: number): number {
  const raw = policy.maxUnavailable;
  if (typeof raw === "number") return Math.max(1, Math.floor(raw));
  const percent = Number.parseFloat(raw);
  return Math.max(1, Math.floor((percent * size) / 100));
}

/**
 * The rolling schedule, as a pure function of what has happened so far. Per group: canaries first and alone;
 * at most `parallelism` servers in flight; at most `maxUnavailable` servers in a downtime step; after a failure
 * under `onFailure: halt` nothing new starts anywhere (running servers finish). `globalParallelism` caps the sum.
 */
export function nextToStart(
  items: readonly ScheduleItem[],
  policies: Readonly<Record<string, RolloutPolicy>>,
  state: ScheduleState,
  globalParallelism: number,
): ScheduleDecision {
  const groups = groupItems(items);
  const halted = isHalted(items, policies, state);
  const start: InstanceAddress[] = [];
  const abandoned: InstanceAddress[] = [];
  let inFlight = state.running.size;
  for (const [group, members] of groups) {
    const policy = policyOf(policies, group);
    const canaries = new Set(members.slice(0, policy.canary).map((m) => m.address));
    const canaryFailed = [...canaries].some((a) => state.failed.has(a));
    const canaryPending = [...canaries].some((a) => !state.converged.has(a) && !state.failed.has(a));
    const waiting = members.filter((m) => !state.running.has(m.address) && !state.converged.has(m.address) && !state.failed.has(m.address));
    if (halted || canaryFailed) {
      abandoned.push(...waiting.map((m) => m.address));
      continue;
    }
    const limitDown = maxUnavailableCount(policy, members.length);
    let running = members.filter((m) => state.running.has(m.address)).length;
    let down = members.filter((m) => m.downtime && state.running.has(m.address)).length;
    for (const item of waiting) {
      if (inFlight >= globalParallelism || running >= policy.parallelism) break;
      if (canaryPending && !canaries.has(item.address)) break;
      if (item.downtime && down >= limitDown) continue;
      start.push(item.address);
      inFlight += 1;
      running += 1;
      if (item.downtime) down += 1;
    }
  }
  return { start, halted, abandoned };
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

function isHalted(items: readonly ScheduleItem[], policies: Readonly<Record<string, RolloutPolicy>>, state: ScheduleState): boolean {
  return items.some((item) => state.failed.has(item.address) && policyOf(policies, item.group).onFailure === "halt");
}
