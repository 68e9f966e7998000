import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signJdRequest } from "../../providers/jdcloud/sign.js";
import { JD_VECTORS } from "../../providers/jdcloud/test-vectors.js";
import type { JdVector } from "../../providers/jdcloud/test-vectors.js";
import type { SignedRequest } from "./verify.js";
import { canonicalRequestOf, verifyJdSignature } from "./verify.js";

/** The request as the gateway receives it: the SDK's wire URL and headers. */
function received(v: JdVector, overrides: Partial<SignedRequest> = {}): SignedRequest {
  const url = new URL(v.expected.url);
  const headers: Record<string, string> = {};
  const compact = v.date.includes("-") ? v.date.replace(/[-:]/g, "") : v.date;
  Object.assign(headers, {
    accept: "application/json",
    "content-type": "application/json",
    host: url.host,
    "x-jdcloud-date": compact,
    "x-jdcloud-nonce": v.nonce,
    authorization: v.expected.authorization,
  });
  for (const [k, value] of Object.entries(v.headers)) headers[k.toLowerCase()] = value;
  return {
    method: v.method,
    rawPath: url.pathname,
    query: url.searchParams,
    headers,
    body: Buffer.from(v.body ?? ""),
    ...overrides,
  };
}

const secrets = (v: JdVector) => (ak: string) => (ak === v.accessKey ? v.secretKey : undefined);

describe("the emulator's JDCLOUD2 verifier against the SDK's vectors", () => {
  for (const v of JD_VECTORS) {
    it(`accepts ${v.name} and rebuilds its canonical request`, () => {
      const req = received(v);
      expect(canonicalRequestOf(req, v.expected.signedHeaders.split(";"))).toBe(v.expected.canonicalRequest);
      const result = verifyJdSignature(req, secrets(v));
      expect(result).toMatchObject({
        ok: true,
        accessKey: v.accessKey,
        region: v.region,
        service: "vm",
        nonce: v.nonce,
      });
    });
  }

  const v = JD_VECTORS[0]!;
  it("rejects a tampered body, a tampered query and an unknown key", () => {
    expect(verifyJdSignature(received(v, { body: Buffer.from(`${v.body ?? ""} `) }), secrets(v))).toMatchObject({
      ok: false,
      code: "APIGW_SIGN_RESULT_NOT_SAME",
    });
    const list = JD_VECTORS.find((x) => x.name === "describe-instances-filters")!;
    const query = new URL(list.expected.url).searchParams;
    query.set("pageSize", "10");
    expect(verifyJdSignature(received(list, { query }), secrets(list))).toMatchObject({
      ok: false,
      code: "APIGW_SIGN_RESULT_NOT_SAME",
    });
    expect(verifyJdSignature(received(v), () => undefined)).toMatchObject({ ok: false, code: "APIGW_KEY_NOT_EXITST" });
  });

  it("verifies against the SignedHeaders the request lists, and requires host, date and nonce among them", () => {
    const req = received(v);
    const changedUnsigned = { ...req.headers, "user-agent": "something else", "x-other": "not signed" };
    expect(verifyJdSignature({ ...req, headers: changedUnsigned }, secrets(v)).ok).toBe(true);
    const changedSigned = { ...req.headers, accept: "text/plain" };
    expect(verifyJdSignature({ ...req, headers: changedSigned }, secrets(v))).toMatchObject({
      ok: false,
      code: "APIGW_SIGN_RESULT_NOT_SAME",
    });
    const noNonce = { ...req.headers, authorization: v.expected.authorization.replace(";x-jdcloud-nonce", "") };
    expect(verifyJdSignature({ ...req, headers: noNonce }, secrets(v))).toMatchObject({
      ok: false,
      code: "APIGW_LACK_PARAMS",
    });
  });

  it("accepts the path with a literal ':' as well as %3A (same canonical URI)", () => {
    const req = received(v, { rawPath: new URL(v.expected.url).pathname.replace("%3A", ":") });
    expect(verifyJdSignature(req, secrets(v)).ok).toBe(true);
  });

  it("rejects a missing or foreign Authorization header", () => {
    const { authorization: _drop, ...rest } = received(v).headers;
    expect(verifyJdSignature({ ...received(v), headers: rest }, secrets(v))).toMatchObject({ ok: false, status: 401 });
    expect(
      verifyJdSignature(
        {
          ...received(v),
          headers: { ...rest, authorization: "SDK-HMAC-SHA256 Access=x, SignedHeaders=host, Signature=00" },
        },
        secrets(v),
      ),
    ).toMatchObject({ ok: false, status: 401 });
  });
});

describe("the client's signer and the emulator's verifier, written apart, agree", () => {
  const text = fc.string({
    unit: fc.constantFrom("a", "Z", "0", "-", "_", ".", "~", ":", "*", " ", "/", "+", "%", "é", "=", "&"),
    maxLength: 12,
  });
  it("on any path, query and body; and a changed body is refused", () => {
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(text, text), { maxLength: 4 }),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        (segments, params, body) => {
          const url = new URL(`http://127.0.0.1:9/jdcloud/${segments.map(encodeURIComponent).join("/")}`);
          for (const [k, v] of params) url.searchParams.append(k, v);
          const headers = { accept: "application/json", "content-type": "application/json" };
          const sig = signJdRequest(
            { method: "POST", url, headers, body, date: "20240115T093000Z", nonce: "n-1", region: "cn-north-1" },
            { accessKey: "AK", secretKey: "SK" },
          );
          const req: SignedRequest = {
            method: "POST",
            rawPath: url.pathname,
            query: url.searchParams,
            headers: { ...headers, ...sig.headers },
            body: Buffer.from(body ?? ""),
          };
          const secret = (ak: string) => (ak === "AK" ? "SK" : undefined);
          expect(verifyJdSignature(req, secret)).toMatchObject({ ok: true, nonce: "n-1" });
          expect(verifyJdSignature({ ...req, body: Buffer.from(`${body ?? ""}x`) }, secret)).toMatchObject({
            ok: false,
            code: "APIGW_SIGN_RESULT_NOT_SAME",
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
