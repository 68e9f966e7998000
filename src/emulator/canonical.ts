import type { IncomingHttpHeaders } from "node:http";

/** Pieces shared by the emulated gateways' signature verifiers (Huawei's and JD's canonical requests agree on these). */

/** A request header as one string: repeated headers joined with commas, as the signers see them. */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** RFC 3986: unreserved characters stay; everything else is %XX upper case, over UTF-8 bytes. */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A path segment decoded once, or as sent when it is not valid percent-encoding. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
