/** A cloud's own explanation of a failed request. */
export interface CloudMessage {
  readonly message: string;
  /** The cloud's error code or fault name (e.g. "conflictingRequest", "Ecs.0100"). */
  readonly code?: string;
}

const MAX_MESSAGE = 500;

/**
 * Extracts the cloud's message from an error body:
 * Nova `{"<faultName>": {"code", "message"}}`, Keystone `{"error": {"code", "title", "message"}}`,
 * Huawei `{"error": {"code", "message"}}` / `{"error_code", "error_msg"}`, JD `{"error": {"code", "status", "message"}}`,
 * and any top-level `message` / `faultstring`. Falls back to a short plain-text body, then the status text.
 */
export function extractCloudMessage(json: unknown, text: string, status: number): CloudMessage {
  const found = fromJson(json);
  if (found) return found;
  const plain = text.trim();
  if (plain !== "" && !plain.startsWith("<")) return { message: truncate(plain) };
  return { message: `HTTP ${status}` };
}

function fromJson(json: unknown): CloudMessage | undefined {
  if (!isRecord(json)) return undefined;
  const direct = messageOf(json, undefined);
  if (direct) return direct;
  for (const [key, value] of Object.entries(json)) {
    if (!isRecord(value)) continue;
    const nested = messageOf(value, key === "error" ? undefined : key);
    if (nested) return nested;
  }
  return undefined;
}

function messageOf(obj: Record<string, unknown>, faultName: string | undefined): CloudMessage | undefined {
  const message = firstString(obj, ["message", "error_msg", "errorMessage", "faultstring", "detail", "title"]);
  if (message === undefined) return undefined;
  const rawCode = firstString(obj, ["error_code", "errorCode"]) ?? stringCode(obj["code"]) ?? stringCode(obj["status"]);
  const code = faultName ?? rawCode ?? (message === obj["title"] ? undefined : stringCode(obj["title"]));
  return code === undefined ? { message: truncate(message) } : { message: truncate(message), code };
}

function stringCode(code: unknown): string | undefined {
  return typeof code === "string" && code !== "" ? code : undefined;
}

function firstString(obj: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = obj[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
