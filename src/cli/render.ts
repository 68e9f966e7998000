import type { ApplyReport } from "../model/report.js";
import type { Plan } from "../model/plan.js";
import { describeOverLimit, overLimit } from "../model/plan.js";
import { renderApplyReportText, toApplyReportDocument } from "../render/apply-report.js";
import { renderPlanJson } from "../render/json.js";
import { renderPlanMarkdown } from "../render/markdown.js";
import { toPlanDocument } from "../render/plan-document.js";
import type { PlanDocument } from "../render/plan-document.js";
import { renderPlanText, shownInText } from "../render/text.js";

export type OutputFormat = "text" | "json" | "markdown";

export function renderPlanAs(
  plan: Plan,
  format: OutputFormat,
  options: { color: boolean; width: number; verbose?: boolean },
): string {
  // The text reads only the servers it shows: the documents of the others (most of a large fleet) are not built.
  return renderDocumentAs(
    format === "text" ? toPlanDocument(plan, shownInText) : toPlanDocument(plan),
    format,
    options,
  );
}

export function renderDocumentAs(
  doc: PlanDocument,
  format: OutputFormat,
  options: { color: boolean; width: number; verbose?: boolean },
): string {
  switch (format) {
    case "text":
      return ensureNewline(renderPlanText(doc, options));
    case "json":
      return ensureNewline(renderPlanJson(doc));
    case "markdown":
      return ensureNewline(renderPlanMarkdown(doc, {}));
  }
}

export function renderReportAs(report: ApplyReport, format: OutputFormat, options: { color: boolean }): string {
  return format === "json"
    ? `${JSON.stringify(toApplyReportDocument(report), null, 2)}\n`
    : ensureNewline(renderApplyReportText(report, options));
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * What the guardrails refuse, one message each, for stderr: the run's reprovision limit (the count, the limit, the
 * servers), then every server its policy refuses (the field, the action it would need, the policy).
 */
export function guardrailRefusals(plan: Plan): string[] {
  const messages: string[] = [];
  const limit = plan.limits?.reprovision;
  if (limit !== undefined && overLimit(limit)) {
    messages.push(
      `${describeOverLimit(
        limit,
        plan.changes.filter((c) => c.impact === "reprovision").map((c) => c.address),
      )}; nothing was changed`,
    );
  }
  for (const change of plan.changes) {
    if (change.blocked !== undefined && change.blocked.by !== "limits.reprovision")
      messages.push(change.blocked.message);
  }
  return messages;
}
