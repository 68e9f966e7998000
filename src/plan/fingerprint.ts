import type { DesiredSpec, ObservedInstance } from "../model/index.js";
import { annotationEntries, userDataSha256 } from "../model/index.js";
import { canonicalJson, canonicalKeyOrder, jsonString, sha256Hex } from "../model/canonical-json.js";

/** Digest of "no user_data": absent user_data and empty content are the same thing. */
export const EMPTY_USER_DATA_SHA256 = userDataSha256("");

/**
 * Digest of the observed fields a plan's decision rests on. Apply computes it again just before a
 * server's first step and refuses to act when it moved (stale plan, or another pipeline got there first).
 *
 * The text is `canonicalJson` of { id, status, task, imageId, keyPair, metadata (with the annotations' entries),
 * userDataSha256 (or { unknown: true }), power, updatedAt, locked }, written directly: the keys in their sorted order,
 * the metadata and the annotations' entries without a merged copy, strings through `jsonString`. Every planned server
 * takes one, and the generic serializer's walk, sort and copies were two thirds of its cost (the hash is the rest).
 * A property test holds it to the definition.
 */
export function fingerprintOf(observed: ObservedInstance): string {
  const userData = observed.userDataSha256;
  let text = `{"id":${canonicalJson(observed.id)}`;
  text += member("imageId", observed.imageId);
  text += member("keyPair", observed.keyPair);
  text += member("locked", observed.locked);
  text += `,"metadata":${metadataJson(observed.metadata, annotationEntries(observed.annotations))}`;
  text += member("power", observed.power);
  text += member("status", observed.status);
  text += member("task", observed.task);
  text += member("updatedAt", observed.updatedAt);
  text += `,"userDataSha256":${userData.known ? canonicalJson(userData.value) : '{"unknown":true}'}}`;
  return sha256Hex(text);
}

/** `,"key":value` as canonicalJson writes an object's member after its first; nothing for an undefined value. */
function member(key: string, value: unknown): string {
  return value === undefined ? "" : `,"${key}":${canonicalJson(value)}`;
}

/** canonicalJson of `{ ...metadata, ...entries }`, without the merged copy. */
function metadataJson(metadata: Readonly<Record<string, unknown>>, entries: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(metadata);
  for (const key of Object.keys(entries)) if (!Object.hasOwn(metadata, key)) keys.push(key);
  let text = "{";
  for (const key of canonicalKeyOrder(keys)) {
    const value = Object.hasOwn(entries, key) ? entries[key] : metadata[key];
    if (value === undefined) continue;
    text += `${text.length === 1 ? "" : ","}${jsonString(key)}:${canonicalJson(value)}`;
  }
  return `${text}}`;
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
