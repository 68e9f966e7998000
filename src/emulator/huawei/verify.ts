import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { decodeSegment, headerValue, percentEncode } from "../canonical.js";

/**
 * Verification of Huawei's SDK-HMAC-SHA256 signatures, written apart from the client's signer (a shared
 * signer would let a signing bug pass every test). The canonical request is rebuilt from the SignedHeaders
 * list of the Authorization header, as the API gateway does.
 */
export interface SignedRequestView {
  readonly method: string;
  /** The path as the client sent it (percent-encoded), service prefix included. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Verification =
  { readonly ok: true; readonly accessKey: string } | { readonly ok: false; readonly reason: string };

const AUTH_PATTERN = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/;

function uriForSigning(rawPath: string): string {
  const joined = rawPath
    .split("/")
    .map((part) => percentEncode(decodeSegment(part)))
    .join("/");
  return joined.endsWith("/") ? joined : `${joined}/`;
}

function queryForSigning(query: URLSearchParams): string {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of query) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  const pairs: string[] = [];
  for (const key of [...grouped.keys()].sort()) {
    for (const value of (grouped.get(key) ?? []).sort()) pairs.push(`${percentEncode(key)}=${percentEncode(value)}`);
  }
  return pairs.join("&");
}

/** The canonical request the client must have signed, from the names it says it signed. */
export function rebuildCanonical(req: SignedRequestView, signedNames: readonly string[]): string {
  const headerLines = signedNames.map((name) => `${name}:${headerValue(req.headers, name) ?? ""}`);
  const bodyHash = createHash("sha256").update(req.body).digest("hex");
  return [
    req.method.toUpperCase(),
    uriForSigning(req.rawPath),
    queryForSigning(req.query),
    ...headerLines,
    "",
    signedNames.join(";"),
    bodyHash,
  ].join("\n");
}

/** `20240115T093000Z` → ms since the epoch; NaN when malformed. */
export function parseSdkDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export interface VerifyOptions {
  /** Secret key per access key. */
  readonly secrets: ReadonlyMap<string, string>;
  /** ms since the epoch. */
  readonly now: number;
  /** Largest accepted difference between X-Sdk-Date and now. @default 15 minutes */
  readonly maxSkewMs?: number;
}

/** Checks a request's Authorization header. Reasons never include the secret or the expected signature. */
export function verifySignature(req: SignedRequestView, options: VerifyOptions): Verification {
  const auth = headerValue(req.headers, "authorization");
  if (!auth) return { ok: false, reason: "missing Authorization header" };
  const m = AUTH_PATTERN.exec(auth.trim());
  if (!m) return { ok: false, reason: "Authorization is not an SDK-HMAC-SHA256 signature" };
  const [, accessKey = "", signedList = "", signature = ""] = m;
  const secret = options.secrets.get(accessKey);
  if (secret === undefined) return { ok: false, reason: "unknown access key" };
  const names = signedList.split(";");
  const sorted = [...names].sort();
  if (names.join(";") !== sorted.join(";") || names.some((n) => n !== n.toLowerCase()))
    return { ok: false, reason: "SignedHeaders must be lower-case and sorted" };
  if (!names.includes("host") || !names.includes("x-sdk-date"))
    return { ok: false, reason: "host and x-sdk-date must be signed" };
  const date = headerValue(req.headers, "x-sdk-date") ?? "";
  const when = parseSdkDate(date);
  if (Number.isNaN(when)) return { ok: false, reason: "X-Sdk-Date is not YYYYMMDDTHHMMSSZ" };
  if (Math.abs(options.now - when) > (options.maxSkewMs ?? 15 * 60_000))
    return { ok: false, reason: "X-Sdk-Date is too far from the server's time" };
  const canonical = rebuildCanonical(req, names);
  const toSign = `SDK-HMAC-SHA256\n${date}\n${createHash("sha256").update(canonical).digest("hex")}`;
  const expected = createHmac("sha256", secret).update(toSign).digest();
  const given = Buffer.from(signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "signature mismatch" };
  return { ok: true, accessKey };
}
