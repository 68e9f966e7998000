import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { Reporter } from "../model/events.js";
import type { CanaryPlan } from "./canary.js";
import { canariesOf } from "./canary.js";
import type { Journal } from "./journal.js";
import type { InstanceReport } from "../model/report.js";
import type { BakeRequest, ScheduleDecision, ScheduleItem } from "./schedule.js";
import { decide, ScheduleProgress } from "./schedule.js";

export interface RolloutDeps {
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly journal: Journal;
  readonly run: string;
  readonly parallelism: number;
  readonly approveCanaries?: (group: string, canaries: readonly InstanceAddress[]) => Promise<boolean>;
  /** Runs one server to its result (never rejects). */
  readonly start: (address: InstanceAddress) => Promise<InstanceReport>;
  /**
   * Bakes a checkpoint: waits the group's bake time, re-running the gate of `converged` (the servers of the group this
   * run changed so far). Returns those that no longer pass, with why (never rejects). @default no wait, all healthy
   */
  readonly bake?: (
    request: BakeRequest,
    converged: readonly InstanceAddress[],
  ) => Promise<ReadonlyMap<InstanceAddress, string>>;
}

export interface RolloutOutcome {
  readonly results: ReadonlyMap<InstanceAddress, InstanceReport>;
  /** Groups left waiting for their canaries to be approved. */
  readonly awaitingApproval: readonly string[];
  /** What halted the rollout (a group's failure budget or maxUnhealthy), when it halted. */
  readonly haltedBy?: ScheduleDecision["haltedBy"];
}

interface Progress {
  /** The servers running, converged, failed and unhealthy (moved only through its methods). */
  readonly servers: ScheduleProgress;
  readonly lastFinished: Map<string, number>;
  readonly baked: Map<string, number>;
  readonly baking: Set<string>;
}

/** The shell around the pure schedule: starts what it says, waits for results or the end of a pause, asks for canary approval. */
export async function runRollout(
  changes: readonly InstanceChange[],
  canaries: CanaryPlan,
  deps: RolloutDeps,
): Promise<RolloutOutcome> {
  const items: ScheduleItem[] = changes.map((c) => ({
    address: c.address,
    group: c.group,
    downtime: c.impact !== "none" || c.action === "wait",
  }));
  const groupOf = new Map(changes.map((c) => [c.address, c.group]));
  const results = new Map<InstanceAddress, InstanceReport>();
  const running = new Map<InstanceAddress, Promise<void>>();
  const progress: Progress = {
    servers: new ScheduleProgress(items),
    lastFinished: new Map(),
    baked: new Map(),
    baking: new Set(),
  };
  const members = (group: string) => changes.filter((c) => c.group === group).map((c) => c.address);
  const asked = new Set<string>();
  deps.reporter.report({ type: "apply-started", instances: items.length, batches: 1 });
  const finish = (report: InstanceReport) => {
    results.set(report.address, report);
    progress.servers.finish(report.address, report.result.type === "converged");
    progress.lastFinished.set(groupOf.get(report.address) ?? "", deps.clock.now());
    running.delete(report.address);
    deps.reporter.report({ type: "instance-done", address: report.address, result: report.result });
  };
  for (;;) {
    const decision = scheduleDecision(items, canaries, progress, deps);
    if (await askApproval(decision, items, canaries, asked, deps)) continue;
    for (const address of decision.start) {
      progress.servers.start(address);
      running.set(address, deps.start(address).then(finish));
    }
    for (const request of decision.bakes) {
      const { group, through } = request;
      progress.baking.add(group);
      const converged = members(group).filter(
        (a) => progress.servers.converged.has(a) && !progress.servers.unhealthy.has(a),
      );
      deps.reporter.report({
        type: "baking",
        group,
        through,
        size: members(group).length,
        servers: converged.length,
        bakeMs: request.bakeMs,
      });
      const baking = (
        deps.bake ? deps.bake(request, converged) : Promise.resolve(new Map<InstanceAddress, string>())
      ).then((sick) => {
        for (const [address, why] of sick) {
          progress.servers.markUnhealthy(address);
          const report = results.get(address);
          if (report)
            results.set(address, {
              ...report,
              result: {
                type: "failed",
                why: `converged, but while baking at checkpoint ${through}/${members(group).length}: ${why}`,
              },
            });
          deps.reporter.report({ type: "unhealthy", address, why });
        }
        progress.baking.delete(group);
        progress.baked.set(group, through);
        running.delete(`bake:${group}`);
      });
      running.set(`bake:${group}`, baking);
    }
    if (running.size === 0) {
      if (decision.wakeAt !== undefined && !deps.signal.aborted) {
        await deps.clock.sleep(Math.max(0, decision.wakeAt - deps.clock.now()), deps.signal).catch(() => undefined);
        continue;
      }
      settleRest(decision, changes, results, finish, deps.signal.aborted);
      return {
        results,
        awaitingApproval: decision.awaitingApproval,
        ...(decision.haltedBy ? { haltedBy: decision.haltedBy } : {}),
      };
    }
    await raceWithPause([...running.values()], decision.wakeAt, deps);
  }
}

