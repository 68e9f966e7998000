import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractCloudMessage } from "./cloud-message.js";
import { REDACTED_VALUE, redactHeaders, redactUrl } from "./redact.js";
import { DEFAULT_RETRY_POLICY, backoffDelay, isRetryableStatus, parseRetryAfter } from "./retry.js";

describe("redactHeaders", () => {
  it("replaces credential headers whatever their case and keeps the others", () => {
    const out = redactHeaders({
      "X-Auth-Token": "t1",
      "x-subject-token": "t2",
      Authorization: "SDK-HMAC-SHA256 Signature=abc",
      "X-Sdk-Date": "20261123T000000Z",
      "Content-Type": "application/json",
      "x-jdcloud-signature": "s",
    });
    expect(out).toEqual({
      "X-Auth-Token": REDACTED_VALUE,
      "x-subject-token": REDACTED_VALUE,
      Authorization: REDACTED_VALUE,
      "X-Sdk-Date": "20261123T000000Z",
      "Content-Type": "application/json",
      "x-jdcloud-signature": REDACTED_VALUE,
    });
  });

  it("never lets the value of a secret header through (property)", () => {
    const secretName = fc.constantFrom(
      "X-Auth-Token",
      "x-auth-token",
      "X-Subject-Token",
      "Authorization",
      "AUTHORIZATION",
      "X-Jdcloud-Signature",
      "x-service-token",
    );
    fc.assert(
      fc.property(
        secretName,
        fc.string({ minLength: 6 }),
        fc.dictionary(fc.constantFrom("accept", "x-sdk-date", "content-type"), fc.constantFrom("a", "b")),
        (name, value, others) => {
          const out = JSON.stringify(redactHeaders({ ...others, [name]: value }));
          expect(out).not.toContain(JSON.stringify(value));
        },
      ),
    );
  });
});

describe("redactUrl", () => {
  it("removes user info and secret query values", () => {
    expect(redactUrl("https://u:p4ss@example.com/v3?token=abc&limit=5")).toBe(
      "https://example.com/v3?token=%28redacted%29&limit=5",
    );
  });
});

describe("extractCloudMessage", () => {
  it("reads Nova faults, Keystone errors, Huawei and generic messages", () => {
    expect(extractCloudMessage({ conflictingRequest: { code: 409, message: "busy" } }, "", 409)).toEqual({
      message: "busy",
      code: "conflictingRequest",
    });
    expect(
      extractCloudMessage({ error: { code: 401, title: "Unauthorized", message: "auth please" } }, "", 401),
    ).toEqual({ message: "auth please", code: "Unauthorized" });
    expect(extractCloudMessage({ error: { code: "Ecs.0100", message: "busy server" } }, "", 400)).toEqual({
      message: "busy server",
      code: "Ecs.0100",
    });
    expect(extractCloudMessage({ error_code: "APIGW.0301", error_msg: "bad signature" }, "", 401)).toEqual({
      message: "bad signature",
      code: "APIGW.0301",
    });
    expect(extractCloudMessage({ message: "plain" }, "", 500)).toEqual({ message: "plain" });
    expect(extractCloudMessage(undefined, "Service Unavailable", 503)).toEqual({ message: "Service Unavailable" });
    expect(extractCloudMessage(undefined, "<html>oops</html>", 502)).toEqual({ message: "HTTP 502" });
  });
});

describe("retry helpers", () => {
  it("keeps full-jitter delays within [0, min(max, base·2^n)) and honours Retry-After up to the cap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
        (retry, r, after) => {
          const delay = backoffDelay(DEFAULT_RETRY_POLICY, retry, () => r, after);
          if (after !== undefined) expect(delay).toBe(Math.min(after, DEFAULT_RETRY_POLICY.maxDelayMs));
          else {
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThan(
              Math.max(1, Math.min(DEFAULT_RETRY_POLICY.maxDelayMs, DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** retry)),
            );
          }
        },
      ),
    );
  });

  it("parses Retry-After seconds and HTTP dates", () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 12:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("retries 429 and 5xx except 501", () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 409, 501].some(isRetryableStatus)).toBe(false);
  });
});
