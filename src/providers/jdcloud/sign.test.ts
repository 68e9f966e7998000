import { describe, expect, it } from "vitest";
import { instantClock } from "../../../test/support/instant-clock.js";
import { JdSigner, jdDate, signJdRequest } from "./sign.js";
import { JD_VECTORS } from "./test-vectors.js";
import type { JdVector } from "./test-vectors.js";
import { actionUrl, filterQuery, queryString } from "./vm.js";
import type { JdVerb } from "./vm.js";

function compactDate(date: string): string {
  return date.includes("-") ? jdDate(Date.parse(date)) : date;
}

/** The URL reform's client builds for the vector's request: actionUrl for the `:verb` POSTs, queryString for reads. */
function clientUrl(v: JdVector): URL {
  const given = new URL(v.url);
  const action = /^\/v1\/regions\/([^/]+)\/instances\/([^/:]+):(\w+)$/.exec(given.pathname);
  if (action) return actionUrl(given.origin, action[1]!, action[2]!, action[3] as JdVerb);
  const params: Record<string, string> = {};
  for (const [k, value] of given.searchParams) params[k] = value;
  const query = queryString(params);
  return new URL(`${given.origin}${given.pathname}${query === "" ? "" : `?${query}`}`);
}

describe("JDCLOUD2-HMAC-SHA256 signer against the SDK's vectors", () => {
  for (const v of JD_VECTORS) {
    it(`reproduces ${v.name}`, () => {
      const url = clientUrl(v);
      const headers = { accept: "application/json", "content-type": "application/json", ...v.headers };
      const signed = signJdRequest(
        {
          method: v.method,
          url,
          headers,
          body: v.body ?? undefined,
          date: compactDate(v.date),
          nonce: v.nonce,
          region: v.region,
          service: v.service,
        },
        { accessKey: v.accessKey, secretKey: v.secretKey },
      );
      expect(url.toString()).toBe(v.expected.url);
      expect(signed.canonicalRequest).toBe(v.expected.canonicalRequest);
      expect(signed.stringToSign).toBe(v.expected.stringToSign);
      expect(signed.signedHeaders).toBe(v.expected.signedHeaders);
      expect(signed.headers["authorization"]).toBe(v.expected.authorization);
    });
  }

  it("gives the same canonical URI for a literal ':' and its %3A form", () => {
    const v = JD_VECTORS.find((x) => x.name === "stop-instance-empty-object-body")!;
    const base = {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: "{}",
      date: v.date,
      nonce: v.nonce,
      region: v.region,
    };
    const keys = { accessKey: v.accessKey, secretKey: v.secretKey };
    const literal = signJdRequest({ ...base, url: new URL(v.url) }, keys);
    expect(literal.headers["authorization"]).toBe(v.expected.authorization);
  });

  it("flattens filters and escapes the query as the SDK sent it (space as %20, never +)", () => {
    const v = JD_VECTORS.find((x) => x.name === "describe-instances-filters")!;
    const filters = filterQuery([
      { name: "status", values: ["running", "stopped"] },
      { name: "name", values: ["web 1"] },
    ]);
    expect(`?${queryString({ pageNumber: "1", pageSize: "100", ...filters })}`).toBe(new URL(v.expected.url).search);
  });

  it("builds action URLs with ':' percent-encoded on the wire", () => {
    expect(actionUrl("https://vm.jdcloud-api.com/", "cn-north-1", "i-abcdefgh", "rebuildInstance").toString()).toBe(
      JD_VECTORS[0]!.expected.url,
    );
  });

  it("signs each attempt with a fresh nonce and the clock's date", async () => {
    const clock = instantClock(Date.UTC(2024, 0, 15, 9, 30, 0));
    const signer = new JdSigner({
      credentials: { accessKey: "TESTAK", secretKey: "TESTSK" },
      region: "cn-north-1",
      clock,
    });
    const request = {
      method: "GET",
      url: new URL("https://vm.jdcloud-api.com/v1/regions/cn-north-1/instances"),
      headers: {},
      body: undefined,
    };
    const nonces = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const headers = await signer.sign(request);
      expect(headers["x-jdcloud-date"]).toBe("20240115T093000Z");
      nonces.add(headers["x-jdcloud-nonce"] ?? "");
    }
    expect(nonces.size).toBe(300);
  });

  it("never puts the secret key in the headers it adds", async () => {
    const signer = new JdSigner({
      credentials: { accessKey: "AK1", secretKey: "VERY-SECRET-SK" },
      region: "cn-north-1",
      clock: instantClock(),
    });
    const headers = await signer.sign({
      method: "POST",
      url: new URL("http://127.0.0.1:1/v1/x"),
      headers: {},
      body: "{}",
    });
    expect(JSON.stringify(headers)).not.toContain("VERY-SECRET-SK");
  });
});
