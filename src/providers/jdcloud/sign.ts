import { createHash, createHmac, randomUUID } from "node:crypto";
import type { Clock } from "../../model/clock.js";
import type { RequestSigner, SignableRequest } from "../http/types.js";

/** JD Cloud's API gateway signature, version 2 (modified from AWS SigV4). */
export const JDCLOUD2_ALGORITHM = "JDCLOUD2-HMAC-SHA256";
const SCOPE_TERMINATOR = "jdcloud2_request";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** Headers never signed: the SDKs add them after signing (or they are the signature itself). */
const UNSIGNED = new Set(["authorization", "user-agent", "x-jdcloud-request-id"]);

export interface JdCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
}

export interface JdSignInput {
  readonly method: string;
  readonly url: URL;
  /** Headers already on the request (names in any case). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly date: string;
  readonly nonce: string;
  readonly region: string;
  /** @default "vm" */
  readonly service?: string;
}

export interface JdSignature {
  /** Headers to add: host, x-jdcloud-date, x-jdcloud-nonce, authorization. */
  readonly headers: Readonly<Record<string, string>>;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signedHeaders: string;
}

/** `2024-01-15T09:30:00.000Z` (or a Date's ms) → `20240115T093000Z`. */
export function jdDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** RFC 3986 escaping with the unreserved set A-Z a-z 0-9 - _ . ~ (so `:` → %3A, `*` → %2A, space → %20). */
function escape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path as sent, each segment decoded then escaped: `i-x:rebuildInstance` and `i-x%3ArebuildInstance` both give the latter. */
function canonicalUri(pathname: string): string {
  if (pathname === "") return "/";
  return pathname
    .split("/")
    .map((segment) => escape(safeDecode(segment)))
    .join("/");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function canonicalQuery(params: URLSearchParams): string {
  const pairs = [...params].map(([k, v]) => [escape(k), escape(v)] as const);
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? compare(va, vb) : compare(ka, kb)));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("JDCLOUD2" + SK, day), region), service), "jdcloud2_request"). */
function signingKey(secretKey: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`JDCLOUD2${secretKey}`, day), region), service), SCOPE_TERMINATOR);
}

/** Signs one request as jdcloud-sdk-js 1.2.202 does: every header but authorization and user-agent is signed. */
export function signJdRequest(input: JdSignInput, credentials: JdCredentials): JdSignature {
  const service = input.service ?? "vm";
  const added = { host: input.url.host, "x-jdcloud-date": input.date, "x-jdcloud-nonce": input.nonce };
  const all = new Map<string, string>();
  for (const [name, value] of Object.entries({ ...input.headers, ...added })) {
    const lower = name.toLowerCase();
    if (!UNSIGNED.has(lower)) all.set(lower, value.trim().replace(/\s+/g, " "));
  }
  const names = [...all.keys()].sort(compare);
  const signedHeaders = names.join(";");
  const canonicalHeaders = names.map((n) => `${n}:${all.get(n) ?? ""}\n`).join("");
  const payloadHash = input.body === undefined || input.body === "" ? EMPTY_SHA256 : sha256Hex(input.body);
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.url.pathname),
    canonicalQuery(input.url.searchParams),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const day = input.date.slice(0, 8);
  const scope = `${day}/${input.region}/${service}/${SCOPE_TERMINATOR}`;
  const stringToSign = [JDCLOUD2_ALGORITHM, input.date, scope, sha256Hex(canonicalRequest)].join("\n");
  const signature = createHmac("sha256", signingKey(credentials.secretKey, day, input.region, service))
    .update(stringToSign, "utf8")
    .digest("hex");
  const authorization = `${JDCLOUD2_ALGORITHM} Credential=${credentials.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: { ...added, authorization }, canonicalRequest, stringToSign, signedHeaders };
}

/** The RequestSigner hook for HttpClient: a fresh date and a fresh random nonce on every attempt (the gateway rejects reuse). */
export class JdSigner implements RequestSigner {
  readonly #credentials: JdCredentials;
  readonly #region: string;
  readonly #clock: Clock;
  readonly #nonce: () => string;

  constructor(options: { credentials: JdCredentials; region: string; clock: Clock; nonce?: () => string }) {
    this.#credentials = options.credentials;
    this.#region = options.region;
    this.#clock = options.clock;
    this.#nonce = options.nonce ?? randomUUID;
  }

  sign(request: SignableRequest): Promise<Readonly<Record<string, string>>> {
    const input: JdSignInput = {
      ...request,
      date: jdDate(this.#clock.now()),
      nonce: this.#nonce(),
      region: this.#region,
    };
    return Promise.resolve(signJdRequest(input, this.#credentials).headers);
  }
}
