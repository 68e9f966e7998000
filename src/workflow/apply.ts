import { applyPlan } from "../apply/apply.js";
import type { ApplyOptions } from "../apply/apply.js";
import type { GateProbe } from "../apply/gate.js";
import type { Journal } from "../apply/journal.js";
import type { ApplyReport } from "../apply/report.js";
import type { FleetScope } from "../config/confine.js";
import { resolveSecret } from "../config/load.js";
import type { Step } from "../model/action.js";
import { isReprovisionStep } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance } from "../model/desired.js";
import { ReformError } from "../model/errors.js";
import type { Reporter } from "../model/events.js";
import type { RealPath } from "../model/real-path.js";
import type { ProviderAdapter, StepInputs } from "../model/provider.js";
import type { PlanResult } from "./plan.js";

export interface ApplyRequest {
  readonly planned: PlanResult;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly reporter: Reporter;
  readonly signal: AbortSignal;
  readonly journal?: Journal;
  /** Where secret references are resolved from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  /** Resolves symbolic links: secret files are read only inside the fleet's root. */
  readonly realPath: RealPath;
  readonly options?: ApplyOptions;
  /** Probes readiness gates (the CLI passes the real TCP/HTTP probe). */
  readonly probeGate?: GateProbe;
  /** Asked when canaries converged under `canaryApproval: manual`. */
  readonly approveCanaries?: (group: string, canaries: readonly InstanceAddress[]) => Promise<boolean>;
}

/** Executes a plan made by `plan()`: rolling, bounded, verified. */
export async function apply(request: ApplyRequest): Promise<ApplyReport> {
  const { planned } = request;
  const scope: FleetScope = { ...planned.root, realPath: request.realPath };
  const resolveInputs = (desired: DesiredInstance, step: Step) => stepInputs(desired, step, { env: request.env, readFile: request.readFile, scope });
  return applyPlan(
    planned.plan,
    planned.desired,
    {
      adapters: request.adapters,
      clock: request.clock,
      reporter: request.reporter,
      signal: request.signal,
      resolveInputs,
      replan: planned.replan,
      ...(request.journal ? { journal: request.journal } : {}),
      ...(request.probeGate ? { probeGate: request.probeGate } : {}),
      ...(request.approveCanaries ? { approveCanaries: request.approveCanaries } : {}),
    },
    request.options,
  );
}

/** user_data content and password for a step: never in the plan, taken from the desired spec when the step runs. */
async function stepInputs(
  desired: DesiredInstance,
  step: Step,
  deps: { env: Readonly<Record<string, string | undefined>>; readFile: (path: string) => Promise<string | Buffer>; scope: FleetScope },
): Promise<StepInputs> {
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
  const password = desired.spec.password
    ? await resolveSecret(desired.spec.password, deps, { what: `password of ${desired.address}`, location: desired.source })
    : undefined;
  return { ...(userData !== undefined ? { userData } : {}), ...(password ? { password } : {}) };
}
