import { resolve } from "node:path";
import type { Reporter } from "../../model/events.js";
import type { Plan } from "../../model/plan.js";
import { ReformError } from "../../model/errors.js";
import { describeResumed } from "../../apply/resume.js";
import { beforeStates, finishedRollbackOf, unfinishedRollback } from "../../apply/journal.js";
import type { ApplyReport } from "../../model/report.js";
import { applySucceeded } from "../../model/report.js";
import type { TimeoutKind } from "../../model/desired.js";
import { probeGate } from "../../runtime/gate-probe.js";
import type { LockedScope } from "../../runtime/backend.js";
import { toApplyReportDocument } from "../../render/apply-report.js";
import { apply } from "../../workflow/apply.js";
import { readPlanFile } from "../../workflow/plan-file.js";
import type { PlanResult } from "../../workflow/plan.js";
import { prepareSavedPlan } from "../../workflow/apply-saved.js";
import type { BackendOptions } from "../backend.js";
import { REFORM_VERSION, identityOf, planDigest, withBackendLock } from "../backend.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { isInteractive, useColor } from "../io.js";
import { confirm } from "../prompt.js";
import { renderPlanAs, renderReportAs } from "../render.js";
import { createListrReporter } from "../reporters/listr.js";
import { createPlainReporter } from "../reporters/plain.js";
import { loadConfig, withSession } from "../session.js";
import type { FleetAccessOptions, Session } from "../session.js";
import { planWithSession, writeRefusals } from "./plan.js";

export interface ApplyCommandOptions extends FleetAccessOptions, BackendOptions {
  readonly config: string;
  /** False when -c was not given: a saved plan then names its own fleet file. */
  readonly configGiven: boolean;
  readonly autoApprove: boolean;
  readonly output: "text" | "json";
  readonly target: readonly string[];
  readonly adopt: boolean;
  readonly parallelism?: number;
  readonly pollInterval?: number;
  /** `--timeout kind=duration`: over the fleet file's timeouts. */
  readonly timeout?: Readonly<Partial<Record<TimeoutKind, number>>>;
  /** `--continue`: approve canaries that passed in an earlier run. */
  readonly continue?: boolean;
  /** `--max-reprovisions N`: over the fleet file's `limits.reprovision` and a saved plan's recorded limit. @default theirs */
  readonly maxReprovisions?: number;
  /** `--rollback`: take back the servers the last run in the journal changed, instead of applying the fleet file. */
  readonly rollback?: boolean;
  readonly color?: boolean;
  readonly debug: boolean;
}

export async function applyCommand(io: CliIo, options: ApplyCommandOptions, signal: AbortSignal): Promise<number> {
  const fleet = await loadConfig(io, options.config, options);
  return withBackendLock(io, fleet, options, (lock) =>
    withSession(io, fleet, options, async (session) => {
      const previous = await lock.previousEntries();
      const interrupted = unfinishedRollback(previous);
      if (interrupted || options.rollback) {
        const planned = await planWithSession(io, session, { ...options, checkInputs: false }, signal);
        const progress = options.output === "json" ? io.stderr : io.stdout;
        if (interrupted) {
          progress.write(
            `An interrupted rollback of run ${interrupted.target} (started ${interrupted.time}) is unfinished: this apply finishes it and changes nothing else.\n`,
          );
          return execute(io, session, lock, planned, { ...options, rollback: false }, signal);
        }
        const records = [...beforeStates(previous).values()];
        const last = previous.findLast((e) => e.event === "before-state");
        const done = last ? finishedRollbackOf(previous, last.run) : undefined;
        if (!last || done) {
          progress.write(
            done
              ? `Nothing to roll back: the last run in the journal (${done.target}) was rolled back already (${done.time}).\n`
              : "Nothing to roll back: the journal records no run that changed a server.\n",
          );
          return nothingToDo(io, options.output, lock.notes());
        }
        progress.write(
          `reform will take back ${records.length} server${records.length === 1 ? "" : "s"} that run ${last.run} changed (${last.time}) to their state before it:\n${records.map((r) => `  ↩ ${r.address} (${r.steps.join(" → ")})\n`).join("")}`,
        );
        await approve(io, options.autoApprove);
        return execute(io, session, lock, planned, options, signal);
      }
      const planned = await planWithSession(io, session, { ...options, checkInputs: true }, signal);
      const color = useColor(io, options.color);
      const progress = options.output === "json" ? io.stderr : io.stdout;
      progress.write(renderPlanAs(planned.plan, "text", { color, width: io.stdout.columns ?? 100 }));
      writeRefusals(io, planned.plan);
      if (!planned.plan.applyable) return EXIT.error;
      if (!hasWork(planned.plan)) {
        // Nothing to change, but an interrupted run may have left operations to follow and report: that changes nothing.
        // (An unfinished rollback was finished above.)
        return (await lock.hasPendingOperations())
          ? execute(io, session, lock, planned, options, signal)
          : nothingToDo(io, options.output, lock.notes());
      }
      await approve(io, options.autoApprove);
      return execute(io, session, lock, planned, options, signal);
    }),
  );
}

