import type {
  MetadataTarget,
  PowerState,
  ProviderCapabilities,
  Reason,
  ReprovisionParams,
  Step,
} from "../model/index.js";
import type { Decision } from "./decision.js";
import { actionOf, unsupported } from "./decision.js";
import type { Facts } from "./facts.js";
import { finalAnnotations, metadataTarget, unchangedTarget, writesSomething } from "./metadata-target.js";
import type { VariantChoice } from "./variant.js";
import { chooseVariant, variantDropsUserData, variantRefusals } from "./variant.js";
import { describeValue, faultText, imageUnknownReason, shortSha } from "./wording.js";

type ReprovisionKind = "rebuild" | "reinstall" | "changeos";

/**
 * Reprovisioning: the image, key pair or user_data changes (`change`), or a server in error is rebuilt
 * with its current image (`repair`). One step of the cloud's own kind, never a fallback to another.
 */
export function planReprovision(f: Facts, mode: "change" | "repair"): Decision {
  const kind = f.imageChanged
    ? f.caps.imageChangeStep
    : (f.caps.sameImageStep ?? (mode === "repair" ? f.caps.imageChangeStep : null));
  const imageId = f.imageChanged || mode === "repair" ? (f.imageId ?? "") : f.observed.imageId;
  const variant = kind === null ? undefined : chooseVariant(f, kind, imageId);
  const missing = [...missingCapabilities(f, kind, imageId), ...variantRefusals(f, variant)];
  if (missing.length > 0 || kind === null) return unsupported(missing);
  const params = reprovisionParams(f, imageId, variant);
  const annotations = finalAnnotations(f, params.userDataSha256 !== undefined);
  const target = metadataTarget(f, annotations);
  if (!f.caps.reprovisionSetsMetadata && !f.caps.metadataUpdate && writesSomething(target)) {
    return unsupported([
      {
        message: `${f.address}: the cloud's ${kind} does not write metadata and metadata cannot be updated in place, so reform cannot record the result (${f.caps.description})`,
      },
    ]);
  }
  const reprovision: Step = {
    kind,
    impact: "reprovision",
    params: { ...params, metadata: f.caps.reprovisionSetsMetadata ? target : unchangedTarget(f.observed) },
  };
  const power = powerSequence(f.caps, f.power, f.wantPower);
  const steps: Step[] = [...power.before, reprovision, ...power.after];
  const reasons: Reason[] = [...changeReasons(f, kind, mode), ...(variant ? [variant.reason] : []), ...power.reasons];
  if (!f.caps.reprovisionSetsMetadata && writesSomething(target)) {
    steps.push({ kind: "update-metadata", impact: "none", params: { metadata: target } });
    reasons.push({
      message: `the cloud's ${kind} does not write metadata: update-metadata afterwards (annotations included)`,
    });
  }
  return { action: actionOf(steps), steps, reasons };
}

function missingCapabilities(f: Facts, kind: ReprovisionKind | null, imageId: string): Reason[] {
  const { caps, address } = f;
  const why = `(${caps.description})`;
  const missing: Reason[] = [];
  if (kind === null) {
    missing.push({
      message: `${address}: the cloud has no step that reprovisions a server with its current image ${why}: key pair and user_data cannot change in place`,
    });
  }
  if (imageId === "") {
    missing.push({
      field: "image",
      message: `${address}: ${imageUnknownReason(f.observed)}; so it cannot be reprovisioned with its current image`,
    });
  }
  const volume = f.observed.bootVolume;
  if (volume !== undefined && kind !== null && !caps.reprovisionsBootVolume) {
    missing.push({
      field: "image",
      message: `${address}: the server boots from a volume and the cloud's ${kind} cannot re-image a root volume (reprovisionsBootVolume: false) ${why}`,
    });
  } else if (volume !== undefined && volume.id === undefined && imageId !== "") {
    missing.push({
      field: "image",
      message: `${address}: ${imageUnknownReason(f.observed)}; a ${kind ?? "reprovisioning"} would re-image a root volume that reform could not read back`,
    });
  }
  if (f.keyPairChanged && f.spec.keyPair === null && !caps.reprovisionRemovesKeyPair) {
    missing.push({
      field: "keyPair",
      message: `${address}: the cloud's reprovisioning cannot remove a key pair (reprovisionRemovesKeyPair: false) ${why}: key pair cannot be removed in place`,
    });
  }
  if (f.keyPairChanged && f.spec.keyPair !== null && !caps.reprovisionSetsKeyPair) {
    missing.push({
      field: "keyPair",
      message: `${address}: the cloud's reprovisioning cannot set a key pair (reprovisionSetsKeyPair: false) ${why}: key pair cannot change in place`,
    });
  }
  if (f.userDataChanged && !caps.reprovisionSetsUserData) {
    missing.push({
      field: "userData",
      message: `${address}: the cloud's reprovisioning cannot set user_data (reprovisionSetsUserData: false) ${why}: user_data cannot change in place`,
    });
  }
  if (caps.reprovisionNeedsPassword && keyPairAfter(f) === null && f.spec.password === undefined) {
    missing.push({
      message: `${address}: the cloud's reprovisioning needs a password when no key pair is given: declare spec.password ({ env: VAR } or { file: PATH }) or spec.keyPair`,
    });
  }
  if (f.inError && !caps.reprovisionInError) {
    missing.push({
      field: "status",
      message: `${address}: server is in ERROR (${faultText(f.observed)}) and the cloud cannot rebuild it`,
    });
  }
  return missing;
}

/** The key pair the server has after reprovisioning: the one sent, or (not managed) the one it has, which the step keeps. */
function keyPairAfter(f: Facts): string | null {
  const sent = keyPairParam(f);
  return sent === undefined ? f.observed.keyPair : sent;
}

