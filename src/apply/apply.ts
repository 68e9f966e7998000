import { randomUUID } from "node:crypto";
import type { Step } from "../model/action.js";
import { isExecutable } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance, RolloutPolicy, TimeoutKind } from "../model/desired.js";
import type { Reporter } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import type { Plan } from "../model/plan.js";
import type { ApplyReport, InstanceReport } from "../model/report.js";
import type { ProviderAdapter, StepInputs } from "../model/provider.js";
import { bakeCheckpoint } from "./bake.js";
import { planCanaries } from "./canary.js";
import type { GateProbe } from "./gate.js";
import type { GateSubject } from "./gate.js";
import type { BeforeStateEntry, Journal, JournalEntry, RollbackEntry } from "./journal.js";
import { beforeStates, noJournal, openBeforeStates, pendingOperations, unfinishedRollback } from "./journal.js";
import { ADAPTIVE_POLLING, CONFIRM_AFTER_MS, OperationPoller } from "./poller.js";
import { InstanceReader } from "./reader.js";
import { resumeOperations } from "./resume.js";
import { rollBack } from "./rollback.js";
import type { RollbackDeps } from "./rollback.js";
import { runRollout } from "./rollout.js";
import type { RolloutOutcome } from "./rollout.js";
import { runOne } from "./run-one.js";
import { ReprovisionBudget } from "./reprovision-budget.js";
import { DEFAULT_STEP_TIMEOUTS_MS } from "./run-instance.js";
import type { InstanceContext } from "./run-instance.js";

export interface ApplyDeps {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** Where steps are recorded, and what earlier runs left (`previous`). @default no journal */
  readonly journal?: Journal;
  /** Resolves what a step needs that the plan does not carry (user_data content, password). */
  readonly resolveInputs: (desired: DesiredInstance, step: Step) => Promise<StepInputs>;
  readonly replan: (desired: DesiredInstance, observed: ObservedInstance) => InstanceChange;
  /** Probes readiness gates. Without it, a server whose group has a gate fails (a gate is never skipped). */
  readonly probeGate?: GateProbe;
  /** Asked when a group's canaries converged under `canaryApproval: manual` (a terminal's yes). @default none: the group is held */
  readonly approveCanaries?: (group: string, canaries: readonly InstanceAddress[]) => Promise<boolean>;
}

export interface ApplyOptions {
  /** Most servers in flight across all groups. @default 50 */
  readonly parallelism?: number;
  /** Time between bulk polls of in-flight operations, fixed. @default adaptive (ADAPTIVE_POLLING) up to the adapter's hint, else 2000 */
  readonly pollIntervalMs?: number;
  /** Per step kind, and `wait`; over every group's `timeouts`. @default DEFAULT_STEP_TIMEOUTS_MS, the groups' `timeouts` */
  readonly timeouts?: Partial<Readonly<Record<TimeoutKind, number>>>;
  /** How long to wait for a server that was busy at plan time (`timeouts.wait` wins). @default 30 min */
  readonly waitTimeoutMs?: number;
  /** Approve canaries that passed in an earlier run (`reform apply --continue`). @default false */
  readonly continue?: boolean;
  /**
   * `reform apply --rollback`: instead of the plan, take back the servers the last run in the journal changed (from
   * its before-state records). @default false
   */
  readonly rollback?: boolean;
}

/**
 * Executes a plan: first follows operations an interrupted run left in flight (from the journal), then rolls
 * through the servers, bounded and verified. Every server the plan would act on ends `converged`, `failed`
 * (with why) or `skipped` (with why).
 */
