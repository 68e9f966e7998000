import { getEventListeners } from "node:events";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AmbiguousError, CloudError } from "../../model/errors.js";
import { HttpClient } from "./client.js";
import { decodeBody } from "./decode.js";
import type { TestHandler, TestServer } from "./test-server.js";
import { sendJson, startTestServer } from "./test-server.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import type { Exchange, HttpClientOptions, RequestSigner } from "./types.js";

const TOKEN = "gAAAAA-Kn0wn-T0ken-abc123";
const PASSWORD = "Sup3r-S3cret-Pa55";

let handler: TestHandler = (_req, res) => sendJson(res, 200, {});
let server: TestServer;
const clients: HttpClient[] = [];

beforeAll(async () => {
  server = await startTestServer((req, res) => handler(req, res));
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await server.close();
});
afterEach(() => {
  server.seen.length = 0;
});

function client(options: Partial<HttpClientOptions> = {}) {
  const clock = instantClock();
  const exchanges: Exchange[] = [];
  const http = new HttpClient({
    provider: "dc1",
    clock,
    random: () => 0.5,
    onExchange: (e) => exchanges.push(e),
    ...options,
  });
  clients.push(http);
  return { http, clock, exchanges };
}

/** Answers the listed responses in order, then 200 {"ok": true}. */
function script(...steps: ((res: Parameters<TestHandler>[1]) => void)[]): void {
  let i = 0;
  handler = (_req, res) => {
    const step = steps[i++];
    if (step) step(res);
    else sendJson(res, 200, { ok: true }, { "x-openstack-request-id": "req-final" });
  };
}

const novaFault =
  (status: number, name: string, message: string, headers: Record<string, string> = {}) =>
  (res: Parameters<TestHandler>[1]) =>
    sendJson(
      res,
      status,
      { [name]: { code: status, message } },
      { "x-compute-request-id": `req-${status}`, ...headers },
    );

const drop = (res: Parameters<TestHandler>[1]) => res.socket?.destroy();

