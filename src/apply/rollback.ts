import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { isExecutable, isReprovisionStep } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance, RolloutPolicy } from "../model/desired.js";
import { DEFAULT_ROLLOUT } from "../model/desired.js";
import { describeError } from "../model/errors.js";
import type { InstanceResult, Reporter } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ImageResolution } from "../model/provider.js";
import type { InstanceReport, RollbackSummary } from "../model/report.js";
import { planInstance } from "../plan/plan-instance.js";
import type { PlanInstanceInput } from "../plan/plan-instance.js";
import type { GateProbe, GateSubject } from "./gate.js";
import type { BeforeStateEntry, Journal, RollbackEntry } from "./journal.js";
import { ReprovisionBudget } from "./reprovision-budget.js";
import { metadataNotRestored, restoreMetadata, rollbackSpec, userDataNotRestored } from "./rollback-spec.js";
import { runRollout } from "./rollout.js";
import { runOne } from "./run-one.js";
import type { InstanceContext } from "./run-instance.js";

/** A server to take back: its before-state record, its group, and how this run's change of it ended (if this run). */
export interface RollbackServer {
  readonly record: BeforeStateEntry;
  readonly group: string;
  /** The server as the fleet file declares it now (its change policy and guardrails hold). @default none */
  readonly desired?: DesiredInstance;
  /** This run's result for it, when the rollback follows this run's own rollout. @default none */
  readonly forward?: InstanceReport;
}

export interface RollbackDeps {
  /** Per provider, as for the rollout (a rollback's steps are journaled under its own run id). */
  readonly contexts: ReadonlyMap<string, InstanceContext>;
  /** The groups' rollout policies: their limits hold (parallelism, maxUnavailable, pause, gate, timeouts). */
  readonly policies: Readonly<Record<string, RolloutPolicy>>;
  readonly timeouts: (group: string) => InstanceContext["timeouts"] & { readonly wait: number };
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly journal: Journal;
  readonly parallelism: number;
  readonly probeGate?: GateProbe;
}

export interface RollbackRequest {
  readonly servers: readonly RollbackServer[];
  /** The run whose changes are taken back. */
  readonly target: string;
  readonly reason: string;
  /** An interrupted rollback this one finishes: its `rollback-started` record. @default a new rollback */
  readonly resuming?: RollbackEntry;
  /** The apply run that does it (named as `resumedBy` when it finishes an interrupted rollback). */
  readonly by: string;
}

export interface RollbackOutcome {
  readonly results: ReadonlyMap<InstanceAddress, InstanceReport>;
  readonly summary: RollbackSummary;
}

/** One server's rollback, planned: the change, the spec it was planned against, what it cannot restore. */
interface PlannedRollback {
  readonly server: RollbackServer;
  readonly change: InstanceChange;
  readonly desired: DesiredInstance;
  readonly notRestored: readonly string[];
  readonly ctx: InstanceContext;
}

/**
 * Takes servers back to their before-state (`onFailure: rollback`, `reform apply --rollback`, or an interrupted
 * rollback finished): `rollback-started` is journaled first; each server is read fresh and planned by the planner
 * against a spec made from its before-state (so each cloud's own steps apply), then rolled with its group's limits
 * (no canary, no checkpoint, every server attempted whatever fails), verified and gated like any apply; then
 * `rollback-finished`. A server that cannot be planned back, or whose steps fail, is `failed` saying so.
 */
