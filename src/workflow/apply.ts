import { applyPlan } from "../apply/apply.js";
import type { ApplyOptions } from "../apply/apply.js";
import type { GateProbe } from "../apply/gate.js";
import type { Journal } from "../apply/journal.js";
import type { ApplyReport } from "../model/report.js";
import type { Step } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { Clock } from "../model/clock.js";
import type { DesiredInstance } from "../model/desired.js";
import type { Reporter } from "../model/events.js";
import type { RealPath } from "../model/real-path.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { PlanResult } from "./plan.js";
import { stepInputs } from "./step-inputs.js";

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

/**
 * Executes a plan made by `plan()`: rolling, bounded, verified. Before a server's first step, everything its steps
 * need (secrets, user_data) is resolved from `env` and files; a server whose inputs cannot be resolved fails untouched.
 */
export async function apply(request: ApplyRequest): Promise<ApplyReport> {
  const { planned } = request;
  const sources = { env: request.env, readFile: request.readFile, realPath: request.realPath };
  const resolveInputs = (desired: DesiredInstance, step: Step) => stepInputs(desired, step, sources, planned.root);
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
