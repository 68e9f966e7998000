import { isRecord } from "../http.js";
import { UUID_PATTERN } from "../ids.js";
import type { Microversion } from "./microversion.js";
import { atLeast } from "./microversion.js";
import { NovaError } from "./nova-common.js";

export const MAX_METADATA_ITEMS = 128;
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function invalidInput(field: string, value: unknown, detail: string): NovaError {
  return new NovaError(400, `Invalid input for field/attribute ${field}. Value: ${show(value)}. ${detail}`);
}

/** Nova's metadata schema: keys `^[a-zA-Z0-9-_:. ]{1,255}$`, values strings of at most 255 characters. */
export function validateMetadata(value: unknown, field = "metadata"): Record<string, string> {
  if (!isRecord(value)) throw invalidInput(field, value, `${show(value)} is not of type 'object'`);
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!METADATA_KEY.test(key))
      throw invalidInput(field, value, `Additional properties are not allowed ('${key}' was unexpected)`);
    if (typeof item !== "string") throw invalidInput(`${field}/${key}`, item, `${show(item)} is not of type 'string'`);
    if (item.length > 255) throw invalidInput(`${field}/${key}`, item, `'${item.slice(0, 20)}...' is too long`);
    result[key] = item;
  }
  return result;
}

export function checkMetadataQuota(count: number): void {
  if (count > MAX_METADATA_ITEMS)
    throw new NovaError(
      403,
      `Quota exceeded for metadata_items: Requested ${count}, but already used 0 of ${MAX_METADATA_ITEMS} metadata_items`,
    );
}

/** The rebuild body keys Nova's schema allows at a microversion (`additionalProperties: false`). */
export function rebuildFields(v: Microversion): Set<string> {
  const fields = [
    "imageRef",
    "name",
    "adminPass",
    "metadata",
    "preserve_ephemeral",
    "OS-DCF:diskConfig",
    "accessIPv4",
    "accessIPv6",
  ];
  if (!atLeast(v, 57)) fields.push("personality");
  if (atLeast(v, 19)) fields.push("description");
  if (atLeast(v, 54)) fields.push("key_name");
  if (atLeast(v, 57)) fields.push("user_data");
  if (atLeast(v, 63)) fields.push("trusted_image_certificates");
  if (atLeast(v, 90)) fields.push("hostname");
  return new Set(fields);
}

export function checkAllowed(field: string, body: Record<string, unknown>, allowed: Set<string>): void {
  for (const key of Object.keys(body)) {
    if (!allowed.has(key))
      throw invalidInput(field, body, `Additional properties are not allowed ('${key}' was unexpected)`);
  }
}

export function validateUuid(field: string, value: unknown): string {
  if (typeof value !== "string" || !UUID_PATTERN.test(value))
    throw invalidInput(field, value, `${show(value)} is not a 'uuid'`);
  return value;
}

export function validateName(field: string, value: unknown): string {
  if (typeof value !== "string" || value.length < 1 || value.length > 255 || value.trim() !== value) {
    throw invalidInput(field, value, `${show(value)} does not match a valid name`);
  }
  return value;
}

/** key_name: 1–255 characters, or null where `nullable`. */
export function validateKeyName(value: unknown, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value !== "string" || value.length < 1 || value.length > 255)
    throw invalidInput("key_name", value, `${show(value)} is not valid under any of the given schemas`);
  return value;
}

/** user_data: base64 text of at most 65535 characters, or null where `nullable`. */
export function validateUserData(value: unknown, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  const compact = typeof value === "string" ? value.replace(/\s+/g, "") : "";
  if (typeof value !== "string" || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    throw invalidInput("user_data", typeof value === "string" ? "<user_data>" : value, "is not a 'base64'");
  }
  if (value.length > 65535) throw invalidInput("user_data", "<user_data>", "is too long");
  return value;
}