export async function applyPlan(
  plan: Plan,
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
  deps: ApplyDeps,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const startedAt = new Date(deps.clock.now()).toISOString();
  const run = randomUUID();
  const given = deps.journal ?? noJournal;
  const previous = given.previous ?? { entries: [], problems: [] };
  // This run's before-state records: what an automatic rollback takes back.
  const recorded = new Map<InstanceAddress, BeforeStateEntry>();
  const journal: Journal = {
    ...given,
    append: (entry) => {
      if (entry.event === "before-state" && !recorded.has(entry.address)) recorded.set(entry.address, entry);
      return given.append(entry);
    },
  };
  const only = rollbackOnly(previous.entries, options.rollback ?? false);
  for (const problem of previous.problems)
    deps.reporter.report({ type: "warning", message: `journal: ${problem.message}` });
  const pending = pendingOperations(previous.entries);
  const resuming = new Set(pending.map((p) => p.address));
  // A server with an operation in flight is waited out and planned again from what it is now, like a busy one.
  const changes = plan.changes
    .filter((c) => isExecutable(c.action) || c.action === "wait")
    .map((c): InstanceChange => (resuming.has(c.address) ? { ...c, action: "wait" } : c));
  const providers = new Set([
    ...changes.map((c) => c.provider),
    ...pending.map((p) => p.provider).filter((p) => deps.adapters.has(p)),
    ...(only?.records ?? []).map((r) => r.provider).filter((p) => deps.adapters.has(p)),
  ]);
  const reprovisions = new ReprovisionBudget(plan.limits?.reprovision, changes);
  const contexts = createContexts(
    run,
    deps,
    options,
    providers,
    journal,
    openBeforeStates(previous.entries),
    reprovisions,
  );
  const groupOf = (address: InstanceAddress) =>
    plan.changes.find((c) => c.address === address)?.group ?? desired.get(address)?.group ?? "default";
  const policyOf = (group: string) => plan.rollout[group] ?? plan.rollout["default"];
  const timeouts = (group: string) => timeoutsFor(policyOf(group), options);
  /** A server to take back, with its group, what the fleet file declares for it and (after this run's rollout) how it ended. */
  const toRollBack = (record: BeforeStateEntry, forward?: InstanceReport) => {
    const want = desired.get(record.address);
    return {
      record,
      group: groupOf(record.address),
      ...(want ? { desired: want } : {}),
      ...(forward ? { forward } : {}),
    };
  };
  const resumed = await resumeOperations(pending, {
    run,
    contexts,
    timeoutOf: (address, step) => timeouts(groupOf(address))[step],
  });
  const rollbackDeps: RollbackDeps = {
    contexts,
    policies: plan.rollout,
    timeouts: (group) => timeouts(group),
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
    journal,
    parallelism: options.parallelism ?? 50,
    ...(deps.probeGate ? { probeGate: deps.probeGate } : {}),
  };
  const base = {
    startedAt,
    ...(resumed.length > 0 ? { resumed } : {}),
    ...(previous.problems.length > 0 ? { journalProblems: previous.problems.map((p) => p.message) } : {}),
  };
  if (only) {
    // An interrupted rollback is finished, or `--rollback` asked: nothing of the plan runs.
    const servers = only.records.map((record) => toRollBack(record));
    const back = await rollBack(
      {
        servers,
        target: only.target,
        reason: only.reason,
        by: run,
        ...(only.resuming ? { resuming: only.resuming } : {}),
      },
      rollbackDeps,
    );
    return {
      ...base,
      finishedAt: new Date(deps.clock.now()).toISOString(),
      results: servers.flatMap((s) => back.results.get(s.record.address) ?? []),
      rollback: back.summary,
    };
  }

  const canaries = planCanaries(
    plan.rollout,
    membersByGroup(changes, desired),
    previous.entries,
    options.continue ?? false,
  );
  for (const group of canaries.newlyApproved) {
    await journal.append({
      time: new Date(deps.clock.now()).toISOString(),
      run,
      event: "canaries-approved",
      group,
      config: canaries.configs.get(group) ?? "",
      addresses: [],
    });
  }
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const subjects = new Map<InstanceAddress, GateSubject>();
  const outcome = await runRollout(changes, canaries, {
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
    journal,
    run,
    parallelism: options.parallelism ?? 50,
    ...(deps.approveCanaries ? { approveCanaries: deps.approveCanaries } : {}),
    start: (address) => {
      const change = byAddress.get(address);
      const want = desired.get(address);
      const ctx = change ? contexts.get(change.provider) : undefined;
      if (!change || !want || !ctx) throw new TypeError(`apply: no desired state or provider for ${address}`);
      const t = timeouts(change.group);
      const policy = policyOf(change.group);
      return runOne({ ...ctx, timeouts: t, waitTimeoutMs: t.wait }, change, want, policy, deps.probeGate, subjects);
    },
    bake: (request, converged) => {
      const policy = policyOf(request.group);
      const servers = converged.flatMap((address) => {
        const subject = subjects.get(address);
        return subject ? [{ address, subject }] : [];
      });
      return bakeCheckpoint(policy?.gate, request.bakeMs, servers, {
        clock: deps.clock,
        signal: deps.signal,
        ...(deps.probeGate ? { probe: deps.probeGate } : {}),
      });
    },
  });
  const halted = outcome.haltedBy;
  const back =
    halted !== undefined && policyOf(halted.group)?.onFailure === "rollback" && !deps.signal.aborted
      ? await rollBack(
          {
            servers: [...recorded.values()]
              .filter((r) => policyOf(groupOf(r.address))?.onFailure === "rollback")
              .map((record) => toRollBack(record, outcome.results.get(record.address))),
            target: run,
            reason: haltReason(halted, policyOf(halted.group), changes, outcome.results),
            by: run,
          },
          rollbackDeps,
        )
      : undefined;
  return {
    ...base,
    finishedAt: new Date(deps.clock.now()).toISOString(),
    results: changes
      .map((c) => back?.results.get(c.address) ?? outcome.results.get(c.address))
      .filter((r): r is InstanceReport => r !== undefined),
    ...(outcome.awaitingApproval.length > 0 ? { awaitingApproval: outcome.awaitingApproval } : {}),
    ...(back ? { rollback: back.summary } : {}),
  };

  function timeoutsFor(policy: RolloutPolicy | undefined, o: ApplyOptions): Readonly<Record<TimeoutKind, number>> {
    return { ...DEFAULT_STEP_TIMEOUTS_MS, wait: o.waitTimeoutMs ?? 30 * 60_000, ...policy?.timeoutsMs, ...o.timeouts };
  }
}

