import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { decodeSegment, headerValue, percentEncode } from "../canonical.js";

/**
 * The JD API gateway's side of JDCLOUD2-HMAC-SHA256, written apart from the client's signer on purpose:
 * the canonical request is rebuilt from the SignedHeaders the request lists, the raw path and the raw body bytes.
 */
export interface SignedRequest {
  readonly method: string;
  /** The full path as received (percent-encoding kept), e.g. `/jdcloud/v1/regions/r/instances/i-1%3AstopInstance`. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Verification =
  | {
      readonly ok: true;
      readonly accessKey: string;
      readonly region: string;
      readonly service: string;
      readonly date: string;
      readonly nonce: string;
    }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: string; readonly message: string };

const AUTH_PATTERN =
  /^JDCLOUD2-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/jdcloud2_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;
const REQUIRED_SIGNED = ["host", "x-jdcloud-date", "x-jdcloud-nonce"];

function fail(status: 401 | 403, code: string, message: string): Verification {
  return { ok: false, status, code, message };
}

/** The canonical request the client should have signed. */
export function canonicalRequestOf(req: SignedRequest, signedHeaders: readonly string[]): string {
  const uri =
    req.rawPath === ""
      ? "/"
      : req.rawPath
          .split("/")
          .map((s) => percentEncode(decodeSegment(s)))
          .join("/");
  const query = [...req.query]
    .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
    .sort((a, b) => {
      const [ka = "", va = ""] = a.split("=");
      const [kb = "", vb = ""] = b.split("=");
      return ka === kb ? (va < vb ? -1 : va > vb ? 1 : 0) : ka < kb ? -1 : 1;
    })
    .join("&");
  const headers = signedHeaders
    .map((name) => `${name}:${(headerValue(req.headers, name) ?? "").trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const payload = createHash("sha256").update(req.body).digest("hex");
  return [req.method.toUpperCase(), uri, query, headers, signedHeaders.join(";"), payload].join("\n");
}

/** Checks the Authorization header of a request; `secretOf` maps an access key to its secret (undefined: unknown key). */
export function verifyJdSignature(
  req: SignedRequest,
  secretOf: (accessKey: string) => string | undefined,
): Verification {
  const authorization = headerValue(req.headers, "authorization");
  if (!authorization) return fail(401, "APIGW_LACK_PARAMS", "missing Authorization header");
  const match = AUTH_PATTERN.exec(authorization.trim());
  if (!match) return fail(401, "APIGW_LACK_PARAMS", "Authorization is not a JDCLOUD2-HMAC-SHA256 credential");
  const [, accessKey = "", day = "", region = "", service = "", signedList = "", signature = ""] = match;
  const signed = signedList.split(";");
  const missing = REQUIRED_SIGNED.filter((h) => !signed.includes(h));
  if (missing.length > 0) return fail(401, "APIGW_LACK_PARAMS", `SignedHeaders must include ${missing.join(", ")}`);
  const unsent = signed.filter((h) => headerValue(req.headers, h) === undefined);
  if (unsent.length > 0) return fail(401, "APIGW_LACK_PARAMS", `signed headers not sent: ${unsent.join(", ")}`);
  const date = headerValue(req.headers, "x-jdcloud-date") ?? "";
  if (!/^\d{8}T\d{6}Z$/.test(date) || date.slice(0, 8) !== day)
    return fail(401, "APIGW_LACK_PARAMS", "x-jdcloud-date must be YYYYMMDDTHHMMSSZ of the credential's day");
  const secret = secretOf(accessKey);
  if (secret === undefined) return fail(401, "APIGW_KEY_NOT_EXITST", "the access key does not exist");
  const scope = `${day}/${region}/${service}/jdcloud2_request`;
  const hashed = createHash("sha256").update(canonicalRequestOf(req, signed), "utf8").digest("hex");
  const stringToSign = `JDCLOUD2-HMAC-SHA256\n${date}\n${scope}\n${hashed}`;
  let key: Buffer = createHmac("sha256", `JDCLOUD2${secret}`).update(day).digest();
  for (const part of [region, service, "jdcloud2_request"]) key = createHmac("sha256", key).update(part).digest();
  const expected = createHmac("sha256", key).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex")))
    return fail(401, "APIGW_SIGN_RESULT_NOT_SAME", "the request signature does not match");
  return { ok: true, accessKey, region, service, date, nonce: headerValue(req.headers, "x-jdcloud-nonce") ?? "" };
}

/** `YYYYMMDDTHHMMSSZ` → ms since the epoch. */
export function parseJdDate(date: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}
