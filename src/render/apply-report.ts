import pc from "picocolors";
import type { Action, ApplyReport, InstanceReport, InstanceResult, StepKind } from "../model/index.js";

/** The apply report on the wire (`apply --output json`): snake_case, versioned (docs/plan-format.md). */
export interface ApplyReportDocument {
  readonly format_version: "1.0";
  readonly started_at: string;
  readonly finished_at: string;
  /** `rolled_back` only when a rollback ran. */
  readonly summary: {
    readonly converged: number;
    readonly failed: number;
    readonly skipped: number;
    readonly rolled_back?: number;
  };
  /** Present when a rollback ran: why, the run it took back, and which servers it took back or not. */
  readonly rollback?: {
    readonly reason: string;
    readonly run: string;
    readonly rolled_back: readonly string[];
    readonly not_rolled_back: readonly string[];
  };
  readonly results: readonly {
    readonly address: string;
    readonly id: string;
    readonly action: Action;
    readonly result: {
      readonly type: InstanceResult["type"];
      readonly why?: string;
      readonly step?: StepKind;
      readonly request_id?: string;
      /** The server had been stopped by the failed sequence and was started again (`started`), or that failed (`failed`, with why). */
      readonly restart?: { readonly outcome: "started" | "failed"; readonly why?: string };
      /** rolled-back: how its change ended before the rollback, the rollback's steps, what could not be restored. */
      readonly forward?: string;
      readonly rollback_steps?: readonly StepKind[];
      readonly not_restored?: readonly string[];
    };
    readonly steps: readonly StepKind[];
    readonly duration_ms: number;
  }[];
}

function count(report: ApplyReport): ApplyReportDocument["summary"] {
  const summary = { converged: 0, failed: 0, skipped: 0, rolled_back: 0 };
  for (const r of report.results) summary[r.result.type === "rolled-back" ? "rolled_back" : r.result.type] += 1;
  const { rolled_back: _none, ...rest } = summary;
  return report.rollback ? summary : rest;
}

function resultLine(entry: InstanceReport, c: ReturnType<typeof pc.createColors>): string {
  const seconds = `${(entry.durationMs / 1000).toFixed(1)}s`;
  const steps = entry.steps.length > 0 ? ` [${entry.steps.join(" → ")}]` : "";
  const result = entry.result;
  switch (result.type) {
    case "converged":
      return `${c.green("✓")} ${entry.address}: converged (${entry.action}${steps}, ${seconds})`;
    case "failed": {
      const step = result.step ? ` during ${result.step}` : "";
      // A cloud error's message already names its request id: printed once.
      const request =
        result.requestId && !result.why.includes(result.requestId) ? ` [request ${result.requestId}]` : "";
      return `${c.red("✗")} ${entry.address}: failed${step}: ${result.why}${request} (${entry.action}${steps}, ${seconds})`;
    }
    case "skipped":
      return `${c.yellow("-")} ${entry.address}: skipped: ${result.why}`;
    case "rolled-back": {
      const back = result.steps.length > 0 ? ` [${result.steps.join(" → ")}]` : " (nothing to undo)";
      const lost = result.notRestored.map((n) => `\n    not restored: ${n}`);
      return `${c.yellow("↩")} ${entry.address}: rolled back${back} (${seconds}); before it: ${result.forward}${lost.join("")}`;
    }
  }
}

/** One line per server, then `Apply: 3 converged, 1 failed, 0 skipped.` */
export function renderApplyReportText(report: ApplyReport, options: { readonly color: boolean }): string {
  const c = pc.createColors(options.color);
  const s = count(report);
  const back = s.rolled_back === undefined ? "" : `, ${s.rolled_back} rolled back`;
  const total = `Apply: ${s.converged} converged, ${s.failed} failed, ${s.skipped} skipped${back}.`;
  const lines = report.results.map((entry) => resultLine(entry, c));
  const reason = report.rollback ? [c.bold(`Rolled back: ${report.rollback.reason}`)] : [];
  return [...lines, ...reason, s.failed > 0 || report.rollback ? c.bold(c.red(total)) : c.bold(total)].join("\n");
}

/** The report a document was written from (what `reform show` renders), its summary recounted from the results. */
export function fromApplyReportDocument(doc: ApplyReportDocument): ApplyReport {
  return {
    startedAt: doc.started_at,
    finishedAt: doc.finished_at,
    results: doc.results.map((r) => ({
      address: r.address,
      id: r.id,
      action: r.action,
      steps: r.steps,
      durationMs: r.duration_ms,
      result: resultOf(r.result),
    })),
    ...(doc.rollback
      ? {
          rollback: {
            reason: doc.rollback.reason,
            run: doc.rollback.run,
            rolledBack: doc.rollback.rolled_back,
            notRolledBack: doc.rollback.not_rolled_back,
          },
        }
      : {}),
  };
}

function resultOf(result: ApplyReportDocument["results"][number]["result"]): InstanceResult {
  switch (result.type) {
    case "converged":
      return { type: "converged" };
    case "skipped":
      return { type: "skipped", why: result.why ?? "" };
    case "failed":
      return {
        type: "failed",
        why: result.why ?? "",
        ...(result.step ? { step: result.step } : {}),
        ...(result.request_id ? { requestId: result.request_id } : {}),
      };
    case "rolled-back":
      return {
        type: "rolled-back",
        why: result.why ?? "",
        forward: result.forward ?? "",
        steps: result.rollback_steps ?? [],
        notRestored: result.not_restored ?? [],
      };
  }
}

export function toApplyReportDocument(report: ApplyReport): ApplyReportDocument {
  return {
    format_version: "1.0",
    started_at: report.startedAt,
    finished_at: report.finishedAt,
    summary: count(report),
    results: report.results.map((entry) => ({
      address: entry.address,
      id: entry.id,
      action: entry.action,
      result: {
        type: entry.result.type,
        ...(entry.result.type === "converged" ? {} : { why: entry.result.why }),
        ...(entry.result.type === "failed" && entry.result.step ? { step: entry.result.step } : {}),
        ...(entry.result.type === "failed" && entry.result.requestId ? { request_id: entry.result.requestId } : {}),
        ...(entry.result.type === "failed" && entry.result.restart ? { restart: { ...entry.result.restart } } : {}),
        ...(entry.result.type === "rolled-back"
          ? {
              forward: entry.result.forward,
              rollback_steps: [...entry.result.steps],
              not_restored: [...entry.result.notRestored],
            }
          : {}),
      },
      steps: [...entry.steps],
      duration_ms: entry.durationMs,
    })),
    ...(report.rollback
      ? {
          rollback: {
            reason: report.rollback.reason,
            run: report.rollback.run,
            rolled_back: [...report.rollback.rolledBack],
            not_rolled_back: [...report.rollback.notRolledBack],
          },
        }
      : {}),
  };
}
