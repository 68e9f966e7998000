import type { MetadataTarget, Step } from "../model/action.js";
import { ANNOTATION_KEYS, annotationEntries, isAnnotationKey } from "../model/annotations.js";
import type { InstanceChange } from "../model/change.js";
import type { DesiredSpec } from "../model/desired.js";
import { DEFAULT_CHANGE_POLICY } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ProviderCapabilities } from "../model/provider.js";
import { userDataSha256 } from "../model/user-data.js";
import type { BeforeState } from "./journal.js";

/** What a rollback asks of a server, and what of its before-state it cannot ask for (each said precisely). */
export interface RollbackTarget {
  readonly spec: DesiredSpec;
  readonly notRestored: readonly string[];
}

/**
 * The desired spec that takes a server back to its before-state: the image by id, the key pair, the managed metadata
 * that had a value, user_data when its content was kept (`null` when it had none), the power state. Nothing else is
 * managed. Guardrails of the fleet file stay (`protect`, `maxDisruption`); no minimal disruption is added. What was
 * not recorded is not asked for, and listed: an unknown image, withheld metadata values, unknown power. (Keys that
 * were absent and reform's annotations are restored by `restoreMetadata`; user_data kept only as a digest by
 * `userDataNotRestored`, once the server is read back.)
 */
export function rollbackSpec(before: BeforeState, fleetSpec: DesiredSpec | undefined): RollbackTarget {
  const notRestored: string[] = [];
  if ("unknown" in before.image)
    notRestored.push(`image: the image before this run is not known (${before.image.unknown})`);
  for (const { key, why } of before.withheldMetadata ?? [])
    notRestored.push(`metadata ${key}: its value before was not recorded (${why}); it is left as it is`);
  if (before.power === "unknown")
    notRestored.push("power: the power state before this run is not known; it is left as it is");
  const metadata = Object.fromEntries(
    Object.entries(before.metadata).filter((e): e is [string, string] => e[1] !== null),
  );
  const policy = fleetSpec?.changePolicy ?? DEFAULT_CHANGE_POLICY;
  const spec: DesiredSpec = {
    ...("id" in before.image ? { image: { id: before.image.id } } : {}),
    keyPair: before.keyPair,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    metadataPolicy: "merge",
    ignoreMetadata: [],
    ...userDataSpec(before),
    ...(before.power === "unknown" ? {} : { power: before.power }),
    changePolicy: {
      ...policy,
      onImageChange: "rebuild",
      onKeyPairChange: "rebuild",
      onUserDataChange: policy.onUserDataChange === "ignore" ? "ignore" : "rebuild",
      minDisruption: "none",
    },
  };
  return { spec, notRestored };
}

function userDataSpec(before: BeforeState): Pick<DesiredSpec, "userData"> {
  switch (before.userData.state) {
    case "content":
      return {
        userData: {
          content: before.userData.content,
          sha256: userDataSha256(before.userData.content),
          sensitive: false,
          origin: "inline",
        },
      };
    case "absent":
      return { userData: null };
    case "digest":
    case "unknown":
      return {};
  }
}

/**
 * user_data that the rollback could not send (only its digest was kept, or it was unreadable), measured on the
 * server read back after the rollback: undefined when it is what it was (or was not changed), else what is true now.
 */
export function userDataNotRestored(
  before: BeforeState,
  after: ObservedInstance,
  reprovisioned: boolean,
): string | undefined {
  const was = before.userData;
  if (was.state === "content" || was.state === "absent") return undefined;
  const now = after.userDataSha256;
  const kept = reprovisioned ? "; a reprovisioning step without user_data keeps the server's current one" : "";
  if (was.state === "unknown")
    return `user_data: it could not be read before this run (${was.why}), so the rollback sent none${kept}`;
  if (now.known && now.value === was.sha256) return undefined;
  const current = now.known ? (now.value === null ? "none" : `sha256 ${now.value.slice(0, 12)}…`) : "unreadable";
  return `user_data: the journal kept only its digest (${was.why}), so the rollback sent none${kept}; it is now ${current}, was sha256 ${was.sha256.slice(0, 12)}…`;
}

