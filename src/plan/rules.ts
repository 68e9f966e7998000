import type { Reason } from "../model/index.js";
import { isBusy } from "../model/index.js";
import type { Decision } from "./decision.js";
import { unsupported } from "./decision.js";
import type { Facts } from "./facts.js";
import { hasInPlaceChange, planInPlace } from "./in-place.js";
import { needsReprovisioning } from "./ladder.js";
import { appliedSha256Of } from "./fingerprint.js";
import { finalAnnotations, metadataDiffers, metadataTarget } from "./metadata-target.js";
import { planReprovision } from "./reprovision.js";
import { faultText } from "./wording.js";

interface Rule {
  readonly name: string;
  readonly when: (f: Facts) => boolean;
  readonly then: (f: Facts) => Decision;
}

/**
 * The action table: the first rule that applies decides, and every decision carries its reason.
 * Capabilities are data: no rule looks at which cloud this is.
 */
export const RULES: readonly Rule[] = [
  { name: "busy: wait, never a second action", when: (f) => isBusy(f.observed), then: wait },
  {
    name: "refused by policy or by the cloud's limits",
    when: (f) => f.errors.length > 0,
    then: (f) => ({ action: "error", steps: [], reasons: f.errors }),
  },
  {
    name: "a change the in-place steps cannot carry (image, key pair, user_data): reprovision",
    when: needsReprovisioning,
    then: (f) => planReprovision(f, "change"),
  },
  {
    name: "in error with a managed image: repair by reprovisioning",
    when: (f) => f.inError && f.spec.image !== undefined,
    then: repair,
  },
  {
    name: "in error: no reboot or power action",
    when: (f) => f.inError && (f.rebootPending || f.powerChanged),
    then: errorPower,
  },
  {
    name: "in error: metadata only where the cloud allows",
    when: (f) => f.inError && !f.caps.metadataUpdateInError && (metadataDiffers(f) || adoptable(f)),
    then: errorMetadata,
  },
  { name: "reboot, power or metadata: in place", when: hasInPlaceChange, then: planInPlace },
  { name: "adopt: record what cannot be observed", when: adoptable, then: adopt },
];

/** The first applicable rule's decision; none applies: nothing to do. Notes (ignored by policy) are added to any decision. */
export function decide(f: Facts): Decision {
  const rule = RULES.find((r) => r.when(f));
  const decision = rule === undefined ? noOp(f) : rule.then(f);
  return { ...decision, reasons: [...decision.reasons, ...f.notes] };
}

function adoptable(f: Facts): boolean {
  return f.input.adopt && (f.userDataUnknown || f.rebootUnknown || noBaseline(f));
}

/** A settled server without the digest of what reform applied (or with another one): drift has nothing to compare with. */
function noBaseline(f: Facts): boolean {
  return !f.inError && f.observed.annotations.appliedSha256 !== appliedSha256Of(f.spec, f.imageId);
}

function wait(f: Facts): Decision {
  const task = f.observed.task === null ? "" : ` (task ${f.observed.task})`;
  return {
    action: "wait",
    steps: [],
    reasons: [{ field: "status", message: `server is ${f.observed.rawStatus}${task}: waiting, not acting twice` }],
  };
}

function repair(f: Facts): Decision {
  if (f.caps.reprovisionInError) return planReprovision(f, "repair");
  return unsupported([
    {
      field: "status",
      message: `${f.address}: server is in ERROR (${faultText(f.observed)}) and the cloud cannot rebuild it`,
    },
  ]);
}

function errorPower(f: Facts): Decision {
  const what = f.rebootPending ? "reboot" : "power change";
  const message = `${f.address}: server is in ERROR (${faultText(f.observed)}): reform does not ${what === "reboot" ? "reboot" : "start or stop"} a server in error; manage its image (spec.image) so reform can rebuild it`;
  return unsupported([{ field: f.rebootPending ? "reboot" : "power", message }]);
}

function errorMetadata(f: Facts): Decision {
  return unsupported([
    {
      field: "status",
      message: `${f.address}: server is in ERROR (${faultText(f.observed)}) and the cloud does not change metadata of a server in error (${f.caps.description})`,
    },
  ]);
}

function adopt(f: Facts): Decision {
  if (!f.caps.metadataUpdate) {
    return unsupported([
      {
        message: `${f.address}: the cloud cannot change metadata in place, so annotations cannot be recorded (${f.caps.description})`,
      },
    ]);
  }
  const target = metadataTarget(f, finalAnnotations(f, false));
  const recorded: string[] = [];
  if (f.userDataUnknown)
    recorded.push("the user_data digest (declared by --adopt: the server has the configured user_data)");
  if (f.rebootUnknown) recorded.push(`the reboot token ${f.spec.reboot?.token ?? ""}`);
  if (recorded.length === 0)
    recorded.push("the digest of the configured state (the baseline `reform drift` compares with)");
  const reasons: Reason[] = [{ message: `adopt: records ${recorded.join(" and ")} without touching the server` }];
  return {
    action: "adopt",
    steps: [{ kind: "update-metadata", impact: "none", params: { metadata: target } }],
    reasons,
  };
}

function noOp(f: Facts): Decision {
  const reasons: Reason[] = [];
  if (f.inError)
    reasons.push({
      field: "status",
      message: `server is in ERROR (${faultText(f.observed)}); its image is not managed, so reform cannot repair it`,
    });
  if (f.unknowns.length > 0) {
    const fields = f.unknowns.map((u) => u.field).join(", ");
    reasons.push({
      message: `nothing to change among the fields reform can see; unknown: ${fields} (never a reason to act; \`reform apply --adopt\` records what annotations can)`,
    });
  } else if (!f.inError) {
    reasons.push({ message: "matches the configuration" });
  }
  return { action: "no-op", steps: [], reasons };
}
