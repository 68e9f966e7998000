import type { ApplyReport } from "../model/report.js";
import type { Plan } from "../model/plan.js";
import { renderApplyReportText, toApplyReportDocument } from "../render/apply-report.js";
import { renderPlanJson } from "../render/json.js";
import { renderPlanMarkdown } from "../render/markdown.js";
import { toPlanDocument } from "../render/plan-document.js";
import type { PlanDocument } from "../render/plan-document.js";
import { renderPlanText } from "../render/text.js";

export type OutputFormat = "text" | "json" | "markdown";

export function renderPlanAs(plan: Plan, format: OutputFormat, options: { color: boolean; width: number }): string {
  return renderDocumentAs(toPlanDocument(plan), format, options);
}

export function renderDocumentAs(doc: PlanDocument, format: OutputFormat, options: { color: boolean; width: number }): string {
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
  return format === "json" ? `${JSON.stringify(toApplyReportDocument(report), null, 2)}\n` : ensureNewline(renderApplyReportText(report, options));
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