describe("HttpClient reads", () => {
  it("retries 503 and 429 with full-jitter backoff and Retry-After, through the injected clock", async () => {
    script(
      novaFault(503, "serviceUnavailable", "try later"),
      novaFault(429, "overLimit", "slow down", { "retry-after": "2" }),
    );
    const { http, clock } = client();
    const res = await http.request({
      method: "GET",
      url: `${server.url}/servers/detail`,
      operation: "GET /servers/detail",
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
    expect(res.requestId).toBe("req-final");
    expect(server.seen).toHaveLength(3);
    // first retry: jitter 0.5 × min(30000, 500 × 2^0) = 250; second: Retry-After 2 s wins.
    expect(clock.slept).toEqual([250, 2000]);
  });

  it("honours a Retry-After given as an HTTP date", async () => {
    const { http, clock } = client();
    const at = new Date(clock.now() + 7000).toUTCString();
    script(novaFault(429, "overLimit", "slow down", { "retry-after": at }));
    await http.request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" });
    expect(clock.slept).toEqual([7000]);
  });

  it("gives up after maxAttempts with the cloud's message, code, status and request id", async () => {
    handler = (_req, res) => novaFault(503, "serviceUnavailable", "nova is down")(res);
    const { http, clock } = client({ retry: { maxAttempts: 3 } });
    const error = await http
      .request({ method: "GET", url: `${server.url}/servers/detail`, operation: "GET /servers/detail" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    const details = (error as CloudError).details;
    expect(details).toMatchObject({
      provider: "dc1",
      status: 503,
      cloudMessage: "nova is down",
      cloudCode: "serviceUnavailable",
      requestId: "req-503",
    });
    expect((error as CloudError).message).toContain("[request req-503]");
    expect(server.seen).toHaveLength(3);
    expect(clock.slept).toEqual([250, 500]);
  });

  it("gives throttling its own budget: a burst of 429s longer than the failure budget is waited out, a longer one still ends", async () => {
    const throttle = novaFault(429, "overLimit", "slow down", { "retry-after": "1" });
    script(...Array.from({ length: 8 }, () => throttle), novaFault(503, "serviceUnavailable", "blip"));
    const { http, clock } = client();
    expect((await http.request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" })).status).toBe(200);
    // 8 throttled answers and one 503 before the 200: more than the 5 attempts failures get, counted apart.
    expect(server.seen).toHaveLength(10);
    expect(clock.slept).toEqual([...Array.from({ length: 8 }, () => 1000), 250]);

    server.seen.length = 0;
    handler = (_req, res) => throttle(res);
    const endless = client();
    const error = await endless.http
      .request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" })
      .catch((e: unknown) => e);
    expect((error as CloudError).details).toMatchObject({ status: 429, cloudMessage: "slow down" });
    expect(server.seen).toHaveLength(12);
  });

  it("stops retrying when the total time budget would be exceeded", async () => {
    handler = (_req, res) => novaFault(429, "overLimit", "slow", { "retry-after": "50" })(res);
    const { http } = client({ retry: { maxAttempts: 10, maxTotalMs: 60_000, maxDelayMs: 60_000 } });
    await expect(http.request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" })).rejects.toBeInstanceOf(
      CloudError,
    );
    expect(server.seen).toHaveLength(2);
  });

  it("retries a read after the connection dropped", async () => {
    script(drop);
    const { http, clock } = client();
    const res = await http.request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
    expect(clock.slept).toHaveLength(1);
  });

  it("takes the request id from a configurable header list", async () => {
    handler = (_req, res) => sendJson(res, 200, {}, { "x-jdcloud-request-id": "jd-42" });
    const { http } = client({ requestIdHeaders: ["x-jdcloud-request-id"] });
    const res = await http.request({ method: "GET", url: `${server.url}/x`, operation: "GET /x" });
    expect(res.requestId).toBe("jd-42");
  });

  it("shares one abort signal among many requests in flight without Node's listener-leak warning, and each leaves no listener behind", async () => {
    handler = (_req, res) => {
      setTimeout(() => sendJson(res, 200, {}), 20);
    };
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const { http } = client();
      const controller = new AbortController();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          http.request({ method: "GET", url: `${server.url}/s/${i}`, operation: "GET", signal: controller.signal }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("encodes query parameters, repeating arrays", async () => {
    const { http } = client();
    await http.request({
      method: "GET",
      url: `${server.url}/servers/detail`,
      query: { limit: 1000, name: "^web-1$", tag: ["a", "b"], skip: undefined },
      operation: "GET",
    });
    expect(server.seen[0]?.url).toBe("/servers/detail?limit=1000&name=%5Eweb-1%24&tag=a&tag=b");
  });
});

describe("HttpClient bodies", () => {
  it("reads a large ASCII body, a UTF-8 body and a body behind a byte order mark as the same text and JSON", async () => {
    const { http } = client();
    const servers = Array.from({ length: 3000 }, (_, i) => ({ id: `id-${i}`, name: `web-${i}`, metadata: { i } }));
    const bodies = [
      Buffer.from(JSON.stringify({ servers })),
      Buffer.from(JSON.stringify({ servers: [{ id: "1", name: "café ☕ 服务器 \u{1F680}" }] })),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"naïve"}')]),
    ];
    for (const body of bodies) {
      handler = (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      };
      const res = await http.request({ method: "GET", url: `${server.url}/x`, operation: "GET" });
      const text = new TextDecoder().decode(body);
      expect(res.text).toBe(text);
      expect(res.json).toEqual(JSON.parse(text));
    }
  });

  it("decodes any bytes as undici's text() does: UTF-8 with malformed sequences replaced, a leading BOM dropped", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.string({ unit: "binary", maxLength: 64 }).map((s) => new Uint8Array(Buffer.from(s))),
      fc.uint8Array({ maxLength: 64, max: 0x7f }),
    );
    fc.assert(
      fc.property(fc.boolean(), bytes, (bom, body) => {
        const sent = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : Buffer.from(body);
        const start = sent[0] === 0xef && sent[1] === 0xbb && sent[2] === 0xbf ? 3 : 0;
        expect(decodeBody(sent)).toBe(Buffer.from(sent).toString("utf8", start));
        expect(decodeBody(sent)).toBe(new TextDecoder().decode(sent));
      }),
      { numRuns: 300 },
    );
  });
});

describe("HttpClient mutations", () => {
  it("does not retry a POST after the connection dropped: AmbiguousError", async () => {
    script(drop);
    const { http, clock } = client();
    const error = await http
      .request({
        method: "POST",
        url: `${server.url}/servers/s1/action`,
        json: { reboot: { type: "SOFT" } },
        operation: "POST /servers/{id}/action reboot",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousError);
    expect((error as AmbiguousError).code).toBe("AMBIGUOUS");
    expect(server.seen).toHaveLength(1);
    expect(clock.slept).toEqual([]);
  });

  it("does not retry a POST whose answer was cut off mid-body: AmbiguousError", async () => {
    handler = (_req, res) => {
      res.writeHead(202, { "content-type": "application/json", "content-length": "100" });
      res.write('{"server": {"id"');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const { http } = client();
    await expect(
      http.request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a" }),
    ).rejects.toBeInstanceOf(AmbiguousError);
    expect(server.seen).toHaveLength(1);
  });

  it("retries a POST refused with 429 (the proxy never passed it on)", async () => {
    script(novaFault(429, "overLimit", "slow down", { "retry-after": "1" }));
    const { http, clock } = client();
    const res = await http.request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(2);
    expect(clock.slept).toEqual([1000]);
  });

  it("retries a POST refused with 503 Service Unavailable (the cloud did not take it), honouring Retry-After", async () => {
    script(
      novaFault(503, "serviceUnavailable", "try later", { "retry-after": "2" }),
      novaFault(503, "serviceUnavailable", "try later"),
    );
    const { http, clock } = client();
    const res = await http.request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a" });
    expect(res.status).toBe(200);
    expect(server.seen).toHaveLength(3);
    expect(clock.slept).toEqual([2000, 500]);
  });

  it("returns a 409 to the caller as a CloudError without retrying, or as a response when accepted", async () => {
    handler = (_req, res) =>
      novaFault(409, "conflictingRequest", "Cannot 'rebuild' instance s1 while it is in task_state rebuilding")(res);
    const { http } = client();
    const error = (await http
      .request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a" })
      .catch((e: unknown) => e)) as CloudError;
    expect(error.details).toMatchObject({ status: 409, cloudCode: "conflictingRequest", requestId: "req-409" });
    expect(error.details.cloudMessage).toContain("while it is in task_state rebuilding");
    expect(server.seen).toHaveLength(1);
    const res = await http.request({
      method: "POST",
      url: `${server.url}/a`,
      json: {},
      operation: "POST /a",
      accept: [409],
    });
    expect(res.status).toBe(409);
  });

  it("does not retry a POST answered 500", async () => {
    handler = (_req, res) => novaFault(500, "computeFault", "Unexpected API Error.")(res);
    const { http } = client();
    await expect(
      http.request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a" }),
    ).rejects.toMatchObject({ details: { status: 500 } });
    expect(server.seen).toHaveLength(1);
  });

  it("retries a POST whose connection was refused (nothing was sent) and then reports a network CloudError", async () => {
    const closed = await startTestServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const { http, clock } = client({ retry: { maxAttempts: 3 } });
    const error = await http
      .request({ method: "POST", url: `${url}/a`, json: {}, operation: "POST /a" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    expect((error as CloudError).message).toContain("ECONNREFUSED");
    expect(clock.slept).toHaveLength(2);
  });
});

describe("HttpClient hints", () => {
  it("asks the provider what to check, with the full URL, status, cloud code or network code, and adds it to the error", async () => {
    const seen: unknown[] = [];
    const hint = (failure: unknown) => {
      seen.push(failure);
      return "check HW_ACCESS_KEY";
    };
    handler = (_req, res) =>
      sendJson(
        res,
        401,
        { error_code: "APIGW.0301", error_msg: "Incorrect IAM authentication information" },
        { "x-request-id": "r-1" },
      );
    const { http } = client({ hint });
    const refused = await http
      .request({
        method: "GET",
        url: `${server.url}/v1/p/servers`,
        query: { limit: 2 },
        operation: "GET /v1/{p}/servers",
      })
      .catch((e: unknown) => e);
    expect((refused as CloudError).message).toBe(
      "dc1: GET /v1/{p}/servers failed 401 APIGW.0301: Incorrect IAM authentication information [request r-1]\n  check HW_ACCESS_KEY",
    );
    expect((refused as CloudError).details.hint).toBe("check HW_ACCESS_KEY");
    const closed = await startTestServer(() => undefined);
    await closed.close();
    await http.request({ method: "GET", url: `${closed.url}/x`, operation: "GET /x" }).catch(() => undefined);
    expect(seen).toEqual([
      {
        operation: "GET /v1/{p}/servers",
        url: `${server.url}/v1/p/servers?limit=2`,
        status: 401,
        cloudCode: "APIGW.0301",
      },
      { operation: "GET /x", url: `${closed.url}/x`, networkCode: "ECONNREFUSED" },
    ]);
  });
});

describe("HttpClient authentication and redaction", () => {
  function tokenSigner(tokens: string[]): RequestSigner & { invalidations: number } {
    let current: string | undefined;
    const signer = {
      invalidations: 0,
      sign: async () => {
        current ??= tokens.shift() ?? "none";
        return { "X-Auth-Token": current };
      },
      invalidate: () => {
        signer.invalidations++;
        current = undefined;
        return true;
      },
    };
    return signer;
  }

  it("on 401 invalidates the token and retries once with a fresh one", async () => {
    handler = (req, res) =>
      req.headers["x-auth-token"] === "fresh"
        ? sendJson(res, 200, { ok: 1 })
        : sendJson(res, 401, {
            error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
          });
    const signer = tokenSigner(["stale", "fresh"]);
    const { http } = client();
    const res = await http.request({ method: "POST", url: `${server.url}/a`, json: {}, operation: "POST /a", signer });
    expect(res.json).toEqual({ ok: 1 });
    expect(signer.invalidations).toBe(1);
    expect(server.seen.map((r) => r.headers["x-auth-token"])).toEqual(["stale", "fresh"]);
  });

  it("re-authenticates only once: a second 401 is an AUTH_ERROR with Keystone's message", async () => {
    handler = (_req, res) =>
      sendJson(res, 401, {
        error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." },
      });
    const signer = tokenSigner(["a", "b", "c"]);
    const { http } = client();
    const error = (await http
      .request({ method: "GET", url: `${server.url}/a`, operation: "GET /a", signer })
      .catch((e: unknown) => e)) as CloudError;
    expect(error.code).toBe("AUTH_ERROR");
    expect(error.details.cloudMessage).toBe("The request you have made requires authentication.");
    expect(server.seen).toHaveLength(2);
  });

  it("never shows tokens, passwords or bodies in the debug hook or in errors", async () => {
    handler = (_req, res) =>
      sendJson(res, 400, { badRequest: { code: 400, message: "Invalid input" } }, { "x-subject-token": TOKEN });
    const signer = tokenSigner([TOKEN]);
    const { http, exchanges } = client();
    const error = await http
      .request({
        method: "POST",
        url: `${server.url}/v3/auth/tokens?token=${TOKEN}`,
        headers: { Authorization: `Bearer ${TOKEN}` },
        json: { password: PASSWORD },
        operation: "POST /v3/auth/tokens",
        signer,
      })
      .catch((e: unknown) => e);
    expect(server.seen[0]?.headers["x-auth-token"]).toBe(TOKEN);
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]?.requestHeaders["X-Auth-Token"]).toBe("(redacted)");
    const everything =
      JSON.stringify(exchanges) + String(error) + JSON.stringify(error) + ((error as Error).stack ?? "");
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(PASSWORD);
  });
});
