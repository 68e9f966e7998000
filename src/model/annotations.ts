import type { Annotations } from "./observed.js";

/**
 * What reform records in a server's own metadata, for what the cloud does not show
 * (user_data to non-admins, the last reboot token) and for drift detection.
 * Keys match Nova's metadata key pattern `^[a-zA-Z0-9-_:. ]{1,255}$`.
 */
export const ANNOTATION_PREFIX = "reform.";

/** The metadata key of each annotation reform writes. */
export const ANNOTATION_KEYS = {
  userDataSha256: "reform.user_data.sha256",
  rebootToken: "reform.reboot.token",
  appliedSha256: "reform.applied.sha256",
} as const satisfies Record<keyof Annotations, string>;

/** Whether a metadata key is reform's (`reform.*`), never the user's. */
export function isAnnotationKey(key: string): boolean {
  return key.startsWith(ANNOTATION_PREFIX);
}

/** Splits a server's metadata into user keys and reform's annotations (unknown `reform.*` keys are dropped). */
export function splitAnnotations(metadata: Readonly<Record<string, string>>): {
  readonly user: Record<string, string>;
  readonly annotations: Annotations;
} {
  const user: Record<string, string> = {};
  const annotations: { -readonly [K in keyof Annotations]: Annotations[K] } = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (!isAnnotationKey(key)) user[key] = value;
    else if (key === ANNOTATION_KEYS.userDataSha256) annotations.userDataSha256 = value;
    else if (key === ANNOTATION_KEYS.rebootToken) annotations.rebootToken = value;
    else if (key === ANNOTATION_KEYS.appliedSha256) annotations.appliedSha256 = value;
  }
  return { user, annotations };
}

/** The metadata entries that record `annotations`. */
export function annotationEntries(annotations: Annotations): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const field of Object.keys(ANNOTATION_KEYS) as (keyof Annotations)[]) {
    const value = annotations[field];
    if (value !== undefined) entries[ANNOTATION_KEYS[field]] = value;
  }
  return entries;
}
