import { describe, expect, it } from "vitest";
import { canonicalQuery, canonicalRequest, HuaweiSigner, sdkDate, signRequest } from "./sign.js";

import { HUAWEI_VECTORS as VECTORS } from "./test-vectors.js";

/** The vectors give the date either as the SDK header value or as ISO-8601. */
function dateOf(text: string): string {
  return /^\d{8}T\d{6}Z$/.test(text) ? text : sdkDate(Date.parse(text));
}

describe("Huawei SDK-HMAC-SHA256 signer", () => {
  it("has every Huawei vector", () => {
    expect(VECTORS.length).toBe(9);
  });

  for (const v of VECTORS) {
    it(`matches the official SDK byte for byte: ${v.name}`, () => {
      const url = new URL(v.input.url);
      const added = signRequest({
        method: v.input.method,
        url,
        headers: v.input.headers,
        body: v.expected.bodySigned ?? undefined,
        credentials: {
          accessKey: v.input.accessKey,
          secretKey: v.input.secretKey,
          ...(v.input.securityToken ? { securityToken: v.input.securityToken } : {}),
        },
        date: dateOf(v.input.date),
        ...(v.input.projectId ? { projectId: v.input.projectId } : {}),
      });
      expect(added["Authorization"]).toBe(v.expected.headers["Authorization"]);
      expect(added["X-Sdk-Date"]).toBe(v.expected.headers["X-Sdk-Date"]);
      expect(added["host"]).toBe(v.expected.headers["host"]);
      expect(added["X-Project-Id"]).toBe(v.expected.headers["X-Project-Id"]);
      expect(added["X-Security-Token"]).toBe(v.expected.headers["X-Security-Token"]);
      const signed: Record<string, string> = {};
      for (const [k, val] of Object.entries({ ...v.input.headers, ...added }))
        if (k !== "Authorization") signed[k] = val;
      expect(canonicalRequest(v.input.method, url, signed, v.expected.bodySigned ?? undefined).canonicalRequest).toBe(
        v.expected.canonicalRequest,
      );
    });
  }

  it("sorts repeated query values and encodes spaces as %20", () => {
    expect(canonicalQuery(new URLSearchParams("b=2&a=z&a=y&c=x%20y"))).toBe("a=y&a=z&b=2&c=x%20y");
  });

  it("a changed byte in the body changes the signature", () => {
    const base = {
      method: "POST",
      url: new URL("http://127.0.0.1:1/v1/p/cloudservers/x/metadata"),
      headers: { "content-type": "application/json" },
      credentials: { accessKey: "AK", secretKey: "SK" },
      date: "20240115T093000Z",
    };
    expect(signRequest({ ...base, body: '{"a":1}' })["Authorization"]).not.toBe(
      signRequest({ ...base, body: '{"a":2}' })["Authorization"],
    );
  });

  it("the RequestSigner leaves user-agent and accept unsigned and always sends content-type", async () => {
    const signer = new HuaweiSigner({ accessKey: "AK", secretKey: "SK" }, "proj", () => Date.UTC(2024, 0, 15, 9, 30));
    const added = await signer.sign({
      method: "GET",
      url: new URL("http://127.0.0.1:9/v1/proj/jobs/j"),
      headers: { accept: "application/json", "user-agent": "reform" },
      body: undefined,
    });
    expect(added["content-type"]).toBe("application/json");
    expect(added["X-Sdk-Date"]).toBe("20240115T093000Z");
    expect(added["Authorization"]).toContain("SignedHeaders=content-type;host;x-project-id;x-sdk-date,");
    expect(JSON.stringify(added)).not.toContain('SK"');
  });

  it("without a project id (the IAM lookup of that id) sends and signs no X-Project-Id", async () => {
    const signer = new HuaweiSigner({ accessKey: "AK", secretKey: "SK" }, undefined, () =>
      Date.UTC(2024, 0, 15, 9, 30),
    );
    const added = await signer.sign({
      method: "GET",
      url: new URL("http://127.0.0.1:9/v3/projects?name=cn-north-4"),
      headers: {},
      body: undefined,
    });
    expect(Object.keys(added).map((k) => k.toLowerCase())).not.toContain("x-project-id");
    expect(added["Authorization"]).toContain("SignedHeaders=content-type;host;x-sdk-date,");
  });
});
