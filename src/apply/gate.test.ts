import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstanceChange } from "../model/change.js";
import type { ReadinessGate } from "../model/desired.js";
import type { ObservedInstance } from "../model/observed.js";
import type { GateSubject } from "./gate.js";
import { describeTarget, gateSubjectOf, gateTarget, waitForGate } from "./gate.js";
import { instantClock } from "../../test/support/instant-clock.js";

const http = (url: string): Extract<ReadinessGate, { type: "http" }> => ({
  type: "http",
  url,
  timeoutMs: 1000,
  intervalMs: 500,
});
/** A lone surrogate: what no URL can carry. */
/** Any UTF-16 string, lone surrogates included, mostly URL syntax (fast-check's `unit: "binary"` is far slower). */
const utf16 = fc
  .array(
    fc.oneof(
      fc.constantFrom(..."@:/?#[]%{}. ".split("").map((c) => c.charCodeAt(0))),
      fc.integer({ min: 0x20, max: 0x7e }),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    { minLength: 1, maxLength: 30 },
  )
  .map((codes) => String.fromCharCode(...codes));
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const subject: GateSubject = {
  id: "3f1c0000-0000-4000-8000-000000000001",
  name: "web-1",
  addresses: ["10.0.0.7", "fd00::7"],
  provider: "dc1",
};
const sim: GateSubject = { ...subject, provider: "local", health: "http://127.0.0.1:40123/health" };

describe("gateTarget: placeholders in a gate URL", () => {
  it("replaces {address}, {id} and {name}, every occurrence", () => {
    expect(gateTarget(http("http://{address}:8080/ready?id={id}&name={name}&again={name}"), subject)).toEqual({
      type: "http",
      url: "http://10.0.0.7:8080/ready?id=3f1c0000-0000-4000-8000-000000000001&name=web-1&again=web-1",
    });
    expect(gateTarget(http("https://{name}.example.internal/healthz"), subject)).toEqual({
      type: "http",
      url: "https://web-1.example.internal/healthz",
    });
    expect(
      gateTarget({ ...http("http://{address}/x"), expectStatus: 204 }, { ...subject, addresses: ["fd00::7"] }),
    ).toEqual({ type: "http", url: "http://[fd00::7]/x", expectStatus: 204 });
  });

  it("needs an address only when the URL (or a tcp gate) uses one", () => {
    const none = { ...subject, addresses: [] };
    expect(gateTarget(http("http://monitor.example/servers/{id}"), none)).toEqual({
      type: "http",
      url: "http://monitor.example/servers/3f1c0000-0000-4000-8000-000000000001",
    });
    expect(gateTarget(http("http://{address}/"), none)).toEqual({
      type: "error",
      why: "the server has no IP address to probe",
    });
    expect(gateTarget({ type: "tcp", port: 22, timeoutMs: 1000, intervalMs: 500 }, none)).toEqual({
      type: "error",
      why: "the server has no IP address to probe",
    });
  });

  it("percent-encodes a name or id, so the cloud's value cannot change where the probe goes", () => {
    const hostile = { ...subject, name: "x@evil.example:80/../admin?a=1#", id: "a/b" };
    expect(gateTarget(http("http://127.0.0.1:9/servers/{name}/{id}"), hostile)).toEqual({
      type: "http",
      url: "http://127.0.0.1:9/servers/x%40evil.example%3A80%2F..%2Fadmin%3Fa%3D1%23/a%2Fb",
    });
    expect(gateTarget(http("http://{name}/"), { ...subject, name: "ünï code" })).toEqual({
      type: "error",
      why: "http://%C3%BCn%C3%AF%20code/ is not an http:// or https:// URL once its placeholders are replaced",
    });
    // A name that holds a placeholder is not replaced again.
    expect(gateTarget(http("http://h/{name}/{id}"), { ...subject, name: "{id}" })).toEqual({
      type: "http",
      url: "http://h/%7Bid%7D/3f1c0000-0000-4000-8000-000000000001",
    });
  });

  it("a name or id that is a URL path step ('.' or '..') is refused: the parser would take it as a step up", () => {
    for (const name of [".", ".."])
      expect(gateTarget(http("http://10.1.2.3:8080/servers/{name}/health"), { ...subject, name })).toEqual({
        type: "error",
        why: `the server's name '${name}' is a path step in a URL (it would move the probe to another path)`,
      });
  });

  it("property: {id} and {name} never change the origin or the credentials the fleet file wrote, and decode back to the values", () => {
    fc.assert(
      fc.property(utf16, utf16, (name, id) => {
        const target = gateTarget(http("http://probe:pw@10.1.2.3:8080/servers/{name}?id={id}"), {
          ...subject,
          name,
          id,
        });
        // Each value that cannot go into the URL has its own refusal; when both cannot, either is the answer.
        const refusals = [
          ...([name, id].some((value) => value === "." || value === "..") ? ["is a path step in a URL"] : []),
          ...(LONE_SURROGATE.test(name) || LONE_SURROGATE.test(id)
            ? ["is not well-formed Unicode and cannot be put in a URL"]
            : []),
        ];
        if (refusals.length > 0) {
          expect(target.type).toBe("error");
          const why = target.type === "error" ? target.why : "";
          expect(refusals.some((refusal) => why.includes(refusal))).toBe(true);
          return;
        }
        expect(target.type).toBe("http");
        const url = new URL(target.type === "http" ? target.url : "");
        expect([url.origin, url.username, url.password]).toEqual(["http://10.1.2.3:8080", "probe", "pw"]);
        expect(decodeURIComponent(url.pathname.slice("/servers/".length))).toBe(name);
        expect(url.searchParams.get("id")).toBe(id);
        expect(url.hash).toBe("");
      }),
    );
  });

  it("a leading {health} is the sim provider's health route; on another provider it is an error naming the provider", () => {
    expect(gateTarget(http("{health}/servers/{id}"), sim)).toEqual({
      type: "http",
      url: "http://127.0.0.1:40123/health/servers/3f1c0000-0000-4000-8000-000000000001",
    });
    expect(gateTarget(http("{health}/servers/{name}"), sim)).toEqual({
      type: "http",
      url: "http://127.0.0.1:40123/health/servers/web-1",
    });
    expect(gateTarget(http("{health}/servers/{name}"), subject)).toEqual({
      type: "error",
      why: "{health} is the embedded simulator's health route, and provider dc1 is not a sim provider",
    });
    // Only at the start: elsewhere it is left as written (and the URL is the fleet file's own).
    expect(gateTarget(http("http://10.0.0.1/{health}"), sim)).toEqual({
      type: "http",
      url: "http://10.0.0.1/{health}",
    });
  });

  it("a gate that cannot be targeted fails without a probe", async () => {
    let probed = 0;
    const result = await waitForGate(http("{health}/servers/{id}"), subject, {
      clock: instantClock(0),
      signal: new AbortController().signal,
      probe: async () => (probed++, { ok: true }),
    });
    expect(result).toEqual({
      type: "failed",
      why: "readiness gate: {health} is the embedded simulator's health route, and provider dc1 is not a sim provider",
    });
    expect(probed).toBe(0);
  });
});

describe("gateSubjectOf", () => {
  const change = { address: "local/web-1", provider: "local", id: "id-planned", name: "web-1" } as InstanceChange;
  it("takes the server as last read, else as planned, and the adapter's health route when it has one", () => {
    const instance = { id: "id-read", name: "web-1-renamed", addresses: ["10.0.0.9"] } as unknown as ObservedInstance;
    expect(gateSubjectOf(change, instance, { healthUrl: "http://127.0.0.1:1/health" })).toEqual({
      id: "id-read",
      name: "web-1-renamed",
      addresses: ["10.0.0.9"],
      provider: "local",
      health: "http://127.0.0.1:1/health",
    });
    expect(gateSubjectOf(change, undefined, {})).toEqual({
      id: "id-planned",
      name: "web-1",
      addresses: [],
      provider: "local",
    });
  });
});

describe("describeTarget", () => {
  it("never shows a gate URL's password, even one holding '@'", () => {
    expect(describeTarget({ type: "http", url: "http://probe:p@ss@10.1.2.3:8080/ready" })).toBe(
      "http://(credentials)@10.1.2.3:8080/ready",
    );
    expect(describeTarget({ type: "http", url: "http://10.1.2.3/ready" })).toBe("http://10.1.2.3/ready");
  });
});
