import type { Blocked, ChangePolicy, FieldPath, Impact, Reason, Step } from "../model/index.js";
import { IMPACT_RANK, isExecutable, isReprovisionStep, worstImpact } from "../model/index.js";
import type { Decision } from "./decision.js";
import type { Facts } from "./facts.js";
import type { Need } from "./ladder.js";
import { LADDER, needsOf } from "./ladder.js";

/** A decision after the server's policy: possibly refused (an `error`, with the guardrail that refused it). */
export interface GuardedDecision extends Decision {
  readonly blocked?: Blocked;
}

/** `a` is more disruptive than `b`. */
export function exceeds(a: Impact, b: Impact): boolean {
  return IMPACT_RANK[a] > IMPACT_RANK[b];
}

const NEED_FIELD: Readonly<Record<Exclude<Need, "metadata">, FieldPath>> = {
  image: "image",
  keyPair: "keyPair",
  userData: "userData",
  reboot: "reboot",
  power: "power",
};

/**
 * The server's policy (`maxDisruption`, `protect`, `minDisruption`) over what the rules decided. A change that needs
 * more than the policy allows becomes an `error` naming the server, the field that forces it and the action it would
 * need, and nothing of it is planned. A change that needs less than `minDisruption: reboot` also reboots the server.
 */
export function guardDecision(f: Facts, decision: Decision): GuardedDecision {
  if (!isExecutable(decision.action) || decision.action === "adopt") return decision;
  const policy = f.spec.changePolicy;
  const impact = worstImpact(decision.steps.map((s) => s.impact));
  if (policy.protect && decision.steps.some(isReprovisionStep)) {
    return refuse(f, decision, "protect", `protected by policy protect: true (never reprovisioned)`);
  }
  if (exceeds(impact, policy.maxDisruption)) {
    return refuse(f, decision, "maxDisruption", `over policy maxDisruption: ${policy.maxDisruption}`);
  }
  return exceeds(policy.minDisruption, impact) ? atLeastReboot(f, decision, policy) : decision;
}

function refuse(f: Facts, decision: Decision, by: Blocked["by"], rule: string): GuardedDecision {
  const impact = worstImpact(decision.steps.map((s) => s.impact));
  const forcing = forcingFields(f, impact);
  const what = forcing.length > 0 ? forcing.map(describeField).join(", ") : "the change";
  const message = `${f.address}: ${what} ${forcing.length > 1 ? "need" : "needs"} ${decision.action} (${impact}: ${stepsText(decision.steps)}), ${rule}; nothing of this server is planned`;
  const reasons: Reason[] = [{ ...(forcing[0] === undefined ? {} : { field: forcing[0] }), message }];
  return { action: "error", steps: [], reasons: [...reasons, ...decision.reasons], blocked: { by, message } };
}

/** The changed fields that no rung within `impact`'s cheaper rungs carries: the ones that force it. */
function forcingFields(f: Facts, impact: Impact): FieldPath[] {
  const cheaper = LADDER.filter((r) => exceeds(impact, r.impact)).flatMap((r) => r.carries);
  const needs = needsOf(f).filter(
    (need): need is Exclude<Need, "metadata"> => need !== "metadata" && !cheaper.includes(need),
  );
  return needs.map((need) => NEED_FIELD[need]);
}

function describeField(field: FieldPath): string {
  switch (field) {
    case "keyPair":
      return "key pair";
    case "userData":
      return "user_data";
    case "reboot":
      return "reboot token";
    default:
      return field;
  }
}

function stepsText(steps: readonly Step[]): string {
  return steps.map((s) => s.kind).join(" → ");
}

/** `minDisruption: reboot`: a reboot after the metadata step, when the server runs and the cloud can reboot it. */
function atLeastReboot(f: Facts, decision: Decision, policy: ChangePolicy): Decision {
  const prefix = `policy minDisruption: ${policy.minDisruption}`;
  const note = (message: string): Decision => ({
    ...decision,
    reasons: [...decision.reasons, { message: `${prefix}: ${message}` }],
  });
  if (exceeds("reboot", policy.maxDisruption))
    return note(`policy maxDisruption: ${policy.maxDisruption} forbids a reboot: not rebooted`);
  if (f.inError) return note("the server is in ERROR and reform does not reboot a server in error: not rebooted");
  if (f.wantPower === "stopped") return note("the server is stopped and stays stopped: not rebooted");
  const type = f.spec.reboot?.type ?? "SOFT";
  if (!f.caps.rebootTypes.includes(type)) return note(`the cloud does not support ${type} reboots: not rebooted`);
  const reboot: Step = { kind: "reboot", impact: "reboot", params: { type } };
  const message = `${prefix}: ${type} reboot after the metadata step, so that what reads metadata at boot sees the new values`;
  return {
    action: "reboot",
    steps: [...decision.steps, reboot],
    reasons: [...decision.reasons, { field: "reboot", message }],
  };
}