/** What the rollout halted on, for people: the limit, the group, and each server that counted against it, with why. */
export function haltReason(
  halted: NonNullable<RolloutOutcome["haltedBy"]>,
  policy: RolloutPolicy | undefined,
  changes: readonly InstanceChange[],
  results: ReadonlyMap<InstanceAddress, InstanceReport>,
): string {
  const limit =
    halted.limit === "maxUnhealthy"
      ? `maxUnhealthy ${String(policy?.maxUnhealthy ?? 1)} reached`
      : `maxFailures ${String(policy?.maxFailures ?? 0)} exceeded`;
  const bad = changes
    .filter((c) => c.group === halted.group)
    .flatMap((c) => {
      const result = results.get(c.address)?.result;
      return result?.type === "failed" ? [`${c.address} ${result.why}`] : [];
    });
  const plural = halted.count === 1 ? "server" : "servers";
  return `${limit} in group ${halted.group} (${halted.count} ${plural} failed or went unhealthy): ${bad.join("; ")}`;
}

/**
 * What a run does instead of its plan: finish a rollback the journal shows started and never finished (always, first),
 * or `--rollback`: take back the last run that recorded before-states. Undefined: run the plan.
 */
function rollbackOnly(
  entries: readonly JournalEntry[],
  asked: boolean,
):
  | {
      readonly records: BeforeStateEntry[];
      readonly target: string;
      readonly reason: string;
      readonly resuming?: RollbackEntry;
    }
  | undefined {
  const interrupted = unfinishedRollback(entries);
  if (interrupted) {
    const records = [...beforeStates(entries, interrupted.target).values()].filter((r) =>
      interrupted.addresses.includes(r.address),
    );
    return {
      records,
      target: interrupted.target,
      reason: `finishing the rollback an interrupted apply left unfinished (started ${interrupted.time}): ${interrupted.reason}`,
      resuming: interrupted,
    };
  }
  if (!asked) return undefined;
  const records = [...beforeStates(entries).values()];
  const target = entries.findLast((e) => e.event === "before-state")?.run ?? "";
  return { records, target, reason: `reform apply --rollback: taking back run ${target}, the last run in the journal` };
}