export async function rollBack(request: RollbackRequest, deps: RollbackDeps): Promise<RollbackOutcome> {
  const { servers, target, reason } = request;
  // Steps are journaled under a new id, also when finishing an interrupted rollback (whose id names it to the end).
  const stepsRun = randomUUID();
  const run = request.resuming?.run ?? stepsRun;
  const addresses = servers.map((s) => s.record.address);
  const now = () => new Date(deps.clock.now()).toISOString();
  if (!request.resuming)
    await deps.journal.append({ time: now(), run, event: "rollback-started", target, reason, addresses });
  deps.reporter.report({ type: "rolling-back", reason, addresses });
  const results = new Map<InstanceAddress, InstanceReport>();
  const planned: PlannedRollback[] = [];
  // Each server is read and planned on its own (a fresh read, its images): as many at once as the rollout allows.
  const limit = pLimit(Math.max(1, deps.parallelism));
  const outcomes = await Promise.all(
    servers.map((server) =>
      limit(() =>
        planServer(server, stepsRun, deps).catch((error: unknown) => ({
          type: "failed" as const,
          why: `could not be planned: ${describeError(error)}`,
        })),
      ),
    ),
  );
  for (const [index, outcome] of outcomes.entries()) {
    const server = servers[index];
    if (!server) continue;
    if ("change" in outcome) planned.push(outcome);
    else results.set(server.record.address, notRolledBack(server, outcome, reason));
  }
  const executable = planned.filter((p) => isExecutable(p.change.action) || p.change.action === "wait");
  for (const p of planned) {
    if (executable.includes(p)) continue;
    const blocked = p.change.action === "error" || p.change.action === "unsupported" || p.change.blocked;
    const why = p.change.reasons.map((r) => r.message).join("; ");
    results.set(
      p.server.record.address,
      blocked
        ? notRolledBack(p.server, { type: "failed", why: `cannot be planned back: ${why}` }, reason, p.change.action)
        : rolledBack(p, [], p.notRestored, reason),
    );
  }
  const byAddress = new Map(executable.map((p) => [p.change.address, p]));
  const after = new Map<InstanceAddress, ObservedInstance | undefined>();
  const subjects = new Map<InstanceAddress, GateSubject>();
  const outcome = await runRollout(
    executable.map((p) => p.change),
    {
      policies: rollbackPolicies(deps.policies),
      approved: new Set(),
      held: new Set(),
      configs: new Map(),
      newlyApproved: [],
    },
    {
      clock: deps.clock,
      reporter: deps.reporter,
      signal: deps.signal,
      journal: deps.journal,
      run: stepsRun,
      parallelism: deps.parallelism,
      start: (address) => {
        const p = byAddress.get(address);
        if (!p) throw new TypeError(`rollback: no plan for ${address}`);
        const t = deps.timeouts(p.server.group);
        const ctx = { ...p.ctx, timeouts: t, waitTimeoutMs: t.wait };
        const policy = deps.policies[p.server.group] ?? deps.policies["default"];
        return runOne(ctx, p.change, p.desired, policy, deps.probeGate, subjects, (i) => after.set(address, i));
      },
    },
  );
  for (const p of executable) {
    const report = outcome.results.get(p.change.address);
    if (!report) continue;
    results.set(p.change.address, rollbackReport(p, report, after.get(p.change.address), reason));
  }
  const rolled = addresses.filter((a) => results.get(a)?.result.type === "rolled-back");
  const failed = addresses.filter((a) => results.get(a)?.result.type !== "rolled-back");
  if (!deps.signal.aborted)
    await deps.journal.append({
      time: now(),
      run,
      event: "rollback-finished",
      target,
      reason,
      addresses: rolled,
      ...(failed.length > 0 ? { failed } : {}),
      ...(request.resuming ? { resumedBy: request.by } : {}),
    });
  return { results, summary: { reason, run: target, rolledBack: rolled, notRolledBack: failed } };
}

/** A group's policy for its rollback: its limits and gate, no canary, no checkpoint, and every server attempted. */
export function rollbackPolicies(policies: Readonly<Record<string, RolloutPolicy>>): Record<string, RolloutPolicy> {
  const of = (p: RolloutPolicy): RolloutPolicy => {
    const { checkpoints: _c, bakeMs: _b, maxUnhealthy: _u, maxFailures: _f, canaryApproval: _a, ...kept } = p;
    return { ...kept, canary: 0, onFailure: "continue" };
  };
  return Object.fromEntries(
    Object.entries({ default: DEFAULT_ROLLOUT, ...policies }).map(([group, p]) => [group, of(p)]),
  );
}

