import { resolve } from "node:path";
import { ReformError } from "../../model/errors.js";
import type { Plan } from "../../model/plan.js";
import { savePlanFile } from "../../workflow/save-plan.js";
import { plan } from "../../workflow/plan.js";
import type { PlanResult } from "../../workflow/plan.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { useColor } from "../io.js";
import { guardrailRefusals, renderPlanAs } from "../render.js";
import type { OutputFormat } from "../render.js";
import { listed, withSession } from "../session.js";
import type { Session } from "../session.js";

export interface PlanCommandOptions {
  readonly config: string;
  readonly output: OutputFormat;
  readonly detailedExitcode: boolean;
  readonly out?: string;
  readonly target: readonly string[];
  readonly adopt: boolean;
  /** `--apply-secret env:NAME|file:PATH`: references only the apply job provides (with REFORM_APPLY_SECRETS). @default none */
  readonly applySecret?: readonly string[];
  /** `--max-reprovisions N`: over the fleet file's `limits.reprovision`. @default the fleet file's */
  readonly maxReprovisions?: number;
  /** `-v`: the cheaper actions considered for each server, and why not. @default false */
  readonly verbose?: boolean;
  readonly color?: boolean;
  readonly debug: boolean;
}

export async function planCommand(io: CliIo, options: PlanCommandOptions, signal: AbortSignal): Promise<number> {
  return withSession(io, options.config, options, async (session) => {
    const providedAtApply = secretReferences(listed(io.env, "REFORM_APPLY_SECRETS", options.applySecret ?? []));
    const result = await planWithSession(io, session, { ...options, checkInputs: true, providedAtApply }, signal);
    io.stdout.write(
      renderPlanAs(result.plan, options.output, {
        color: useColor(io, options.color),
        width: io.stdout.columns ?? 100,
        verbose: options.verbose ?? false,
      }),
    );
    if (options.out) await savePlanFile(resolve(io.cwd, options.out), result.plan);
    writeRefusals(io, result.plan);
    return planExitCode(result.plan, options.detailedExitcode);
  });
}

/**
 * Plans with the session's fleet and clouds. With `checkInputs` (plan, and apply without a saved plan), a server whose
 * steps need a secret this environment lacks is an `error` in the plan; a saved plan's servers are checked by apply
 * itself, each just before its first step. What selected nothing (a `--target` that matches no server) is a warning
 * on stderr.
 */
export async function planWithSession(
  io: CliIo,
  session: Session,
  options: {
    target: readonly string[];
    adopt: boolean;
    checkInputs: boolean;
    providedAtApply?: readonly string[];
    maxReprovisions?: number;
  },
  signal: AbortSignal,
): Promise<PlanResult> {
  const inputs = options.checkInputs
    ? {
        inputs: {
          env: io.env,
          readFile: io.readFile,
          realPath: io.realPath,
          providedAtApply: options.providedAtApply ?? [],
        },
      }
    : {};
  const limit = options.maxReprovisions === undefined ? {} : { maxReprovisions: options.maxReprovisions };
  const result = await plan({
    fleet: session.fleet,
    adapters: session.adapters,
    clock: io.clock,
    signal,
    adopt: options.adopt,
    targets: options.target,
    ...inputs,
    ...limit,
  });
  warnAll(io, result.warnings);
  return result;
}

/** `env:NAME` or `file:PATH`, as the plan document names secret references; anything else is a usage error. */
function secretReferences(refs: readonly string[]): string[] {
  const wrong = refs.filter((ref) => !/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(ref) && !/^file:.+$/.test(ref));
  if (wrong.length > 0)
    throw new ReformError(
      "USAGE",
      `--apply-secret / REFORM_APPLY_SECRETS: ${wrong.map((w) => `'${w}'`).join(", ")} is not a secret reference (env:NAME or file:PATH)`,
    );
  return [...refs];
}

/** Guardrail refusals on stderr, one `Error:` line each (the plan itself went to stdout). */
export function writeRefusals(io: CliIo, planned: Plan): void {
  for (const message of guardrailRefusals(planned)) io.stderr.write(`Error: ${message}\n`);
}

export function warnAll(io: CliIo, warnings: readonly string[]): void {
  for (const warning of warnings) io.stderr.write(`Warning: ${warning}\n`);
}

export function planExitCode(result: Plan, detailed: boolean): number {
  if (!result.applyable) return EXIT.error;
  if (!detailed) return EXIT.ok;
  return result.changes.some((c) => c.action !== "no-op") ? EXIT.changes : EXIT.ok;
}
