import type { Reason, Step } from "../model/index.js";
import type { Decision } from "./decision.js";
import { actionOf, unsupported } from "./decision.js";
import type { Facts } from "./facts.js";
import { finalAnnotations, metadataDiffers, metadataTarget, writesSomething } from "./metadata-target.js";

/** A change that needs no reprovisioning: reboot, start/stop, metadata. */
export function hasInPlaceChange(f: Facts): boolean {
  return f.rebootPending || f.powerChanged || metadataDiffers(f);
}

/**
 * Reboot, power and metadata, cheapest sufficient first. The single update-metadata step comes LAST,
 * so a reboot token is recorded only once the reboot happened.
 */
export function planInPlace(f: Facts): Decision {
  const power = powerSteps(f);
  if ("action" in power) return power;
  const steps: Step[] = [...power.steps];
  const reasons: Reason[] = [...power.reasons];
  const target = metadataTarget(f, finalAnnotations(f, false));
  if (writesSomething(target)) {
    if (!f.caps.metadataUpdate) {
      return unsupported([
        {
          message: `${f.address}: the cloud cannot change metadata in place (metadataUpdate: false; ${f.caps.description})`,
        },
      ]);
    }
    steps.push({ kind: "update-metadata", impact: "none", params: { metadata: target } });
    reasons.push(metadataReason(f));
  }
  return { action: actionOf(steps), steps, reasons };
}

function metadataReason(f: Facts): Reason {
  if (!metadataDiffers(f)) return { message: "update-metadata records reform's annotations afterwards; no downtime" };
  const keys = [...Object.keys(f.metadataSet), ...f.metadataRemove].sort();
  return {
    message: `metadata ${keys.join(", ")} differ${keys.length === 1 ? "s" : ""}: update-metadata, no downtime (annotations recorded with it)`,
  };
}

function powerSteps(f: Facts): Decision | { readonly steps: Step[]; readonly reasons: Reason[] } {
  const { power: now, wantPower: want } = f;
  const token = f.spec.reboot?.token ?? "";
  if (now === "running" && want === "stopped") {
    const extra = f.rebootPending ? `; the reboot token ${token} is recorded without a reboot` : "";
    return {
      steps: [{ kind: "stop", impact: "reboot", params: { reason: "power" } }],
      reasons: [{ field: "power", message: `power running → stopped: stop${extra}` }],
    };
  }
  if (now === "stopped" && want === "running") {
    const extra = f.rebootPending ? `; a start is a fresh boot, so it satisfies the reboot token ${token}` : "";
    return {
      steps: [{ kind: "start", impact: "reboot", params: { reason: "power" } }],
      reasons: [{ field: "power", message: `power stopped → running: start${extra}` }],
    };
  }
  if (!f.rebootPending) return { steps: [], reasons: [] };
  if (now === "stopped") {
    return {
      steps: [],
      reasons: [
        {
          field: "reboot",
          message: `the server is stopped and stays stopped: it is not rebooted; the reboot token ${token} is recorded`,
        },
      ],
    };
  }
  const type = f.spec.reboot?.type ?? "SOFT";
  if (!f.caps.rebootTypes.includes(type)) {
    return unsupported([
      {
        field: "reboot",
        message: `${f.address}: the cloud does not support ${type} reboots (supported: ${f.caps.rebootTypes.join(", ") || "none"})`,
      },
    ]);
  }
  return {
    steps: [{ kind: "reboot", impact: "reboot", params: { type } }],
    reasons: [{ field: "reboot", message: `reboot token ${describeToken(f)} → ${token}: ${type} reboot` }],
  };
}

function describeToken(f: Facts): string {
  return f.observed.annotations.rebootToken ?? "(none)";
}
