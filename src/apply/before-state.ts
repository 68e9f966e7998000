import type { InstanceChange } from "../model/change.js";
import type { DesiredSpec } from "../model/desired.js";
import { globMatcher } from "../model/globs.js";
import type { ObservedInstance } from "../model/observed.js";
import { secretHint, secretNameHint } from "../model/secret-hints.js";
import type { BeforeState, BeforeUserData } from "./journal.js";

/**
 * What a server was before this run's first step, for a later rollback: taken from the observation the plan was made
 * from (apply's fingerprint check proved the server still matches it). The journal may be a shared database, so
 * nothing that looks like a secret is kept: user_data content only when the fleet file declares the server's
 * user_data, not sensitive, and the old content does not look like it holds a secret (the fleet file describes the
 * new content, not the old); a metadata value whose name or value looks secret is withheld, its key listed.
 */
export function beforeStateOf(
  observed: ObservedInstance,
  spec: DesiredSpec,
  change: Pick<InstanceChange, "before">,
): BeforeState {
  const { metadata, withheld } = managedMetadata(observed, spec);
  return {
    image: imageOf(observed, change),
    keyPair: observed.keyPair,
    metadata,
    ...(withheld.length > 0 ? { withheldMetadata: withheld } : {}),
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
 * also every other key the server has, but those `ignoreMetadata` leaves alone. A value whose key or content looks
 * like a secret is withheld: its key is listed with the reason, never its value.
 */
function managedMetadata(
  observed: ObservedInstance,
  spec: DesiredSpec,
): { metadata: Readonly<Record<string, string | null>>; withheld: { key: string; why: string }[] } {
  if (spec.metadata === undefined) return { metadata: {}, withheld: [] };
  const ignored = globMatcher(spec.ignoreMetadata);
  const keys = new Set(Object.keys(spec.metadata));
  if (spec.metadataPolicy === "exact")
    for (const key of Object.keys(observed.metadata)) if (!ignored(key)) keys.add(key);
  const metadata: Record<string, string | null> = {};
  const withheld: { key: string; why: string }[] = [];
  for (const key of [...keys].sort()) {
    const value = observed.metadata[key];
    const hint = value === undefined ? undefined : (secretNameHint(key) ?? secretHintOf(value));
    if (hint === undefined) metadata[key] = value ?? null;
    else withheld.push({ key, why: `${hint}: not recorded, so a rollback cannot restore it` });
  }
  return { metadata, withheld };
}

function secretHintOf(text: string): string | undefined {
  const hint = secretHint(text);
  return hint === undefined ? undefined : `it looks like it holds a secret (${hint})`;
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
  const hint = secretHintOf(observed.userData);
  if (hint !== undefined) return { state: "digest", sha256: seen.value, why: hint };
  return { state: "content", sha256: seen.value, content: observed.userData };
}
