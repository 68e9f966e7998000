import { resolveSecret } from "../config/load.js";
import type { Step } from "../model/action.js";
import type { ReprovisionStep } from "../model/action.js";
import { isReprovisionStep } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange, Reason } from "../model/change.js";
import type { DesiredInstance, FleetRoot } from "../model/desired.js";
import { ReformError, describeError } from "../model/errors.js";
import type { StepInputs } from "../model/provider.js";
import type { RealPath } from "../model/real-path.js";
import type { Secret } from "../model/secret.js";
import { describeSecretRef } from "../model/secret.js";

/** Where secret references are resolved from: the environment, and files inside the fleet's root. */
export interface InputSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  /** Resolves symbolic links: secret files are read only inside the fleet's root. */
  readonly realPath: RealPath;
}

/** The plan-time check's sources: where secrets are looked up, and the references the apply job provides instead. */
export interface PlanInputSources extends InputSources {
  /**
   * Secret references the apply job provides, as `env:NAME` or `file:PATH` (a plan job that, by design, holds no
   * secret of the apply job): counted as there, never looked up. Any other reference is checked. @default none
   */
  readonly providedAtApply?: readonly string[];
}

/**
 * user_data content and password for a step: never in the plan, taken from the desired spec when the step runs.
 * Throws a ConfigError naming the server, the field and the variable or file (never the value), or PLAN_STALE.
 */
export async function stepInputs(
  desired: DesiredInstance,
  step: Step,
  sources: InputSources,
  root: FleetRoot,
): Promise<StepInputs> {
  if (!isReprovisionStep(step)) return {};
  const userData = stepUserData(desired, step);
  const password = await stepPassword(desired, step, sources, root);
  return { ...(userData !== undefined ? { userData } : {}), ...(password ? { password } : {}) };
}

/** The user_data content the step sends (null: removed; undefined: not sent), which must be the one planned. */
function stepUserData(desired: DesiredInstance, step: ReprovisionStep): string | null | undefined {
  const wanted = step.params.userDataSha256;
  if (wanted === null || wanted === undefined) return wanted;
  const spec = desired.spec.userData;
  if (!spec || spec.sha256 !== wanted) {
    throw new ReformError(
      "PLAN_STALE",
      `${desired.address}: user_data in the configuration no longer matches the plan; run plan again`,
    );
  }
  return spec.content;
}

/** The declared password, resolved: a reprovisioning step sends it whenever the fleet file declares one. */
async function stepPassword(
  desired: DesiredInstance,
  step: ReprovisionStep,
  sources: InputSources,
  root: FleetRoot,
): Promise<Secret | undefined> {
  if (!desired.spec.password) return undefined;
  const deps = { env: sources.env, readFile: sources.readFile, scope: { ...root, realPath: sources.realPath } };
  return resolveSecret(desired.spec.password, deps, {
    what: `spec.password of ${desired.address}, needed by its ${step.kind}`,
    location: desired.source,
  });
}

/**
 * The plan-time preflight: resolves what each planned change's steps will need (user_data, secret references not
 * provided at apply), keeps no value, and returns per server the problems found, one reason each, in the words
 * apply would fail with.
 */
export async function checkStepInputs(
  changes: readonly InstanceChange[],
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
  sources: PlanInputSources,
  root: FleetRoot,
): Promise<Map<InstanceAddress, Reason[]>> {
  const problems = new Map<InstanceAddress, Reason[]>();
  for (const change of changes) {
    const want = desired.get(change.address);
    if (!want) continue;
    const ref = want.spec.password;
    const providedAtApply = ref !== undefined && (sources.providedAtApply ?? []).includes(describeSecretRef(ref));
    const messages = new Set<string>();
    for (const step of change.steps.filter(isReprovisionStep)) {
      try {
        stepUserData(want, step);
        if (!providedAtApply) await stepPassword(want, step, sources, root);
      } catch (error) {
        messages.add(describeError(error));
      }
    }
    if (messages.size > 0)
      problems.set(
        change.address,
        [...messages].map((message) => ({ message })),
      );
  }
  return problems;
}
