import { describe, expect, it } from "vitest";
import { HUAWEI_VECTORS } from "../../providers/huawei/test-vectors.js";
import type { SignedRequestView } from "./verify.js";
import { parseSdkDate, rebuildCanonical, verifySignature } from "./verify.js";

/** A request as the official SDK sent it for a vector: its headers (lower-cased, as node:http gives them) and body. */
function sentBy(v: (typeof HUAWEI_VECTORS)[number], tamper: Partial<SignedRequestView> = {}): SignedRequestView {
  const url = new URL(v.input.url);
  const headers: Record<string, string> = {};
  for (const [k, value] of Object.entries(v.expected.headers)) headers[k.toLowerCase()] = value;
  headers["user-agent"] = "huaweicloud-usdk-nodejs/3.0";
  return {
    method: v.input.method,
    rawPath: url.pathname,
    query: url.searchParams,
    headers,
    body: Buffer.from(v.expected.bodySigned ?? "", "utf8"),
    ...tamper,
  };
}

function optionsFor(v: (typeof HUAWEI_VECTORS)[number]) {
  return {
    secrets: new Map([[v.input.accessKey, v.input.secretKey]]),
    now: parseSdkDate(v.expected.headers["X-Sdk-Date"] ?? ""),
  };
}

describe("Huawei signature verifier", () => {
  for (const v of HUAWEI_VECTORS) {
    it(`accepts what the official SDK sent: ${v.name}`, () => {
      const req = sentBy(v);
      const names = (/SignedHeaders=([^,]+)/.exec(v.expected.headers["Authorization"] ?? "")?.[1] ?? "").split(";");
      expect(rebuildCanonical(req, names)).toBe(v.expected.canonicalRequest);
      expect(verifySignature(req, optionsFor(v))).toEqual({ ok: true, accessKey: v.input.accessKey });
    });
  }

  const v = HUAWEI_VECTORS.find((x) => x.name === "loopback-emulator-with-port-and-security-token")!;

  it("rejects a tampered body, path, query or signed header", () => {
    expect(verifySignature(sentBy(v, { body: Buffer.from("{}") }), optionsFor(v))).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
    expect(verifySignature(sentBy(v, { rawPath: "/v1/other/cloudservers" }), optionsFor(v)).ok).toBe(false);
    expect(verifySignature(sentBy(v, { query: new URLSearchParams("a=1") }), optionsFor(v)).ok).toBe(false);
    const req = sentBy(v);
    expect(
      verifySignature({ ...req, headers: { ...req.headers, "x-security-token": "other" } }, optionsFor(v)).ok,
    ).toBe(false);
  });

  it("rejects a wrong secret, an unknown key, a missing header and a stale date", () => {
    expect(verifySignature(sentBy(v), { ...optionsFor(v), secrets: new Map([[v.input.accessKey, "wrong"]]) }).ok).toBe(
      false,
    );
    expect(verifySignature(sentBy(v), { ...optionsFor(v), secrets: new Map() })).toEqual({
      ok: false,
      reason: "unknown access key",
    });
    const req = sentBy(v);
    const { authorization: _dropped, ...rest } = req.headers;
    expect(verifySignature({ ...req, headers: rest }, optionsFor(v))).toEqual({
      ok: false,
      reason: "missing Authorization header",
    });
    expect(verifySignature(req, { ...optionsFor(v), now: optionsFor(v).now + 3_600_000 }).ok).toBe(false);
  });

  it("never puts the secret key in a reason", () => {
    const result = verifySignature(sentBy(v, { body: Buffer.from("x") }), optionsFor(v));
    expect(JSON.stringify(result)).not.toContain(v.input.secretKey);
  });
});