/** The desired servers of every group the changes touch (all of them, not only the changing ones). */
function membersByGroup(
  changes: readonly InstanceChange[],
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
): Map<string, DesiredInstance[]> {
  const groups = new Map<string, DesiredInstance[]>(changes.map((c) => [c.group, []]));
  for (const d of desired.values()) groups.get(d.group)?.push(d);
  return groups;
}

/** Whether the provider has a key pair, asked once per name for the whole run; undefined when it cannot be read. */
function keyPairLookup(adapter: ProviderAdapter, signal: AbortSignal): (name: string) => Promise<boolean | undefined> {
  const asked = new Map<string, Promise<boolean | undefined>>();
  return (name) => {
    let answer = asked.get(name);
    if (!answer) {
      answer = adapter.findKeyPairs([name], signal).then(
        (found) => found.has(name),
        () => undefined,
      );
      asked.set(name, answer);
    }
    return answer;
  };
}

/** The caller's key pair names, listed once per run and only when asked (a key pair is missing). */
function keyPairNamesOnce(adapter: ProviderAdapter, signal: AbortSignal): () => Promise<readonly string[]> {
  let names: Promise<readonly string[]> | undefined;
  return () => (names ??= adapter.keyPairNames?.(signal).catch(() => []) ?? Promise.resolve([]));
}

function createContexts(
  run: string,
  deps: ApplyDeps,
  options: ApplyOptions,
  providers: ReadonlySet<string>,
  journal: Journal,
  open: ReadonlyMap<InstanceAddress, BeforeStateEntry>,
  reprovisions: ReprovisionBudget,
): Map<string, InstanceContext> {
  const contexts = new Map<string, InstanceContext>();
  for (const provider of providers) {
    const adapter = deps.adapters.get(provider);
    if (!adapter) throw new TypeError(`apply: no adapter for provider "${provider}"`);
    const pollIntervalMs = options.pollIntervalMs ?? adapter.pollIntervalMs ?? 2000;
    contexts.set(provider, {
      run,
      adapter,
      poller: new OperationPoller(adapter, {
        clock: deps.clock,
        signal: deps.signal,
        intervalMs: pollIntervalMs,
        // An interval given explicitly is kept fixed (no confirmation polls either); otherwise the adapter's interval is
        // the ceiling of adaptive polling, and a step that looked done is confirmed by a poll of its own.
        ...(options.pollIntervalMs === undefined
          ? { adaptive: ADAPTIVE_POLLING, confirmAfterMs: CONFIRM_AFTER_MS }
          : {}),
        onError: (error) =>
          deps.reporter.report({
            type: "warning",
            message: `polling ${provider} failed, retrying: ${error instanceof Error ? error.message : String(error)}`,
          }),
      }),
      reader: new InstanceReader(adapter, { clock: deps.clock, signal: deps.signal }),
      clock: deps.clock,
      reporter: deps.reporter,
      journal,
      openBeforeStates: open,
      signal: deps.signal,
      timeouts: DEFAULT_STEP_TIMEOUTS_MS,
      waitTimeoutMs: options.waitTimeoutMs ?? 30 * 60_000,
      pollIntervalMs,
      resolveInputs: deps.resolveInputs,
      keyPairExists: keyPairLookup(adapter, deps.signal),
      keyPairNames: keyPairNamesOnce(adapter, deps.signal),
      replan: deps.replan,
      reprovisions,
    });
  }
  return contexts;
}
