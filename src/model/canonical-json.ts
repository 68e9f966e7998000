import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level and `undefined` members dropped: equal values give equal text. The one
 * serializer for digests (fingerprints, saved-plan checks, canary configurations) and for the plan document on disk
 * (`indent` 2). @default indent none: one line
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value === null || typeof value !== "object") return value;
  const members = value as Record<string, unknown>;
  // No prototype, so that a "__proto__" member is assigned as data (on a plain object it would set the prototype and be lost).
  // A loop rather than Object.fromEntries: this runs for every server's fingerprint, and the entry arrays were most of its cost.
  const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(members).sort()) {
    const member = members[key];
    if (member !== undefined) sorted[key] = sortKeys(member);
  }
  return sorted;
}

/** Hex sha256 of a text's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
