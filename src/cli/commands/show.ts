import { resolve } from "node:path";
import { ReformError } from "../../model/errors.js";
import { fromApplyReportDocument, renderApplyReportText } from "../../render/apply-report.js";
import type { ApplyReportDocument } from "../../render/apply-report.js";
import { renderDriftJson, renderDriftMarkdown, renderDriftText } from "../../render/drift.js";
import type { DriftDocument } from "../../render/drift.js";
import { describeReportType, readShowableFile } from "../../workflow/report-file.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { useColor } from "../io.js";
import { renderDocumentAs } from "../render.js";
import type { OutputFormat } from "../render.js";

/**
 * Renders a saved plan in any output format, from the same document `plan --output json` emits; and the JSON
 * reports of `apply` and `drift`, said to be what they are.
 */
export async function showCommand(
  io: CliIo,
  path: string,
  options: { output: OutputFormat; color?: boolean; verbose?: boolean },
): Promise<number> {
  const file = await readShowableFile(resolve(io.cwd, path));
  const color = useColor(io, options.color);
  switch (file.type) {
    case "plan":
      io.stdout.write(
        renderDocumentAs(file.document, options.output, {
          color,
          width: io.stdout.columns ?? 100,
          verbose: options.verbose ?? false,
        }),
      );
      break;
    case "drift-report":
      io.stdout.write(renderDriftAs(file.document, options.output, color));
      break;
    case "apply-report":
      io.stdout.write(renderApplyReportAs(path, file.document, options.output, color));
      break;
  }
  return EXIT.ok;
}

function renderDriftAs(doc: DriftDocument, output: OutputFormat, color: boolean): string {
  switch (output) {
    case "json":
      return renderDriftJson(doc);
    case "markdown": {
      const text = renderDriftMarkdown(doc);
      return text.endsWith("\n") ? text : `${text}\n`;
    }
    case "text":
      return `Drift report of ${doc.config.file}, made ${doc.created_at} by reform drift:\n\n${renderDriftText(doc, { color })}`;
  }
}

function renderApplyReportAs(path: string, doc: ApplyReportDocument, output: OutputFormat, color: boolean): string {
  switch (output) {
    case "json":
      return `${JSON.stringify(doc, null, 2)}\n`;
    case "markdown":
      throw new ReformError(
        "USAGE",
        `${path} is ${describeReportType("apply-report")}: it renders as text or json, not markdown`,
      );
    case "text":
      return `Apply report of a run from ${doc.started_at} to ${doc.finished_at}, made by reform apply:\n\n${renderApplyReportText(fromApplyReportDocument(doc), { color })}\n`;
  }
}
