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
import type { ReprovisionLimitSetting } from "../plan/limits.js";
import { limitCount } from "../plan/limits.js";
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
  /** `--max-reprovisions N` given to apply: over every other limit. @default the stricter of the recorded limit and the fleet file's */
  readonly maxReprovisions?: number;
}

/**
 * A saved plan made ready to apply, if nothing moved under it: the fleet file must have the content the plan was
 * made from, the plan must be within its reprovision limit (`measureSavedPlan`), and a fresh plan of the fleet file,
 * made now, must find every server the saved plan acts on unchanged (id and fingerprint: changes made outside reform
 * count too), call for the same steps and carry the same rollout policies; that fresh plan must be applyable too
 * (no error on a server of the saved plan, within the same limit), so an error change edited away is refused.
 * The result runs the saved plan: its changes and its rollout (gates, budgets, timeouts), with the fresh desired
 * state for what steps resolve at apply (secrets, user_data) and for servers planned again after a wait. The one
 * thing the document holds only as a marker, a gate URL's user and password, comes from the fleet file, whose
 * policies were just found equal to the document's. A saved plan that is not applyable (`applyable` computed again
 * from its changes) is returned as it is, for the caller to show and refuse.
 * Throws ReformError PLAN_STALE naming what moved, PLAN_REFUSED over the limit, PLAN_INVALID when the fresh plan
 * has errors.
 */
export async function prepareSavedPlan(request: SavedPlanCheckRequest): Promise<PlanResult> {
  return prepareMeasured(measureSavedPlan(request.saved, request.fleet, request.maxReprovisions), request);
}

async function prepareMeasured(measured: Plan, request: Omit<SavedPlanCheckRequest, "saved">): Promise<PlanResult> {
  const { fleet } = request;
  const fresh = await plan({ fleet, adapters: request.adapters, clock: request.clock, signal: request.signal });
  if (measured.applyable) refuseUnlessApplyable(measured, fresh.plan, fleet.file);
  const problem = checkSavedPlan(measured, fresh.plan, fresh.observed);
  if (problem) throw new ReformError("PLAN_STALE", describeSavedPlanProblem(problem));
  return { ...fresh, plan: { ...measured, rollout: withGateCredentials(measured.rollout, fresh.plan.rollout) } };
}

/**
 * The fresh plan of the servers the saved plan covers, measured against the saved plan's limit: refused when one of
 * them is an error now, or when they reprovision more than the limit (the saved impacts could have been edited).
 */
function refuseUnlessApplyable(saved: Plan, fresh: Plan, file: string): void {
  const covered = new Set(saved.changes.map((c) => c.address));
  const recorded = saved.limits?.reprovision;
  const setting = recorded === undefined ? undefined : { limit: recorded.limit, source: recorded.source };
  const now = limitPlan({ ...fresh, changes: fresh.changes.filter((c) => covered.has(c.address)) }, setting);
  const errors = now.changes.filter((c) => c.action === "error").map((c) => c.address);
  if (errors.length > 0) {
    throw new ReformError(
      "PLAN_INVALID",
      `a fresh plan of ${file} has errors on ${errors.join(", ")}, so the saved plan is never applied (was it edited?); fix the fleet file and plan again`,
    );
  }
  const limit = now.limits?.reprovision;
  if (limit !== undefined && overLimit(limit)) {
    const addresses = now.changes.filter((c) => c.impact === "reprovision").map((c) => c.address);
    throw new ReformError("PLAN_REFUSED", `a fresh plan: ${describeOverLimit(limit, addresses)}; nothing was changed`);
  }
}

/**
 * A saved plan measured again, from its own changes (`applyable` is computed again, never taken from the document),
 * against the limit `savedPlanLimit` picks. Throws PLAN_STALE when the fleet file changed since the plan was made,
 * and PLAN_REFUSED with the count, the limit and the servers when the plan goes over the limit.
 */