/**
 * `reform apply PLANFILE`: executes a saved plan without asking, but only if nothing moved under it:
 * the fleet file must be the one the plan was made from, and every server it changes must still have
 * the fingerprint the plan saw (changes made outside reform count too).
 */
export async function applySavedPlanCommand(
  io: CliIo,
  planPath: string,
  options: ApplyCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  const { plan: saved } = await readPlanFile(resolve(io.cwd, planPath));
  const fleet = await loadConfig(io, options.configGiven ? options.config : saved.configFile, options);
  return withBackendLock(io, fleet, options, (lock) =>
    withSession(io, fleet, options, async (session) => {
      const limit = options.maxReprovisions === undefined ? {} : { maxReprovisions: options.maxReprovisions };
      const planned = await prepareSavedPlan({
        saved,
        fleet: session.fleet,
        adapters: session.adapters,
        clock: io.clock,
        signal,
        ...limit,
      });
      const progress = options.output === "json" ? io.stderr : io.stdout;
      progress.write(
        renderPlanAs(planned.plan, "text", { color: useColor(io, options.color), width: io.stdout.columns ?? 100 }),
      );
      writeRefusals(io, planned.plan);
      if (!planned.plan.applyable) return EXIT.error;
      // As `reform apply` does: nothing to change, but operations an interrupted run left, or a rollback it left
      // unfinished, are still followed and reported (apply finishes such a rollback before anything else).
      if (!hasWork(planned.plan) && !(await leftUnfinished(lock))) return nothingToDo(io, options.output, lock.notes());
      return execute(io, session, lock, planned, options, signal);
    }),
  );
}

/** Whether an interrupted run left operations in flight or a rollback unfinished: apply follows them even with nothing to change. */
async function leftUnfinished(lock: LockedScope): Promise<boolean> {
  return (await lock.hasPendingOperations()) || unfinishedRollback(await lock.previousEntries()) !== undefined;
}

/**
 * Nothing to apply: exit 0; with `--output json` still one report document (no results), for the pipelines that parse
 * it. What the backend did on taking the lock (records reconciled from a fallback file) is still said.
 */
function nothingToDo(io: CliIo, output: "text" | "json", backendNotes: readonly string[]): number {
  if (output === "json") {
    const now = new Date(io.clock.now()).toISOString();
    io.stdout.write(
      renderApplyOutput(
        { startedAt: now, finishedAt: now, results: [], ...(backendNotes.length > 0 ? { backendNotes } : {}) },
        "json",
        false,
      ),
    );
  } else {
    for (const note of backendNotes) io.stdout.write(`Backend: ${note}\n`);
  }
  return EXIT.ok;
}

/** Something to execute, or a busy server to wait out and plan again. */
function hasWork(plan: Plan): boolean {
  return plan.hasChanges || plan.changes.some((c) => c.action === "wait");
}

async function approve(io: CliIo, autoApprove: boolean): Promise<void> {
  if (autoApprove) return;
  if (!isInteractive(io)) {
    throw new ReformError(
      "USAGE",
      "refusing to apply without --auto-approve: there is no terminal to confirm on (save the plan with `plan --out FILE` and review it, or pass --auto-approve)",
    );
  }
  if (!(await confirm(io, "\nDo you want to perform these actions?")))
    throw new ReformError("ABORTED", "Apply cancelled.");
}