/** What to start now: nothing once interrupted (the rest is abandoned), else what the schedule says. */
function scheduleDecision(
  items: readonly ScheduleItem[],
  canaries: CanaryPlan,
  progress: Progress,
  deps: RolloutDeps,
): ScheduleDecision {
  if (deps.signal.aborted) {
    const abandoned = items.map((i) => i.address).filter((a) => progress.servers.waiting(a));
    return { start: [], halted: true, abandoned, awaitingApproval: [], held: [], bakes: [] };
  }
  const { lastFinished, baked, baking } = progress;
  const state = {
    lastFinished,
    baked,
    baking,
    now: deps.clock.now(),
    approved: canaries.approved,
    held: canaries.held,
  };
  return decide(progress.servers, canaries.policies, state, deps.parallelism);
}

/**
 * For each group newly waiting for approval: records that its canaries passed (when they ran in this run), then asks
 * (a terminal's yes). True when a group was approved, so the schedule is asked again.
 */
async function askApproval(
  decision: ScheduleDecision,
  items: readonly ScheduleItem[],
  canaries: CanaryPlan,
  asked: Set<string>,
  deps: RolloutDeps,
): Promise<boolean> {
  let approvedAny = false;
  for (const group of decision.awaitingApproval) {
    if (asked.has(group)) continue;
    asked.add(group);
    const policy = canaries.policies[group] ?? canaries.policies["default"];
    const members = items.filter((i) => i.group === group).map((i) => i.address);
    const ran = policy ? canariesOf(members, policy) : [];
    const time = () => new Date(deps.clock.now()).toISOString();
    const config = canaries.configs.get(group) ?? "";
    if (!canaries.held.has(group))
      await deps.journal.append({
        time: time(),
        run: deps.run,
        event: "canaries-passed",
        group,
        config,
        addresses: ran,
      });
    if (deps.approveCanaries && (await deps.approveCanaries(group, ran))) {
      await deps.journal.append({
        time: time(),
        run: deps.run,
        event: "canaries-approved",
        group,
        config,
        addresses: ran,
      });
      canaries.approved.add(group);
      approvedAny = true;
    } else {
      deps.reporter.report({
        type: "warning",
        message: `group ${group}: the canaries converged; the rest waits for approval: run \`reform apply --continue\``,
      });
    }
  }
  return approvedAny;
}

/** Servers that will not start in this run: skipped, each with why. */
function settleRest(
  decision: ScheduleDecision,
  changes: readonly InstanceChange[],
  results: ReadonlyMap<InstanceAddress, InstanceReport>,
  finish: (r: InstanceReport) => void,
  aborted: boolean,
): void {
  const held = new Set(decision.held);
  for (const change of changes) {
    if (results.has(change.address)) continue;
    const why = aborted
      ? "apply was interrupted before this server started"
      : held.has(change.address)
        ? `held: the canaries of group ${change.group} converged and wait for approval; run \`reform apply --continue\``
        : decision.haltedBy?.limit === "maxUnhealthy"
          ? `not started: ${decision.haltedBy.count} server${decision.haltedBy.count === 1 ? "" : "s"} of group ${decision.haltedBy.group} failed or went unhealthy, reaching maxUnhealthy, and halted the rollout`
          : decision.halted
            ? "not started: failures went over the failure budget and halted the rollout (onFailure / maxFailures)"
            : `not started: a canary of group ${change.group} failed`;
    finish({
      address: change.address,
      id: change.id,
      action: change.action,
      steps: [],
      result: { type: "skipped", why },
      durationMs: 0,
    });
  }
}

/** Waits for the next server to finish, or for a pause to end, whichever comes first. */
async function raceWithPause(
  running: readonly Promise<void>[],
  wakeAt: number | undefined,
  deps: RolloutDeps,
): Promise<void> {
  if (wakeAt === undefined) {
    await Promise.race(running);
    return;
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  deps.signal.addEventListener("abort", onAbort, { once: true });
  const pause = deps.clock.sleep(Math.max(0, wakeAt - deps.clock.now()), stop.signal).catch(() => undefined);
  await Promise.race([...running, pause]);
  stop.abort();
  deps.signal.removeEventListener("abort", onAbort);
}
