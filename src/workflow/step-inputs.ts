import { resolveSecret } from "../config/load.js";
import type { Step } from "../model/action.js";
import { isReprovisionStep } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange, Reason } from "../model/change.js";
import type { DesiredInstance, FleetRoot } from "../model/desired.js";
import { ReformError, describeError } from "../model/errors.js";
import type { StepInputs } from "../model/provider.js";
import type { RealPath } from "../model/real-path.js";

/** Where secret references are resolved from: the environment, and files inside the fleet's root. */
export interface InputSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  /** Resolves symbolic links: secret files are read only inside the fleet's root. */
  readonly realPath: RealPath;
}

/**
 * user_data content and password for a step: never in the plan, taken from the desired spec when the step runs.
 * Throws a ConfigError naming the server, the field and the variable or file (never the value), or PLAN_STALE.
 */
export async function stepInputs(desired: DesiredInstance, step: Step, sources: InputSources, root: FleetRoot): Promise<StepInputs> {
  if (!isReprovisionStep(step)) return {};
  const wanted = step.params.userDataSha256;
  let userData: string | null | undefined;
  if (wanted === null) userData = null;
  else if (wanted !== undefined) {
    const spec = desired.spec.userData;
    if (!spec || spec.sha256 !== wanted) {
      throw new ReformError("PLAN_STALE", `${desired.address}: user_data in the configuration no longer matches the plan; run plan again`);
    }
    userData = spec.content;
  }
  const deps = { env: sources.env, readFile: sources.readFile, scope: { ...root, realPath: sources.realPath } };
  const context = { what: `spec.password of ${desired.address}, needed by its ${step.kind}`, location: desired.source };
  const password = desired.spec.password ? await resolveSecret(desired.spec.password, deps, context) : undefined;
  return { ...(userData !== undefined ? { userData } : {}), ...(password ? { password } : {}) };
}

/**
 * The plan-time preflight: resolves what each planned change's steps will need (secret references, user_data), keeps
 * no value, and returns per server the problems found, one reason each, in the words apply would fail with.
 */
export async function checkStepInputs(
  changes: readonly InstanceChange[],
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
  sources: InputSources,
  root: FleetRoot,
): Promise<Map<InstanceAddress, Reason[]>> {
  const problems = new Map<InstanceAddress, Reason[]>();
  for (const change of changes) {
    const want = desired.get(change.address);
    if (!want) continue;
    const messages = new Set<string>();
    for (const step of change.steps) {
      await stepInputs(want, step, sources, root).catch((error: unknown) => messages.add(describeError(error)));
    }
    if (messages.size > 0) problems.set(change.address, [...messages].map((message) => ({ message })));
  }
  return problems;
}
