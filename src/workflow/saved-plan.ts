import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange } from "../model/change.js";
import type { ObservedInstance } from "../model/observed.js";
import type { Plan } from "../model/plan.js";
import { canonicalJson } from "../model/canonical-json.js";
import { fingerprintOf } from "../plan/fingerprint.js";
import { rolloutDocument } from "../render/plan-document.js";
import type { RolloutPolicy } from "../model/desired.js";

/** Why a saved plan may not be executed now, or undefined when it still holds. */
export type SavedPlanProblem =
  | { readonly kind: "servers-changed"; readonly addresses: readonly InstanceAddress[] }
  | { readonly kind: "steps-differ"; readonly addresses: readonly InstanceAddress[] }
  | { readonly kind: "rollout-differs"; readonly groups: readonly string[] };

/**
 * Checks a saved plan against a fresh plan of the same fleet file, made just now:
 * - every server it acts on must still be the same server (id) with the fingerprint the plan saw;
 * - its actions and steps, parameters included, must be the ones the fresh plan calls for. A plan file edited by
 *   hand (another image id, a HARD reboot for a SOFT one) is refused, and so is one whose image name now resolves
 *   to another image: reform executes only what the reviewed configuration, against the live servers, calls for;
 * - its rollout policies (gates, budgets, pauses, timeouts: apply runs with the document's) must be the fleet file's:
 *   a plan whose gate was deleted by hand is refused.
 */
export function checkSavedPlan(
  saved: Plan,
  fresh: Plan,
  observed: ReadonlyMap<InstanceAddress, ObservedInstance>,
): SavedPlanProblem | undefined {
  const acting = saved.changes.filter((c) => c.steps.length > 0 || c.action === "wait");
  const changed = acting.filter((c) => {
    const live = observed.get(c.address);
    // A different id under the same address: the server was replaced, or the plan was edited by hand.
    return !live || live.id !== c.id || fingerprintOf(live) !== c.fingerprint;
  });
  if (changed.length > 0) return { kind: "servers-changed", addresses: changed.map((c) => c.address) };
  const now = new Map(fresh.changes.map((c) => [c.address, c]));
  const differ = acting.filter((c) => {
    const current = now.get(c.address);
    return !current || stepsKey(current) !== stepsKey(c);
  });
  if (differ.length > 0) return { kind: "steps-differ", addresses: differ.map((c) => c.address) };
  const groups = [...new Set([...Object.keys(saved.rollout), ...Object.keys(fresh.rollout)])].sort();
  const wire = (policy: RolloutPolicy | undefined) => canonicalJson(policy ? rolloutDocument(policy) : null);
  const edited = groups.filter((g) => wire(saved.rollout[g]) !== wire(fresh.rollout[g]));
  return edited.length > 0 ? { kind: "rollout-differs", groups: edited } : undefined;
}

/** The action and its steps, parameters included, as canonical text: what apply would run for the change. */
function stepsKey(change: InstanceChange): string {
  return canonicalJson({ action: change.action, steps: change.steps });
}

export function describeSavedPlanProblem(problem: SavedPlanProblem): string {
  if (problem.kind === "rollout-differs") {
    const which = problem.groups.length === 1 ? "group" : "groups";
    return `the plan's rollout policy differs from the fleet file's for ${which} ${problem.groups.join(", ")} (the plan file was edited); run plan again`;
  }
  const names = problem.addresses.join(", ");
  const which = problem.addresses.length === 1 ? "this server" : "these servers";
  return problem.kind === "servers-changed"
    ? `the plan is stale: ${which} changed since it was made: ${names}; run plan again`
    : `the plan does not match what the fleet file calls for now on ${which}: ${names} (the plan file was edited, or an image name now resolves to another image); run plan again`;
}