/** The key pair sent: the desired one when managed and the cloud can write it; otherwise left as is. */
function keyPairParam(f: Facts): string | null | undefined {
  const wanted = f.spec.keyPair;
  if (wanted === undefined) return undefined;
  const can = wanted === null ? f.caps.reprovisionRemovesKeyPair : f.caps.reprovisionSetsKeyPair;
  return can ? wanted : undefined;
}

function userDataParam(f: Facts, variant: VariantChoice | undefined): string | null | undefined {
  const userData = f.spec.userData;
  // A change ignored by policy is left as it is, even when the server is reprovisioned for another reason.
  if (userData === undefined || f.userDataIgnored || !f.caps.reprovisionSetsUserData || variantDropsUserData(variant))
    return undefined;
  return userData === null ? null : userData.sha256;
}

function reprovisionParams(
  f: Facts,
  imageId: string,
  variant: VariantChoice | undefined,
): Omit<ReprovisionParams, "metadata"> & { readonly metadata?: MetadataTarget } {
  const keyPair = keyPairParam(f);
  const userDataSha256 = userDataParam(f, variant);
  return {
    imageId,
    ...(keyPair === undefined ? {} : { keyPair }),
    ...(userDataSha256 === undefined ? {} : { userDataSha256 }),
    ...(variant?.type === "chosen" ? { variant: variant.variant.name } : {}),
    ...(f.observed.bootVolume?.id === undefined ? {} : { rootVolumeId: f.observed.bootVolume.id }),
    keepStopped: duringPower(f.caps, f.power, f.wantPower) === "stopped" && f.wantPower === "stopped",
  };
}

/** The power state while the reprovisioning step runs. */
function duringPower(caps: ProviderCapabilities, now: PowerState, want: PowerState): PowerState {
  if (now === "stopped") return now;
  if (caps.reprovisionRequiresStopped) return "stopped";
  // Going to stopped: stop first, unless the reprovisioning leaves it stopped or would start it again anyway.
  const stopFirst = want === "stopped" && !caps.reprovisionLeavesStopped && !caps.reprovisionStartsStopped;
  return stopFirst ? "stopped" : now;
}

interface PowerSequence {
  readonly before: Step[];
  readonly after: Step[];
  readonly reasons: Reason[];
}

/** Stop before and start/stop after, so the cloud's rules are met and the server ends in the desired state. */
export function powerSequence(caps: ProviderCapabilities, now: PowerState, want: PowerState): PowerSequence {
  const seq: PowerSequence = { before: [], after: [], reasons: [] };
  const reason = want === now ? "prerequisite" : "power";
  const during = duringPower(caps, now, want);
  if (during !== now) {
    seq.before.push({ kind: "stop", impact: "reboot", params: { reason } });
    seq.reasons.push({
      message: caps.reprovisionRequiresStopped
        ? "stop first: the cloud reprovisions only stopped servers"
        : "stop first: the server should be stopped",
    });
  }
  const left: PowerState = caps.reprovisionLeavesStopped
    ? "stopped"
    : during === "stopped" && caps.reprovisionStartsStopped
      ? "running"
      : during;
  if (left === "stopped" && want === "running") {
    seq.after.push({ kind: "start", impact: "reboot", params: { reason } });
    seq.reasons.push({
      message: caps.reprovisionLeavesStopped
        ? "start afterwards: the cloud leaves reprovisioned servers stopped"
        : "start afterwards: the server should run",
    });
  }
  if (left === "running" && want === "stopped") {
    seq.after.push({ kind: "stop", impact: "reboot", params: { reason } });
    seq.reasons.push({
      message: "stop afterwards: the cloud starts a stopped server when it reprovisions it, and it should stay stopped",
    });
  }
  return seq;
}

function changeReasons(f: Facts, kind: ReprovisionKind, mode: "change" | "repair"): Reason[] {
  const reasons: Reason[] = [];
  const volume = f.observed.bootVolume?.id;
  const wipe =
    volume === undefined
      ? `${kind} re-creates the root disk`
      : `${kind} re-images the root volume ${volume}: its data is lost`;
  if (mode === "repair") {
    reasons.push({
      field: "status",
      message: `server is in ERROR (${faultText(f.observed)}): ${kind} with its current image ${f.input.image?.name ?? f.imageId ?? ""} repairs it; the ${wipe}`,
    });
  } else if (f.inError) {
    reasons.push({ field: "status", message: `server is in ERROR (${faultText(f.observed)}): the ${kind} repairs it` });
  }
  for (const field of f.fields) {
    if (field.path === "image")
      reasons.push({
        field: "image",
        message: `image ${String(field.before)} → ${f.input.image?.name ?? ""} (${f.imageId ?? ""}): the ${wipe}`,
      });
    if (field.path === "keyPair")
      reasons.push({
        field: "keyPair",
        message: `key pair ${describeValue(field.before as string | null)} → ${describeValue(field.after as string | null)}: the ${wipe}`,
      });
  }
  if (f.userDataChanged) {
    const wanted = f.spec.userData;
    const now =
      wanted === null || wanted === undefined
        ? "now none"
        : wanted.sensitive
          ? "sensitive"
          : `now sha256 ${shortSha(wanted.sha256)}`;
    reasons.push({
      field: "userData",
      message: `user_data changed (${now}): user_data runs at provisioning, so the ${wipe}`,
    });
  }
  if (f.rebootPending || f.rebootUnknown) {
    reasons.push({
      field: "reboot",
      message: `the ${kind} boots the server fresh: it satisfies the reboot token ${f.spec.reboot?.token ?? ""}, which is recorded`,
    });
  }
  return reasons;
}
