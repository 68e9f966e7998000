import { renderDriftJson, renderDriftMarkdown, renderDriftText, toDriftDocument } from "../../render/drift.js";
import { drift, driftExitCode } from "../../workflow/drift.js";
import type { CliIo } from "../io.js";
import { useColor } from "../io.js";
import type { OutputFormat } from "../render.js";
import { withSession } from "../session.js";
import { warnAll } from "./plan.js";

export interface DriftCommandOptions {
  readonly config: string;
  readonly output: OutputFormat;
  /** Field globs (`metadata.monitoring`, `userData`) or address globs (`dc1/web-*`). */
  readonly ignore: readonly string[];
  readonly target: readonly string[];
  readonly color?: boolean;
  readonly debug: boolean;
}

/** `reform drift`: read-only; exit 0 in sync, 2 drift, 3 unapplied configuration changes only (1, error, comes from main). */
export async function driftCommand(io: CliIo, options: DriftCommandOptions, signal: AbortSignal): Promise<number> {
  return withSession(io, options.config, options, async (session) => {
    const report = await drift({
      fleet: session.fleet,
      adapters: session.adapters,
      clock: io.clock,
      signal,
      ignore: options.ignore,
      targets: options.target,
    });
    warnAll(io, report.warnings);
    const doc = toDriftDocument(report);
    switch (options.output) {
      case "json":
        io.stdout.write(renderDriftJson(doc));
        break;
      case "markdown":
        io.stdout.write(ensureNewline(renderDriftMarkdown(doc)));
        break;
      case "text":
        io.stdout.write(renderDriftText(doc, { color: useColor(io, options.color) }));
        break;
    }
    return driftExitCode(report);
  });
}

function ensureNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
