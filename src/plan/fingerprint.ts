import type { DesiredSpec, ObservedInstance } from "../model/index.js";
import { annotationEntries, userDataSha256 } from "../model/index.js";
import { canonicalJson, sha256Hex } from "../model/canonical-json.js";

/** Digest of "no user_data": absent user_data and empty content are the same thing. */
export const EMPTY_USER_DATA_SHA256 = userDataSha256("");

/**
 * Digest of the observed fields a plan's decision rests on. Apply computes it again just before a
 * server's first step and refuses to act when it moved (stale plan, or another pipeline got there first).
 *
 * The text is `canonicalJson` of { id, status, task, imageId, keyPair, metadata (with the annotations' entries),
 * userDataSha256 (or { unknown: true }), power, updatedAt, locked }, written with the keys already in their sorted
 * order: every planned server takes one, and sorting the same ten keys each time was most of its cost.
 */
export function fingerprintOf(observed: ObservedInstance): string {
  const userData = observed.userDataSha256;
  const members: readonly (readonly [string, unknown])[] = [
    ["id", observed.id],
    ["imageId", observed.imageId],
    ["keyPair", observed.keyPair],
    ["locked", observed.locked],
    ["metadata", { ...observed.metadata, ...annotationEntries(observed.annotations) }],
    ["power", observed.power],
    ["status", observed.status],
    ["task", observed.task],
    ["updatedAt", observed.updatedAt],
    ["userDataSha256", userData.known ? userData.value : { unknown: true }],
  ];
  let text = "{";
  for (const [key, value] of members) {
    if (value === undefined) continue;
    text += `${text.length === 1 ? "" : ","}"${key}":${canonicalJson(value)}`;
  }
  return sha256Hex(`${text}}`);
}

/** Digests already computed, per spec (a group's servers share theirs) and image id. */
const appliedDigests = new WeakMap<DesiredSpec, Map<string | undefined, string>>();

/**
 * Digest of the managed desired state (`reform.applied.sha256`): image id, key pair, managed metadata,
 * user_data digest and power. Fields the spec does not manage are left out, so adding a field to the
 * spec changes the digest and removing one does too. Drift detection compares it with the annotation.
 * Computed once per spec and image id (specs are read-only, and the servers a group selects share one).
 */
export function appliedSha256Of(spec: DesiredSpec, imageId: string | undefined): string {
  let ofSpec = appliedDigests.get(spec);
  if (!ofSpec) appliedDigests.set(spec, (ofSpec = new Map()));
  let digest = ofSpec.get(imageId);
  if (digest === undefined) {
    digest = sha256Hex(
      canonicalJson({
        imageId: spec.image === undefined ? undefined : imageId,
        keyPair: spec.keyPair,
        metadata: spec.metadata,
        userDataSha256: spec.userData === undefined ? undefined : desiredUserDataSha256(spec),
        power: spec.power,
      }),
    );
    ofSpec.set(imageId, digest);
  }
  return digest;
}

/** The desired user_data digest when managed (`null` user_data digests as empty content). */
export function desiredUserDataSha256(spec: DesiredSpec): string | undefined {
  if (spec.userData === undefined) return undefined;
  return spec.userData === null ? EMPTY_USER_DATA_SHA256 : spec.userData.sha256;
}

/** An observed digest, with "no user_data" folded into the empty-content digest. */
export function normalizeObservedSha(value: string | null): string {
  return value === null ? EMPTY_USER_DATA_SHA256 : value;
}
