import type { DesiredSpec, ObservedInstance } from "../model/index.js";
import { annotationEntries, userDataSha256 } from "../model/index.js";
import { canonicalJson, sha256Hex } from "../model/canonical-json.js";

/** Digest of "no user_data": absent user_data and empty content are the same thing. */
export const EMPTY_USER_DATA_SHA256 = userDataSha256("");

/**
 * Digest of the observed fields a plan's decision rests on. Apply computes it again just before a
 * server's first step and refuses to act when it moved (stale plan, or another pipeline got there first).
 */
export function fingerprintOf(observed: ObservedInstance): string {
  const userData = observed.userDataSha256;
  return sha256Hex(
    canonicalJson({
      id: observed.id,
      status: observed.status,
      task: observed.task,
      imageId: observed.imageId,
      keyPair: observed.keyPair,
      metadata: { ...observed.metadata, ...annotationEntries(observed.annotations) },
      userDataSha256: userData.known ? userData.value : { unknown: true },
      power: observed.power,
      updatedAt: observed.updatedAt,
      locked: observed.locked,
    }),
  );
}

/**
 * Digest of the managed desired state (`reform.applied.sha256`): image id, key pair, managed metadata,
 * user_data digest and power. Fields the spec does not manage are left out, so adding a field to the
 * spec changes the digest and removing one does too. Drift detection compares it with the annotation.
 */
export function appliedSha256Of(spec: DesiredSpec, imageId: string | undefined): string {
  return sha256Hex(
    canonicalJson({
      imageId: spec.image === undefined ? undefined : imageId,
      keyPair: spec.keyPair,
      metadata: spec.metadata,
      userDataSha256: spec.userData === undefined ? undefined : desiredUserDataSha256(spec),
      power: spec.power,
    }),
  );
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