/** Executes a plan that was shown (and approved): progress, journal, the apply report. Shared with `import --adopt`. */
export async function execute(
  io: CliIo,
  session: Session,
  lock: LockedScope,
  planned: PlanResult,
  options: ApplyCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  const color = useColor(io, options.color);
  const asksCanaries =
    isInteractive(io) &&
    !options.autoApprove &&
    Object.values(planned.plan.rollout).some((p) => p.canaryApproval === "manual");
  const journal = await lock.openJournal({
    identity: identityOf(io),
    planDigest: planDigest(planned.plan),
    reformVersion: REFORM_VERSION,
  });
  // A rollback (asked, or an interrupted one this run finishes) is not the plan's servers: plain progress lines.
  const rollingBack = options.rollback === true || unfinishedRollback(journal.previous?.entries ?? []) !== undefined;
  const live =
    isInteractive(io) &&
    options.output === "text" &&
    io.env["REFORM_PROGRESS"] !== "plain" &&
    !asksCanaries &&
    !rollingBack;
  const addresses = planned.plan.changes.filter((c) => c.steps.length > 0 || c.action === "wait").map((c) => c.address);
  const listr = live ? createListrReporter(addresses) : undefined;
  const progress = options.output === "json" ? io.stderr : io.stdout;
  const reporter: Reporter = listr ?? createPlainReporter((line) => progress.write(line), io.clock);
  let report: ApplyReport | undefined;
  try {
    const rendering = listr?.run();
    report = await apply({
      planned,
      adapters: session.adapters,
      clock: io.clock,
      reporter,
      signal,
      journal,
      env: io.env,
      readFile: io.readFile,
      realPath: io.realPath,
      probeGate,
      ...(asksCanaries
        ? {
            approveCanaries: (group: string, canaries: readonly string[]) =>
              confirm(
                io,
                `\nThe canaries of group ${group} converged (${canaries.join(", ") || "in an earlier run"}). Continue with the rest of the group?`,
              ),
          }
        : {}),
      options: {
        ...(options.parallelism ? { parallelism: options.parallelism } : {}),
        ...(options.pollInterval ? { pollIntervalMs: options.pollInterval } : {}),
        ...(options.timeout ? { timeouts: options.timeout } : {}),
        ...(options.continue ? { continue: true } : {}),
        ...(options.rollback ? { rollback: true } : {}),
      },
    });
    await rendering;
    await journal.close(report);
    const notes = journal.notes();
    io.stdout.write(
      renderApplyOutput(notes.length > 0 ? { ...report, backendNotes: notes } : report, options.output, color),
    );
    // A backend lost mid-apply fails the run even if every server converged: its records are not in the database yet.
    return applySucceeded(report) && journal.halted?.() === undefined ? EXIT.ok : EXIT.error;
  } finally {
    if (!report) await journal.close();
  }
}

/** The apply report, with what this run found of an interrupted one and the groups waiting for canary approval. */
function renderApplyOutput(
  report: ApplyReport & { readonly backendNotes?: readonly string[] },
  output: "text" | "json",
  color: boolean,
): string {
  if (output === "json") {
    const extras = {
      ...(report.backendNotes ? { backend: report.backendNotes } : {}),
      ...(report.resumed
        ? {
            resumed: report.resumed.map((r) => ({
              address: r.address,
              step: r.step,
              run: r.run,
              started_at: r.startedAt,
              outcome: r.outcome,
              ...(r.requestId ? { request_id: r.requestId } : {}),
              ...(r.jobId ? { job_id: r.jobId } : {}),
              ...(r.message ? { message: r.message } : {}),
            })),
          }
        : {}),
      ...(report.journalProblems ? { journal_problems: report.journalProblems } : {}),
      ...(report.awaitingApproval ? { awaiting_approval: report.awaitingApproval } : {}),
    };
    return `${JSON.stringify({ ...toApplyReportDocument(report), ...extras }, null, 2)}\n`;
  }
  const lines = [
    ...(report.backendNotes ?? []).map((n) => `Backend: ${n}`),
    ...(report.journalProblems ?? []).map((p) => `Journal: ${p}`),
    ...(report.resumed ?? []).map((r) => `Resumed: ${describeResumed(r)}`),
    renderReportAs(report, "text", { color }).trimEnd(),
    ...(report.awaitingApproval ?? []).map(
      (g) =>
        `Group ${g}: the canaries converged; the rest of the group waits for approval: run \`reform apply --continue\`.`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