export function measureSavedPlan(saved: Plan, fleet: DesiredFleet, maxReprovisions: number | undefined): Plan {
  if (fleet.sha256 !== saved.configSha256) {
    throw new ReformError(
      "PLAN_STALE",
      `the plan is stale: ${fleet.file} changed since the plan was made; run plan again`,
    );
  }
  const measured = limitPlan(saved, savedPlanLimit(saved, fleet, maxReprovisions));
  const limit = measured.limits?.reprovision;
  if (limit !== undefined && overLimit(limit)) {
    const addresses = measured.changes.filter((c) => c.impact === "reprovision").map((c) => c.address);
    throw new ReformError("PLAN_REFUSED", `${describeOverLimit(limit, addresses)}; nothing was changed`);
  }
  return measured;
}

/**
 * The reprovision limit `apply PLANFILE` holds a saved plan to: `--max-reprovisions` given to apply itself; else the
 * stricter of the limit the plan recorded and the fleet file's `limits.reprovision` (so a limit raised with
 * `plan --max-reprovisions`, or edited in the document, must be given to apply again). A recorded fleet-file limit
 * that is not the file's is refused as PLAN_STALE (the document was edited: the file itself is pinned by its digest).
 */
export function savedPlanLimit(
  saved: Plan,
  fleet: DesiredFleet,
  maxReprovisions: number | undefined,
): ReprovisionLimitSetting | undefined {
  if (maxReprovisions !== undefined) return { limit: maxReprovisions, source: "--max-reprovisions" };
  const recorded = saved.limits?.reprovision;
  const inFleet = fleet.limits?.reprovision;
  if (recorded?.source === "fleet file" && recorded.limit !== inFleet) {
    throw new ReformError(
      "PLAN_STALE",
      `the plan records limits.reprovision ${String(recorded.limit)}, but ${fleet.file} has ${inFleet === undefined ? "none" : String(inFleet)} (the plan file was edited); run plan again`,
    );
  }
  const fromFleet: ReprovisionLimitSetting | undefined =
    inFleet === undefined ? undefined : { limit: inFleet, source: "fleet file" };
  const fromPlan: ReprovisionLimitSetting | undefined =
    recorded === undefined ? undefined : { limit: recorded.limit, source: recorded.source };
  if (fromPlan === undefined || fromFleet === undefined) return fromPlan ?? fromFleet;
  const targeted = saved.changes.length;
  return limitCount(fromPlan.limit, targeted) < limitCount(fromFleet.limit, targeted) ? fromPlan : fromFleet;
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
  /** Most servers the plan may reprovision, over every other limit. @default the stricter of the recorded limit and the fleet file's */
  readonly maxReprovisions?: number;
}

/**
 * `reform apply PLANFILE` as a function: applies a saved plan document with the checks of `prepareSavedPlan`.
 * Throws PLAN_INVALID for a document of another format_version, one that does not match the schema, or a plan with
 * errors (never applied); PLAN_STALE when something moved since it was made. Nothing is sent to a cloud before
 * every check has passed.
 */
export async function applySavedPlan(request: SavedPlanApplyRequest): Promise<ApplyReport> {
  const { document, source, fleet, maxReprovisions, ...rest } = request;
  const { plan: parsed } = parsePlanDocument(document, source ?? "the plan");
  const saved = measureSavedPlan(parsed, fleet, maxReprovisions);
  if (!saved.applyable) {
    const errors = saved.changes.filter((c) => c.action === "error").map((c) => c.address);
    throw new ReformError(
      "PLAN_INVALID",
      `${source ?? "the plan"} has errors and is never applied (${errors.join(", ")}); fix the fleet file and plan again`,
    );
  }
  const planned = await prepareMeasured(saved, {
    fleet,
    adapters: rest.adapters,
    clock: rest.clock,
    signal: rest.signal,
  });
  return apply({ ...rest, planned });
}