/** Reads the server fresh and plans it back: images and capabilities from its cloud, the planner's own rules. */
async function planServer(
  server: RollbackServer,
  run: string,
  deps: RollbackDeps,
): Promise<PlannedRollback | Extract<InstanceResult, { type: "failed" | "skipped" }>> {
  const { record } = server;
  const base = deps.contexts.get(record.provider);
  if (!base) return { type: "failed", why: `provider ${record.provider} is not in the fleet file any more` };
  const observed = await base.reader.read(record.id);
  if (!observed) return { type: "skipped", why: "not rolled back: the server no longer exists" };
  const target = rollbackSpec(record.state, server.desired?.spec);
  const notRestored = [...target.notRestored];
  const adapter = base.adapter;
  const [capabilities, images] = await Promise.all([
    adapter.capabilities(deps.signal),
    adapter.resolveImages(
      [...new Set([target.spec.image && "id" in target.spec.image ? target.spec.image.id : "", observed.imageId])]
        .filter((id) => id !== "")
        .map((id) => ({ id })),
      deps.signal,
    ),
  ]);
  const found = (id: string | undefined) => images.find((i) => "id" in i.ref && i.ref.id === id);
  let spec = target.spec;
  const wantImage = spec.image && "id" in spec.image ? spec.image.id : undefined;
  const image = wantImage === undefined ? undefined : found(wantImage);
  if (wantImage !== undefined && image?.result.type !== "found") {
    notRestored.push(
      `image: ${imageLabel(record)} cannot be used: ${imageError(image)}; the server keeps ${observed.imageId || "its image"}`,
    );
    const { image: _gone, ...rest } = spec;
    spec = rest;
  }
  if (typeof spec.keyPair === "string" && spec.keyPair !== observed.keyPair) {
    const exists = await adapter.findKeyPairs([spec.keyPair], deps.signal).then(
      (set) => set.has(spec.keyPair as string),
      () => true,
    );
    if (!exists) {
      notRestored.push(
        `key pair: ${spec.keyPair} no longer exists; the server keeps ${observed.keyPair ?? "no key pair"}`,
      );
      spec = { ...spec, keyPair: observed.keyPair };
    }
  }
  const desired: DesiredInstance = {
    address: record.address,
    provider: record.provider,
    selector: { id: record.id },
    group: server.group,
    rollout: server.desired?.rollout ?? DEFAULT_ROLLOUT,
    source: server.desired?.source ?? { file: "(journal)", line: 1, column: 1 },
    spec,
  };
  const resolved = image?.result.type === "found" && spec.image ? image.result : undefined;
  const current = found(observed.imageId)?.result;
  const input: PlanInstanceInput = {
    desired,
    observed,
    capabilities,
    adopt: false,
    ...(resolved ? { image: { id: resolved.id, name: resolved.name, properties: resolved.properties } } : {}),
    ...(current?.type === "found"
      ? { observedImage: { id: current.id, name: current.name, properties: current.properties } }
      : {}),
  };
  const planBack = (fresh: ObservedInstance) =>
    restoreMetadata(planInstance({ ...input, observed: fresh }), fresh, record.state, capabilities);
  const ctx: InstanceContext = {
    ...base,
    run,
    recordsBeforeState: false,
    replan: (_desired, fresh) => planBack(fresh),
    reprovisions: new ReprovisionBudget(undefined, []),
  };
  const change = planBack(observed);
  const left = metadataNotRestored(change, observed, record.state, capabilities);
  return { server, change, desired, notRestored: left ? [...notRestored, left] : notRestored, ctx };
}

function imageLabel(record: BeforeStateEntry): string {
  const image = record.state.image;
  if (!("id" in image)) return "the image";
  return image.name === undefined ? `image ${image.id}` : `image ${image.name} (${image.id})`;
}

function imageError(resolution: ImageResolution | undefined): string {
  return resolution?.result.type === "error" ? resolution.result.message : "the cloud does not show it any more";
}

/** How this run's change of the server ended, for the report: `converged`, `failed: …`, or the run's recorded steps. */
function forwardOf(server: RollbackServer): string {
  const result = server.forward?.result;
  if (result?.type === "converged") return "converged";
  if (result !== undefined && "why" in result) return `${result.type}: ${result.why}`;
  return `changed by run ${server.record.run} (${server.record.steps.join(" → ")})`;
}

/** The server's report: this run's action and steps when the rollback follows its rollout, else the rollback's. */
function forwardReport(
  server: RollbackServer,
  result: InstanceResult,
  durationMs = 0,
  action: InstanceChange["action"] = "no-op",
): InstanceReport {
  return {
    address: server.record.address,
    id: server.record.id,
    action: server.forward?.action ?? action,
    steps: server.forward?.steps ?? server.record.steps,
    result,
    durationMs: (server.forward?.durationMs ?? 0) + durationMs,
  };
}

function rolledBack(
  p: Pick<PlannedRollback, "server" | "change">,
  steps: InstanceChange["steps"][number]["kind"][],
  notRestored: readonly string[],
  reason: string,
  durationMs = 0,
): InstanceReport {
  return forwardReport(
    p.server,
    { type: "rolled-back", why: reason, forward: forwardOf(p.server), steps, notRestored },
    durationMs,
    p.change.action,
  );
}

function notRolledBack(
  server: RollbackServer,
  outcome: Extract<InstanceResult, { type: "failed" | "skipped" }>,
  reason: string,
  action?: InstanceChange["action"],
): InstanceReport {
  const before = `before it: ${forwardOf(server)}; rollback triggered by: ${reason}`;
  return forwardReport(
    server,
    outcome.type === "skipped"
      ? { type: "skipped", why: `${outcome.why}; ${before}` }
      : { ...outcome, why: `rollback failed: ${outcome.why}; ${before}` },
    0,
    action,
  );
}

function rollbackReport(
  p: PlannedRollback,
  report: InstanceReport,
  after: ObservedInstance | undefined,
  reason: string,
): InstanceReport {
  const result = report.result;
  if (result.type === "converged") {
    const steps = report.steps;
    const reprovisioned = p.change.steps.some(isReprovisionStep);
    const userData = after ? userDataNotRestored(p.server.record.state, after, reprovisioned) : undefined;
    return rolledBack(p, [...steps], [...p.notRestored, ...(userData ? [userData] : [])], reason, report.durationMs);
  }
  if (result.type === "failed" || result.type === "skipped")
    return notRolledBack(p.server, result, reason, p.change.action);
  return report;
}
