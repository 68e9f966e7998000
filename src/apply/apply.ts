import { randomUUID } from "node:crypto";
import type { Step, StepKind } from "../model/action.js";
import { isExecutable } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance } from "../model/desired.js";
import type { InstanceResult, Reporter } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import type { Plan } from "../model/plan.js";
import type { ProviderAdapter, StepInputs } from "../model/provider.js";
import type { Journal } from "./journal.js";
import { noJournal } from "./journal.js";
import { ADAPTIVE_POLLING, OperationPoller } from "./poller.js";
import { InstanceReader } from "./reader.js";
import type { ApplyReport, InstanceReport } from "./report.js";
import { DEFAULT_STEP_TIMEOUTS_MS, runInstance } from "./run-instance.js";
import type { InstanceContext } from "./run-instance.js";
import type { ScheduleItem } from "./schedule.js";
import { nextToStart } from "./schedule.js";

export interface ApplyDeps {
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  /** @default no journal */
  readonly journal?: Journal;
  /** Resolves what a step needs that the plan does not carry (user_data content, password). */
  readonly resolveInputs: (desired: DesiredInstance, step: Step) => Promise<StepInputs>;
  readonly replan: (desired: DesiredInstance, observed: ObservedInstance) => InstanceChange;
}

export interface ApplyOptions {
  /** Most servers in flight across all groups. @default 50 */
  readonly parallelism?: number;
  /** Time between bulk polls of in-flight operations, fixed. @default adaptive (ADAPTIVE_POLLING) up to the adapter's hint, else 2000 */
  readonly pollIntervalMs?: number;
  /** Per step kind. @default DEFAULT_STEP_TIMEOUTS_MS */
  readonly timeouts?: Partial<Readonly<Record<StepKind, number>>>;
  /** How long to wait for a server that was busy at plan time. @default 30 min */
  readonly waitTimeoutMs?: number;
}

/**
 * Executes a plan: rolling, bounded, verified. Every server the plan would act on ends
 * `converged`, `failed` (with why) or `skipped` (with why).
 */
export async function applyPlan(
  plan: Plan,
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
  deps: ApplyDeps,
  options: ApplyOptions = {},
): Promise<ApplyReport> {
  const startedAt = new Date(deps.clock.now()).toISOString();
  const changes = plan.changes.filter((c) => isExecutable(c.action) || c.action === "wait");
  const contexts = createContexts(deps, options, changes);
  const byAddress = new Map(changes.map((c) => [c.address, c]));
  const items: ScheduleItem[] = changes.map((c) => ({ address: c.address, group: c.group, downtime: c.impact !== "none" || c.action === "wait" }));
  deps.reporter.report({ type: "apply-started", instances: items.length, batches: 1 });

  const results = new Map<InstanceAddress, InstanceReport>();
  const running = new Map<InstanceAddress, Promise<void>>();
  const state = { running: new Set<InstanceAddress>(), converged: new Set<InstanceAddress>(), failed: new Set<InstanceAddress>() };
  const finish = (report: InstanceReport) => {
    results.set(report.address, report);
    state.running.delete(report.address);
    (report.result.type === "converged" ? state.converged : state.failed).add(report.address);
    running.delete(report.address);
    deps.reporter.report({ type: "instance-done", address: report.address, result: report.result });
  };

  for (;;) {
    const decision = deps.signal.aborted ? { start: [], abandoned: items.map((i) => i.address).filter((a) => !results.has(a) && !state.running.has(a)) } : nextToStart(items, plan.rollout, state, options.parallelism ?? 50);
    for (const address of decision.start) {
      const change = byAddress.get(address);
      const want = desired.get(address);
      const ctx = change ? contexts.get(change.provider) : undefined;
      if (!change || !want || !ctx) throw new TypeError(`apply: no desired state or provider for ${address}`);
      state.running.add(address);
      running.set(address, runOne(ctx, change, want, deps.clock).then(finish));
    }
    if (running.size === 0) {
      for (const address of decision.abandoned) {
        const change = byAddress.get(address);
        if (!change || results.has(address)) continue;
        const why = deps.signal.aborted ? "apply was interrupted before this server started" : "not started: an earlier failure halted the rollout (onFailure: halt)";
        finish({ address, id: change.id, action: change.action, steps: [], result: { type: "skipped", why }, durationMs: 0 });
      }
      break;
    }
    await Promise.race(running.values());
  }
  return { startedAt, finishedAt: new Date(deps.clock.now()).toISOString(), results: changes.map((c) => results.get(c.address)).filter((r): r is InstanceReport => r !== undefined) };
}

async function runOne(ctx: InstanceContext, change: InstanceChange, desired: DesiredInstance, clock: Clock): Promise<InstanceReport> {
  const started = clock.now();
  let result: InstanceResult;
  let executed = change;
  try {
    const outcome = await runInstance(ctx, change, desired);
    result = outcome.result;
    executed = outcome.change;
  } catch (error) {
    result = { type: "failed", why: error instanceof Error ? error.message : String(error) };
  }
  return { address: change.address, id: change.id, action: executed.action, steps: executed.steps.map((s) => s.kind), result, durationMs: clock.now() - started };
}

function createContexts(deps: ApplyDeps, options: ApplyOptions, changes: readonly InstanceChange[]): Map<string, InstanceContext> {
  const run = randomUUID();
  const contexts = new Map<string, InstanceContext>();
  for (const provider of new Set(changes.map((c) => c.provider))) {
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
        // An interval given explicitly is kept fixed; otherwise the adapter's interval is the ceiling of adaptive polling.
        ...(options.pollIntervalMs === undefined ? { adaptive: ADAPTIVE_POLLING } : {}),
        onError: (error) => deps.reporter.report({ type: "warning", message: `polling ${provider} failed, retrying: ${error instanceof Error ? error.message : String(error)}` }),
      }),
      reader: new InstanceReader(adapter, { clock: deps.clock, signal: deps.signal }),
      clock: deps.clock,
      reporter: deps.reporter,
      journal: deps.journal ?? noJournal,
      signal: deps.signal,
      timeouts: { ...DEFAULT_STEP_TIMEOUTS_MS, ...options.timeouts },
      waitTimeoutMs: options.waitTimeoutMs ?? 30 * 60_000,
      pollIntervalMs,
      resolveInputs: deps.resolveInputs,
      replan: deps.replan,
    });
  }
  return contexts;
}
