import type { ConsideredAction, Impact, ProviderCapabilities, Reason } from "../model/index.js";
import { isReprovisionStep } from "../model/index.js";
import type { Decision } from "./decision.js";
import type { Facts } from "./facts.js";
import { metadataDiffers } from "./metadata-target.js";

/** What a server's change asks for, one word per kind of field. */
export type Need = "metadata" | "reboot" | "power" | "keyPair" | "userData" | "image";

/** The rungs of actions, cheapest first. */
export type Rung = "metadata" | "in-place" | "same-image" | "new-image";

interface RungRule {
  readonly rung: Rung;
  readonly impact: Impact;
  /** What the rung's steps can change. */
  readonly carries: readonly Need[];
}

/**
 * The action ladder, cheapest first: what each rung's steps can change. The planner's rules read it (a change needs
 * reprovisioning when the in-place rung cannot carry it) and so do the explanations of every planned server (each
 * cheaper rung, and what it cannot carry).
 */
export const LADDER: readonly RungRule[] = [
  { rung: "metadata", impact: "none", carries: ["metadata"] },
  { rung: "in-place", impact: "reboot", carries: ["metadata", "reboot", "power"] },
  { rung: "same-image", impact: "reprovision", carries: ["metadata", "reboot", "power", "keyPair", "userData"] },
  {
    rung: "new-image",
    impact: "reprovision",
    carries: ["metadata", "reboot", "power", "keyPair", "userData", "image"],
  },
];

/** Each need in words, for `update-metadata: cannot carry user_data`. */
const NOUN: Readonly<Record<Need, string>> = {
  image: "the image",
  keyPair: "the key pair",
  userData: "user_data",
  reboot: "a reboot (the reboot token changed)",
  power: "a start or stop",
  metadata: "metadata",
};

/** Why a rung cannot do the job, from what it cannot carry: a rung that keeps the image says so. */
function cannotCarry(rung: Rung, needs: readonly Need[]): string {
  if (rung === "same-image" && needs.includes("image")) return "keeps the image, and the image changes";
  const nouns = needs.map((need) => NOUN[need]);
  const list =
    nouns.length > 1 ? `${nouns.slice(0, -1).join(", ")} or ${nouns[nouns.length - 1] ?? ""}` : (nouns[0] ?? "");
  return `cannot carry ${list}`;
}

/** What the server's change asks for (policy-ignored user_data and unknowns ask for nothing). */
export function needsOf(f: Facts): Need[] {
  const needs: Need[] = [];
  if (f.imageChanged) needs.push("image");
  if (f.keyPairChanged) needs.push("keyPair");
  if (f.userDataChanged) needs.push("userData");
  if (f.rebootPending) needs.push("reboot");
  if (f.powerChanged) needs.push("power");
  if (metadataDiffers(f)) needs.push("metadata");
  return needs;
}

function rule(rung: Rung): RungRule {
  return LADDER.find((r) => r.rung === rung) as RungRule;
}

/** What `rung` cannot carry of `needs`. */
export function uncarried(rung: Rung, needs: readonly Need[]): Need[] {
  const carries = rule(rung).carries;
  return needs.filter((need) => !carries.includes(need));
}

/** The change needs reprovisioning: the in-place rung cannot carry all of it. */
export function needsReprovisioning(f: Facts): boolean {
  return uncarried("in-place", needsOf(f)).length > 0;
}

/** The rung a decision's steps stand on. */
function rungOf(decision: Decision, f: Facts): Rung | undefined {
  if (decision.steps.some(isReprovisionStep)) return f.imageChanged ? "new-image" : "same-image";
  if (decision.steps.length === 0) return undefined;
  return decision.steps.some((s) => s.impact === "reboot") ? "in-place" : "metadata";
}

/** The cheapest rung that carries every need: what the change asks for, whatever the cloud can do. */
function neededRung(needs: readonly Need[]): Rung {
  return (LADDER.find((r) => uncarried(r.rung, needs).length === 0) ?? rule("new-image")).rung;
}

/** How a rung is named for this cloud. */
function rungName(rung: Rung, caps: ProviderCapabilities): string {
  switch (rung) {
    case "metadata":
      return "update-metadata";
    case "in-place":
      return "reboot";
    case "same-image":
      return caps.sameImageStep === null
        ? "reprovisioning with the same image"
        : caps.sameImageStep === caps.imageChangeStep
          ? `${caps.sameImageStep} with the same image`
          : caps.sameImageStep;
    case "new-image":
      return caps.imageChangeStep;
  }
}

/** Why the cloud cannot take this rung at all, when it cannot. */
function unavailable(rung: Rung, caps: ProviderCapabilities): string | undefined {
  if (rung === "metadata" && !caps.metadataUpdate)
    return `the cloud cannot change metadata in place (${caps.description})`;
  if (rung === "same-image" && caps.sameImageStep === null)
    return `the cloud has no step that reprovisions a server with its current image (${caps.description})`;
  return undefined;
}

/**
 * The cheaper actions considered for a server and why each cannot do the job, cheapest first: every rung below the
 * one its steps stand on, or (a change that cannot be made) below and at the rung the change needs, with the
 * planner's own reasons for that one.
 */
export function consideredActions(f: Facts, decision: Decision): ConsideredAction[] {
  const needs = needsOf(f);
  // A busy server is planned again once it settles: nothing was chosen to explain.
  if (needs.length === 0 || decision.action === "wait") return [];
  const chosen = rungOf(decision, f);
  const needed = neededRung(needs);
  const stop = chosen ?? needed;
  const considered: ConsideredAction[] = [];
  for (const { rung, impact } of LADDER) {
    if (rung === stop) break;
    const name = rungName(rung, f.caps);
    const missing = uncarried(rung, needs);
    const cannot = missing.length > 0 ? cannotCarry(rung, missing) : unavailable(rung, f.caps);
    if (cannot !== undefined) considered.push({ action: name, impact, why: cannot });
  }
  if (chosen === undefined && decision.action === "unsupported") {
    const why = refusals(decision.reasons, f.address);
    if (why !== "") considered.push({ action: rungName(needed, f.caps), impact: rule(needed).impact, why });
  }
  return considered;
}

/** The planner's refusal messages, without the server's address they start with. */
function refusals(reasons: readonly Reason[], address: string): string {
  return reasons
    .map((r) => (r.message.startsWith(`${address}: `) ? r.message.slice(address.length + 2) : r.message))
    .join("; ");
}
