import { createHash, createHmac } from "node:crypto";
import type { RequestSigner, SignableRequest } from "../http/types.js";

/** Temporary or permanent AK/SK credentials. The secret key is only ever used as an HMAC key. */
export interface HuaweiCredentials {
  readonly accessKey: string;
  readonly secretKey: string;
  /** X-Security-Token of temporary credentials. @default undefined */
  readonly securityToken?: string;
}

export const ALGORITHM = "SDK-HMAC-SHA256";

/** Headers never signed: the HTTP client adds them (or they are added after signing by the official SDK). */
const UNSIGNED = new Set(["authorization", "user-agent", "accept", "content-length", "connection"]);

/** `20240115T093000Z` from a time in ms. */
export function sdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** RFC 3986 percent-encoding with upper-case hex; unreserved A-Z a-z 0-9 - _ . ~ kept. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path, each segment encoded, with a trailing "/" (the SDK signs `/v1/p/cloudservers/detail/`). */
export function canonicalUri(pathname: string): string {
  const path = pathname
    .split("/")
    .map((s) => encode(safeDecode(s)))
    .join("/");
  return path.endsWith("/") ? path : `${path}/`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Keys sorted, each value of a repeated key sorted too, `enc(k)=enc(v)` joined by `&`. */
export function canonicalQuery(params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  return keys
    .flatMap((key) => [...params.getAll(key)].sort().map((value) => `${encode(key)}=${encode(value)}`))
    .join("&");
}

export interface CanonicalParts {
  readonly canonicalRequest: string;
  readonly signedHeaders: string;
}

/** The canonical request over the given headers (names lower-cased by the caller or here). */
export function canonicalRequest(
  method: string,
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
): CanonicalParts {
  const lower = Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v] as const);
  lower.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = lower.map(([k]) => k).join(";");
  const payload = createHash("sha256")
    .update(body ?? "", "utf8")
    .digest("hex");
  const lines = [
    method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    ...lower.map(([k, v]) => `${k}:${v}`),
    "",
    signedHeaders,
    payload,
  ];
  return { canonicalRequest: lines.join("\n"), signedHeaders };
}

export function stringToSign(date: string, canonical: string): string {
  return `${ALGORITHM}\n${date}\n${createHash("sha256").update(canonical, "utf8").digest("hex")}`;
}

export interface SignInput {
  readonly method: string;
  readonly url: URL;
  /** Headers already on the request (content-type, extra headers such as the microversion). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly credentials: HuaweiCredentials;
  /** `YYYYMMDDTHHMMSSZ`. */
  readonly date: string;
  readonly projectId?: string;
}

/** The headers the official SDK adds: X-Sdk-Date, host, X-Project-Id, X-Security-Token and Authorization. */
export function signRequest(input: SignInput): Record<string, string> {
  const added: Record<string, string> = {
    ...(input.credentials.securityToken ? { "X-Security-Token": input.credentials.securityToken } : {}),
    ...(input.projectId ? { "X-Project-Id": input.projectId } : {}),
    "X-Sdk-Date": input.date,
    host: input.url.host,
  };
  const signed: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...input.headers, ...added })) {
    if (!UNSIGNED.has(name.toLowerCase()) && !name.includes("_")) signed[name.toLowerCase()] = value;
  }
  const parts = canonicalRequest(input.method, input.url, signed, input.body);
  const signature = createHmac("sha256", input.credentials.secretKey)
    .update(stringToSign(input.date, parts.canonicalRequest), "utf8")
    .digest("hex");
  return {
    ...added,
    Authorization: `${ALGORITHM} Access=${input.credentials.accessKey}, SignedHeaders=${parts.signedHeaders}, Signature=${signature}`,
  };
}

/**
 * The RequestSigner for HttpClient: signs every attempt with the current time (the SDK sends content-type on every call).
 * Without a project id (the IAM lookup of that id) no X-Project-Id is sent, as with the SDK's credentials before it.
 */
export class HuaweiSigner implements RequestSigner {
  readonly #credentials: HuaweiCredentials;
  readonly #projectId: string | undefined;
  readonly #now: () => number;

  constructor(credentials: HuaweiCredentials, projectId: string | undefined, now: () => number) {
    this.#credentials = credentials;
    this.#projectId = projectId;
    this.#now = now;
  }

  sign(request: SignableRequest): Promise<Readonly<Record<string, string>>> {
    const headers = { ...request.headers, "content-type": "application/json" };
    const added = signRequest({
      method: request.method,
      url: request.url,
      headers,
      body: request.body,
      credentials: this.#credentials,
      date: sdkDate(this.#now()),
      ...(this.#projectId ? { projectId: this.#projectId } : {}),
    });
    return Promise.resolve({ "content-type": "application/json", ...added });
  }
}
