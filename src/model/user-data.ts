import { createHash } from "node:crypto";

/**
 * user_data is compared by a digest of its normalized content, so base64 versus plain text,
 * CRLF versus LF, a BOM or trailing blank lines never show as a diff.
 * Bytes that are not UTF-8 text (gzip, say) are digested as they are.
 */
export function normalizeUserData(text: string): string {
  const body = text
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\s+$/, "");
  return body === "" ? "" : `${body}\n`;
}

/** The digest reform compares user_data by: of the normalized text, or of the bytes when they are not UTF-8. */
export function userDataSha256(content: string | Uint8Array): string {
  const hash = createHash("sha256");
  if (typeof content === "string") {
    hash.update(normalizeUserData(content), "utf8");
    return hash.digest("hex");
  }
  const text = decodeUtf8(content);
  hash.update(text === undefined ? content : Buffer.from(normalizeUserData(text), "utf8"));
  return hash.digest("hex");
}

/** Decodes the base64 text a cloud returns; undefined when it is not base64. */
export function decodeBase64UserData(encoded: string): Uint8Array | undefined {
  const compact = encoded.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  return Buffer.from(compact, "base64");
}

/** The bytes as UTF-8 text; undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
