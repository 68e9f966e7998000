import type {
  InstanceChange,
  MetadataTarget,
  ObservedInstance,
  PowerState,
  ProviderCapabilities,
  Step,
} from "../model/index.js";
import { annotationEntries, splitAnnotations } from "../model/index.js";

/**
 * A pure model of what a cloud does with each step, for the "apply, then plan again gives no-op"
 * property. It enforces the clouds' rules the capabilities declare (a stopped server for
 * reprovisioning, no metadata writes in error where refused) by throwing, so a wrongly ordered plan fails.
 */
export interface ServerState {
  readonly observed: ObservedInstance;
  /** The user_data digest the server really has (null: none), whatever the cloud shows. */
  readonly userDataSha256: string | null;
}

export function observeUserData(
  caps: ProviderCapabilities,
  actual: string | null,
  annotations: ObservedInstance["annotations"],
): ObservedInstance["userDataSha256"] {
  if (caps.readsUserData) return { known: true, value: actual };
  if (annotations.userDataSha256 !== undefined) return { known: true, value: annotations.userDataSha256 };
  return { known: false, reason: "the cloud does not return user_data to this caller" };
}

export function applySteps(state: ServerState, change: InstanceChange, caps: ProviderCapabilities): ServerState {
  let current = state;
  for (const step of change.steps) current = applyStep(current, step, caps);
  const o = current.observed;
  return {
    ...current,
    observed: { ...o, userDataSha256: observeUserData(caps, current.userDataSha256, o.annotations) },
  };
}

function withPower(o: ObservedInstance, power: PowerState): ObservedInstance {
  return {
    ...o,
    power,
    status: power === "running" ? "active" : "stopped",
    rawStatus: power === "running" ? "ACTIVE" : "SHUTOFF",
  };
}

function writeMetadata(o: ObservedInstance, metadata: Readonly<Record<string, string>>): ObservedInstance {
  const { user, annotations } = splitAnnotations(metadata);
  return { ...o, metadata: user, annotations };
}

function applyTarget(o: ObservedInstance, target: MetadataTarget): ObservedInstance {
  const all: Record<string, string> = { ...o.metadata, ...annotationEntries(o.annotations), ...target.set };
  const removed = new Set(target.remove);
  return writeMetadata(o, Object.fromEntries(Object.entries(all).filter(([key]) => !removed.has(key))));
}

function applyStep(state: ServerState, step: Step, caps: ProviderCapabilities): ServerState {
  const o = state.observed;
  switch (step.kind) {
    case "stop":
      return { ...state, observed: withPower(o, "stopped") };
    case "start":
      return { ...state, observed: withPower(o, "running") };
    case "reboot":
      if (o.power !== "running") throw new Error("model: reboot of a server that is not running");
      return { ...state, observed: withPower(o, "running") };
    case "update-metadata":
      if (!caps.metadataUpdate) throw new Error("model: the cloud cannot update metadata");
      if (o.status === "error" && !caps.metadataUpdateInError)
        throw new Error("model: metadata update refused in error");
      return { ...state, observed: applyTarget(o, step.params.metadata) };
    case "rebuild":
    case "reinstall":
    case "changeos":
      return reprovision(state, step.params, caps);
  }
}

function reprovision(
  state: ServerState,
  p: Extract<Step, { impact: "reprovision" }>["params"],
  caps: ProviderCapabilities,
): ServerState {
  const o = state.observed;
  if (caps.reprovisionRequiresStopped && o.power !== "stopped")
    throw new Error("model: reprovisioning a running server");
  if (o.status === "error" && !caps.reprovisionInError) throw new Error("model: reprovisioning refused in error");
  if (o.bootVolume !== undefined && !caps.reprovisionsBootVolume)
    throw new Error("model: the cloud cannot re-image a root volume");
  if (o.bootVolume !== undefined && p.rootVolumeId !== o.bootVolume.id)
    throw new Error("model: a volume-backed server reprovisioned without naming its root volume");
  const power: PowerState = caps.reprovisionLeavesStopped
    ? "stopped"
    : o.power === "stopped" && !caps.reprovisionStartsStopped
      ? "stopped"
      : "running";
  const bootVolume = o.bootVolume === undefined ? {} : { bootVolume: { id: o.bootVolume.id } };
  let next: ObservedInstance = withPower({ ...o, imageId: p.imageId, ...bootVolume }, power);
  if (p.keyPair !== undefined) next = { ...next, keyPair: p.keyPair };
  if (caps.reprovisionSetsMetadata) next = writeMetadata(next, p.metadata.full);
  const userDataSha256 = p.userDataSha256 === undefined ? state.userDataSha256 : p.userDataSha256;
  return { observed: next, userDataSha256 };
}
