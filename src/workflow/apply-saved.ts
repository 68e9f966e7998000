import type { ApplyReport } from "../model/report.js";
import type { Clock } from "../model/clock.js";
import type { DesiredFleet } from "../model/desired.js";
import { ReformError } from "../model/errors.js";
import { REDACTED } from "../model/secret.js";
import type { Plan } from "../model/plan.js";
import { describeOverLimit, overLimit } from "../model/plan.js";
import type { ProviderAdapter } from "../model/provider.js";
import type { ApplyRequest } from "./apply.js";
import { apply } from "./apply.js";
import { limitPlan } from "../plan/plan-fleet.js";
import { parsePlanDocument } from "./plan-file.js";
import type { PlanResult } from "./plan.js";
import { plan } from "./plan.js";
import { checkSavedPlan, describeSavedPlanProblem } from "./saved-plan.js";

export interface SavedPlanCheckRequest {
  /** The saved plan (`readPlanFile`, `parsePlanDocument`). */
  readonly saved: Plan;
  /** The fleet file the plan was made from, loaded again (its path is the plan's `config.file`). */
  readonly fleet: DesiredFleet;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** `--max-reprovisions N`: over the limit the plan recorded. @default the recorded limit, else the fleet file's */
  readonly maxReprovisions?: number;
}

/**
 * A saved plan made ready to apply, if nothing moved under it: the fleet file must have the content the plan was
 * made from, and a fresh plan of it, made now, must find every server the saved plan acts on unchanged (id and
 * fingerprint: changes made outside reform count too), call for the same steps and carry the same rollout policies.
 * The result runs the saved plan: its changes and its rollout (gates, budgets, timeouts), with the fresh desired
 * state for what steps resolve at apply (secrets, user_data) and for servers planned again after a wait. The one
 * thing the document holds only as a marker, a gate URL's user and password, comes from the fleet file, whose
 * policies were just found equal to the document's.
 * Throws ReformError PLAN_STALE naming what moved.
 */
export async function prepareSavedPlan(request: SavedPlanCheckRequest): Promise<PlanResult> {
  const { saved, fleet } = request;
  if (fleet.sha256 !== saved.configSha256) {
    throw new ReformError(
      "PLAN_STALE",
      `the plan is stale: ${fleet.file} changed since the plan was made; run plan again`,
    );
  }
  const measured = measureSavedPlan(saved, fleet, request.maxReprovisions);
  const fresh = await plan({ fleet, adapters: request.adapters, clock: request.clock, signal: request.signal });
  const problem = checkSavedPlan(measured, fresh.plan, fresh.observed);
  if (problem) throw new ReformError("PLAN_STALE", describeSavedPlanProblem(problem));
  return { ...fresh, plan: { ...measured, rollout: withGateCredentials(measured.rollout, fresh.plan.rollout) } };
}

/**
 * A saved plan measured again, from its own changes, against `maxReprovisions`, else the reprovision limit it
 * recorded, else the fleet file's `limits.reprovision` (a plan whose record was removed by hand). Throws PLAN_REFUSED
 * with the count, the limit and the servers when it goes over, even when its `applyable` was edited by hand.
 */
export function measureSavedPlan(saved: Plan, fleet: DesiredFleet, maxReprovisions: number | undefined): Plan {
  const inFleet = fleet.limits?.reprovision;
  const fromFleet = inFleet === undefined ? undefined : { limit: inFleet, source: "fleet file" as const };
  const setting =
    maxReprovisions !== undefined
      ? { limit: maxReprovisions, source: "--max-reprovisions" as const }
      : (saved.limits?.reprovision ?? fromFleet);
  const measured = setting === undefined ? saved : limitPlan(saved, setting);
  const limit = measured.limits?.reprovision;
  if (limit !== undefined && overLimit(limit)) {
    const addresses = measured.changes.filter((c) => c.impact === "reprovision").map((c) => c.address);
    throw new ReformError("PLAN_REFUSED", `${describeOverLimit(limit, addresses)}; nothing was changed`);
  }
  return measured;
}

/** The saved policies, each gate whose URL logs in (shown as a marker in the document) taken from the fleet file's. */
function withGateCredentials(saved: Plan["rollout"], fleet: Plan["rollout"]): Plan["rollout"] {
  return Object.fromEntries(
    Object.entries(saved).map(([group, policy]) => {
      const gate = fleet[group]?.gate;
      return [
        group,
        policy.gate?.type === "http" && policy.gate.url.includes(`${REDACTED}@`) && gate ? { ...policy, gate } : policy,
      ];
    }),
  );
}

export interface SavedPlanApplyRequest extends Omit<ApplyRequest, "planned"> {
  /** The plan document as parsed JSON (what `reform plan --out FILE` wrote); checked against the schema and version. */
  readonly document: unknown;
  /** Where the document came from, for errors. @default "the plan" */
  readonly source?: string;
  /** The fleet file the plan was made from, loaded again. */
  readonly fleet: DesiredFleet;
  /** Most servers the plan may reprovision, over the limit it recorded. @default the recorded limit, else the fleet file's */
  readonly maxReprovisions?: number;
}

/**
 * `reform apply PLANFILE` as a function: applies a saved plan document with the checks of `prepareSavedPlan`.
 * Throws PLAN_INVALID for a document of another format_version, one that does not match the schema, or a plan with
 * errors (never applied); PLAN_STALE when something moved since it was made. Nothing is sent to a cloud before
 * every check has passed.
 */
export async function applySavedPlan(request: SavedPlanApplyRequest): Promise<ApplyReport> {
  const { document, source, fleet, ...rest } = request;
  const { plan: parsed } = parsePlanDocument(document, source ?? "the plan");
  const saved = measureSavedPlan(parsed, fleet, rest.maxReprovisions);
  if (!saved.applyable) {
    const errors = saved.changes.filter((c) => c.action === "error").map((c) => c.address);
    throw new ReformError(
      "PLAN_INVALID",
      `${source ?? "the plan"} has errors and is never applied (${errors.join(", ")}); fix the fleet file and plan again`,
    );
  }
  const planned = await prepareSavedPlan({
    saved,
    fleet,
    adapters: rest.adapters,
    clock: rest.clock,
    signal: rest.signal,
  });
  return apply({ ...rest, planned });
}
