import { resolve } from "node:path";
import { readPlanFile } from "../../workflow/plan-file.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { useColor } from "../io.js";
import { renderDocumentAs } from "../render.js";
import type { OutputFormat } from "../render.js";

/** Renders a saved plan in any output format, from the same document `plan --output json` emits. */
export async function showCommand(io: CliIo, planPath: string, options: { output: OutputFormat; color?: boolean }): Promise<number> {
  const { document } = await readPlanFile(resolve(io.cwd, planPath));
  io.stdout.write(renderDocumentAs(document, options.output, { color: useColor(io, options.color), width: io.stdout.columns ?? 100 }));
  return EXIT.ok;
}
