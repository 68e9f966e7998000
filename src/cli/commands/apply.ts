import { applySucceeded } from "../../apply/report.js";
import type { Reporter } from "../../model/events.js";
import { ReformError } from "../../model/errors.js";
import { openFileJournal } from "../../runtime/journal-file.js";
import { apply } from "../../workflow/apply.js";
import type { PlanResult } from "../../workflow/plan.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { isInteractive, useColor } from "../io.js";
import { confirm } from "../prompt.js";
import { renderPlanAs, renderReportAs } from "../render.js";
import { createListrReporter } from "../reporters/listr.js";
import { createPlainReporter } from "../reporters/plain.js";
import { withSession } from "../session.js";
import type { Session } from "../session.js";
import { planWithSession } from "./plan.js";

export interface ApplyCommandOptions {
  readonly config: string;
  readonly autoApprove: boolean;
  readonly output: "text" | "json";
  readonly target: readonly string[];
  readonly adopt: boolean;
  readonly parallelism?: number;
  readonly pollInterval?: number;
  readonly color?: boolean;
  readonly debug: boolean;
}

export async function applyCommand(io: CliIo, options: ApplyCommandOptions, signal: AbortSignal): Promise<number> {
  return withSession(io, options.config, options, async (session) => {
    const planned = await planWithSession(io, session, options, signal);
    const color = useColor(io, options.color);
    const progress = options.output === "json" ? io.stderr : io.stdout;
    progress.write(renderPlanAs(planned.plan, "text", { color, width: io.stdout.columns ?? 100 }));
    if (!planned.plan.applyable) return EXIT.error;
    if (!planned.plan.hasChanges) return EXIT.ok;
    await approve(io, options.autoApprove);
    return execute(io, session, planned, options, signal);
  });
}

async function approve(io: CliIo, autoApprove: boolean): Promise<void> {
  if (autoApprove) return;
  if (!isInteractive(io)) {
    throw new ReformError("USAGE", "refusing to apply without --auto-approve: there is no terminal to confirm on (save the plan with `plan -out FILE` and review it, or pass --auto-approve)");
  }
  if (!(await confirm(io, "\nDo you want to perform these actions?"))) throw new ReformError("ABORTED", "Apply cancelled.");
}

async function execute(io: CliIo, session: Session, planned: PlanResult, options: ApplyCommandOptions, signal: AbortSignal): Promise<number> {
  const color = useColor(io, options.color);
  const live = isInteractive(io) && options.output === "text" && io.env["REFORM_PROGRESS"] !== "plain";
  const addresses = planned.plan.changes.filter((c) => c.steps.length > 0 || c.action === "wait").map((c) => c.address);
  const listr = live ? createListrReporter(addresses) : undefined;
  const progress = options.output === "json" ? io.stderr : io.stdout;
  const reporter: Reporter = listr ?? createPlainReporter((line) => progress.write(line), io.clock);
  const journal = await openFileJournal(session.fleet.journal);
  try {
    const rendering = listr?.run();
    const report = await apply({
      planned,
      adapters: session.adapters,
      clock: io.clock,
      reporter,
      signal,
      journal,
      env: io.env,
      readFile: io.readFile,
      options: {
        ...(options.parallelism ? { parallelism: options.parallelism } : {}),
        ...(options.pollInterval ? { pollIntervalMs: options.pollInterval } : {}),
      },
    });
    await rendering;
    io.stdout.write(renderReportAs(report, options.output, { color }));
    return applySucceeded(report) ? EXIT.ok : EXIT.error;
  } finally {
    await journal.close();
  }
}
