import type { DesiredInstance, InstanceChange, ObservedInstance, ProviderCapabilities } from "../model/index.js";
import { worstImpact } from "../model/index.js";
import { displayRecords } from "./display.js";
import { gatherFacts } from "./facts.js";
import { fingerprintOf } from "./fingerprint.js";
import { guardDecision } from "./guardrails.js";
import { consideredActions } from "./ladder.js";
import { decide } from "./rules.js";

export interface PlanInstanceInput {
  readonly desired: DesiredInstance;
  readonly observed: ObservedInstance;
  /** The desired image, resolved; undefined when `spec.image` is undefined (or could not be resolved: an error). */
  readonly image?: {
    readonly id: string;
    readonly name: string;
    readonly properties: Readonly<Record<string, string>>;
  };
  /** The server's current image, when it could be read: its name for display, its properties to pick a reprovisioning variant. */
  readonly observedImage?: {
    readonly id: string;
    readonly name: string;
    readonly properties?: Readonly<Record<string, string>>;
  };
  readonly capabilities: ProviderCapabilities;
  /** `apply --adopt`: record what cannot be observed as the configuration says. */
  readonly adopt: boolean;
}

/** The pure planner for one server: what differs, what to do about it, and why. */
export function planInstance(input: PlanInstanceInput): InstanceChange {
  const facts = gatherFacts(input);
  const ruled = decide(facts);
  const decision = guardDecision(facts, ruled);
  const { before, after } = displayRecords(facts);
  return {
    address: input.desired.address,
    provider: input.desired.provider,
    id: input.observed.id,
    name: input.observed.name,
    group: input.desired.group,
    action: decision.action,
    impact: worstImpact(decision.steps.map((step) => step.impact)),
    steps: decision.steps,
    fields: facts.fields,
    reasons: decision.reasons,
    considered: consideredActions(facts, ruled),
    ...(decision.blocked === undefined ? {} : { blocked: decision.blocked }),
    unknowns: facts.unknowns,
    fingerprint: fingerprintOf(input.observed),
    before,
    after,
    source: input.desired.source,
  };
}
