import type { InstanceChange } from "../model/change.js";
import type { DesiredSpec } from "../model/desired.js";
import { globMatcher } from "../model/globs.js";
import type { ObservedInstance } from "../model/observed.js";
import type { BeforeState, BeforeUserData } from "./journal.js";

/**
 * What a server was before this run's first step, for a later rollback: taken from the observation the plan was made
 * from (apply's fingerprint check proved the server still matches it), never a new read. Sensitive user_data is kept
 * as its digest only; content is kept only when the fleet file declares the server's user_data and not sensitive.
 */
export function beforeStateOf(
  observed: ObservedInstance,
  spec: DesiredSpec,
  change: Pick<InstanceChange, "before">,
): BeforeState {
  return {
    image: imageOf(observed, change),
    keyPair: observed.keyPair,
    metadata: managedMetadata(observed, spec),
    annotations: { ...observed.annotations },
    userData: userDataOf(observed, spec),
    power: observed.power,
    status: observed.rawStatus,
  };
}

function imageOf(observed: ObservedInstance, change: Pick<InstanceChange, "before">): BeforeState["image"] {
  if (observed.imageId === "")
    return { unknown: observed.bootVolume?.unknownReason ?? "the cloud does not show the server's image" };
  const shown = change.before["image"];
  const name =
    typeof shown === "object" &&
    shown !== null &&
    "id" in shown &&
    shown.id === observed.imageId &&
    "name" in shown &&
    typeof shown.name === "string"
      ? shown.name
      : undefined;
  return { id: observed.imageId, ...(name !== undefined ? { name } : {}) };
}

/**
 * The metadata keys the fleet manages, with their values before (null: absent). `merge`: the declared keys; `exact`:
 * also every other key the server has, but those `ignoreMetadata` leaves alone.
 */
function managedMetadata(observed: ObservedInstance, spec: DesiredSpec): Readonly<Record<string, string | null>> {
  if (spec.metadata === undefined) return {};
  const ignored = globMatcher(spec.ignoreMetadata);
  const keys = new Set(Object.keys(spec.metadata));
  if (spec.metadataPolicy === "exact")
    for (const key of Object.keys(observed.metadata)) if (!ignored(key)) keys.add(key);
  return Object.fromEntries([...keys].sort().map((key) => [key, observed.metadata[key] ?? null]));
}

function userDataOf(observed: ObservedInstance, spec: DesiredSpec): BeforeUserData {
  const seen = observed.userDataSha256;
  if (!seen.known) return { state: "unknown", why: seen.reason };
  if (seen.value === null) return { state: "absent" };
  if (spec.userData?.sensitive === true)
    return { state: "digest", sha256: seen.value, why: "the fleet file marks this server's user_data sensitive" };
  if (spec.userData === undefined || spec.userData === null)
    return {
      state: "digest",
      sha256: seen.value,
      why: "the fleet file does not declare this server's user_data, so nothing says its content is safe to keep",
    };
  if (observed.userData === undefined || observed.userData === null)
    return { state: "digest", sha256: seen.value, why: "the cloud shows only a digest of the user_data" };
  return { state: "content", sha256: seen.value, content: observed.userData };
}
