import type { Annotations, MetadataTarget, ObservedInstance } from "../model/index.js";
import { annotationEntries } from "../model/index.js";
import type { Facts } from "./facts.js";
import { appliedSha256Of, desiredUserDataSha256 } from "./fingerprint.js";

/**
 * The annotations a server carries once the plan has run. The user_data digest is recorded only when
 * it is true: known equal, sent by the reprovisioning step, or declared by `--adopt`; a change ignored
 * by policy keeps the old record. The reboot token and the applied digest are always recorded.
 */
export function finalAnnotations(f: Facts, recordUserData: boolean): Annotations {
  const recorded = f.observed.annotations;
  const wanted = desiredUserDataSha256(f.spec);
  const userDataTrue = f.userDataKnownEqual || recordUserData || (f.userDataUnknown && f.input.adopt);
  return {
    userDataSha256: wanted !== undefined && userDataTrue ? wanted : recorded.userDataSha256,
    rebootToken: f.spec.reboot?.token ?? recorded.rebootToken,
    appliedSha256: appliedSha256Of(f.spec, f.imageId),
  };
}

/** What the plan writes: changed managed keys and annotation updates, removals, and the whole resulting map. */
export function metadataTarget(f: Facts, annotations: Annotations): MetadataTarget {
  const recorded = annotationEntries(f.observed.annotations);
  const wanted = annotationEntries(annotations);
  const annotationUpdates = Object.entries(wanted).filter(([key, value]) => recorded[key] !== value);
  const removed = new Set(f.metadataRemove);
  const kept = Object.entries(f.observed.metadata).filter(([key]) => !removed.has(key));
  return {
    set: Object.fromEntries([...Object.entries(f.metadataSet), ...annotationUpdates]),
    remove: [...f.metadataRemove],
    full: Object.fromEntries([...kept, ...Object.entries(f.metadataSet), ...Object.entries(wanted)]),
  };
}

/** The target of a step that leaves metadata as it is (a reprovisioning step on a cloud whose reprovision does not write it). */
export function unchangedTarget(observed: ObservedInstance): MetadataTarget {
  return { set: {}, remove: [], full: { ...observed.metadata, ...annotationEntries(observed.annotations) } };
}

export function writesSomething(target: MetadataTarget): boolean {
  return Object.keys(target.set).length > 0 || target.remove.length > 0;
}

/** The managed metadata differs (keys to set or remove), annotations aside. */
export function metadataDiffers(f: Facts): boolean {
  return Object.keys(f.metadataSet).length > 0 || f.metadataRemove.length > 0;
}