/**
 * The planned rollback change made to also delete the managed keys that were absent before and to put reform's
 * annotations back as they were (so `plan` shows the fleet file's change as pending again, and `drift` compares with
 * what was applied before): every step that writes metadata writes that too, and a change with no such step gets an
 * `update-metadata` step at its end when something differs (a reprovisioning step that does not write metadata does
 * not count). A cloud that cannot change metadata in place gets none.
 */
export function restoreMetadata(
  change: InstanceChange,
  observed: ObservedInstance,
  before: BeforeState,
  caps: Pick<ProviderCapabilities, "metadataUpdate" | "reprovisionSetsMetadata">,
): InstanceChange {
  const wantAnnotations = annotationEntries(before.annotations);
  const hasNow = { ...observed.metadata, ...annotationEntries(observed.annotations) };
  const set = Object.fromEntries(Object.entries(wantAnnotations).filter(([key, value]) => hasNow[key] !== value));
  const remove = [
    ...Object.entries(before.metadata)
      .filter(([key, value]) => value === null && key in observed.metadata)
      .map(([key]) => key),
    ...Object.values(ANNOTATION_KEYS).filter((key) => !(key in wantAnnotations) && key in hasNow),
  ];
  const rewrite = (target: MetadataTarget): MetadataTarget => {
    const userSet = Object.entries(target.set).filter(([key]) => !isAnnotationKey(key) && !remove.includes(key));
    const userFull = Object.entries(target.full).filter(([key]) => !isAnnotationKey(key) && !remove.includes(key));
    return {
      set: Object.fromEntries([...userSet, ...Object.entries(set)]),
      remove: [...new Set([...target.remove.filter((key) => !isAnnotationKey(key)), ...remove])],
      full: Object.fromEntries([...userFull, ...Object.entries(wantAnnotations)]),
    };
  };
  let writes = false;
  const steps = change.steps.map((step): Step => {
    if (step.kind === "update-metadata") {
      writes = true;
      return { ...step, params: { metadata: rewrite(step.params.metadata) } };
    }
    if (step.kind === "rebuild" || step.kind === "reinstall" || step.kind === "changeos") {
      writes ||= caps.reprovisionSetsMetadata;
      return { ...step, params: { ...step.params, metadata: rewrite(step.params.metadata) } };
    }
    if (step.kind === "reboot" && step.params.metadata) {
      writes = true;
      return { ...step, params: { ...step.params, metadata: rewrite(step.params.metadata) } };
    }
    return step;
  });
  if (writes || !caps.metadataUpdate || (Object.keys(set).length === 0 && remove.length === 0))
    return { ...change, steps };
  const metadata = rewrite({ set: {}, remove: [], full: hasNow });
  return {
    ...change,
    action: change.action === "no-op" ? "update-metadata" : change.action,
    steps: [...steps, { kind: "update-metadata", impact: "none", params: { metadata } }],
  };
}

/**
 * What of the metadata the rollback change leaves as it is although it differs from before (a cloud that cannot change
 * metadata in place, and no reprovisioning step that writes it): said, never silently kept. Undefined: none.
 */
export function metadataNotRestored(
  change: InstanceChange,
  observed: ObservedInstance,
  before: BeforeState,
  caps: Pick<ProviderCapabilities, "metadataUpdate" | "reprovisionSetsMetadata">,
): string | undefined {
  const writes = change.steps.some(
    (s) =>
      s.kind === "update-metadata" ||
      (s.kind === "reboot" && s.params.metadata !== undefined) ||
      (caps.reprovisionSetsMetadata && (s.kind === "rebuild" || s.kind === "reinstall" || s.kind === "changeos")),
  );
  if (writes) return undefined;
  const now = { ...observed.metadata, ...annotationEntries(observed.annotations) };
  const want = annotationEntries(before.annotations);
  const differs = [
    ...Object.entries(before.metadata)
      .filter(([key, value]) => (now[key] ?? null) !== value)
      .map(([key]) => key),
    ...Object.values(ANNOTATION_KEYS).filter((key) => now[key] !== want[key]),
  ];
  return differs.length === 0
    ? undefined
    : `metadata ${differs.join(", ")}: left as they are: the cloud cannot change metadata in place and the rollback has no step that writes it`;
}
