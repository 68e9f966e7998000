import { hash } from "node:crypto";

/**
 * JSON with object keys sorted at every level and `undefined` members dropped: equal values give equal text. The one
 * serializer for digests (fingerprints, saved-plan checks, canary configurations) and for the plan document on disk
 * (`indent` 2). @default indent none: one line
 */
export function canonicalJson(value: unknown, indent?: number): string {
  if (indent === undefined) {
    const text = plainJson(value);
    if (text !== undefined) return text;
  }
  return JSON.stringify(sortKeys(value), null, indent);
}

/**
 * The one-line text of plain data (null, booleans, numbers, strings, arrays, objects whose prototype is Object's or
 * none), written as it is walked: the same text as `JSON.stringify(sortKeys(value))` without building the sorted copy
 * (this runs for every server's fingerprint). undefined for anything else (a function, a symbol, a bigint, a class
 * instance such as a Date, undefined at the top), which the general path serializes.
 */
function plainJson(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return jsonString(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) {
    let text = "[";
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const json = item === undefined ? "null" : plainJson(item);
      if (json === undefined) return undefined;
      text += i === 0 ? json : `,${json}`;
    }
    return `${text}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const members = value as Record<string, unknown>;
  let text = "{";
  for (const key of canonicalKeyOrder(Object.keys(members))) {
    const member = members[key];
    if (member === undefined) continue;
    const json = plainJson(member);
    if (json === undefined) return undefined;
    text += `${text.length === 1 ? "" : ","}${jsonString(key)}:${json}`;
  }
  return `${text}}`;
}

/** What JSON.stringify must escape in a string: a quote, a backslash, a control character, a surrogate (if lone). */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string's JSON text, as JSON.stringify writes it. A string with nothing to escape (ids, names, dates, digests: most
 * of what a fingerprint holds) is only quoted, without JSON.stringify's machinery, which cost more than the rest of
 * the text.
 */
export function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
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

/**
 * Keys in the order a sorted copy of their object lists them: integer keys ("0", "12") first in numeric order, as
 * every object lists them whatever the insertion order, then the others sorted. Sorts `keys` in place when none is an
 * integer key.
 */
export function canonicalKeyOrder(keys: string[]): string[] {
  if (!keys.some(isIndexKey)) return keys.sort();
  const indexes = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b));
  return [...indexes, ...keys.filter((key) => !isIndexKey(key)).sort()];
}

/** An array index as a property key: "0" or a digit string without a leading zero, below 2^32 - 1. */
function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && /^(0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295;
}

/**
 * Hex sha256 of a text's UTF-8 bytes. Node's one-shot `hash` (Node 20.12+): about 3× faster than a Hash object for the
 * short texts of fingerprints, which every planned server takes.
 */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
