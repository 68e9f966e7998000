import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CloudError } from "../../model/errors.js";
import { HttpClient } from "../http/client.js";
import type { TestHandler, TestServer } from "../http/test-server.js";
import { sendJson, startTestServer } from "../http/test-server.js";
import { instantClock } from "../../../test/support/instant-clock.js";
import { JdSigner } from "./sign.js";
import { JdVmClient } from "./vm.js";

const signal = new AbortController().signal;
let handler: TestHandler = (_req, res) => sendJson(res, 200, { requestId: "r", result: {} });
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer((req, res) => handler(req, res));
});
afterAll(async () => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

function client(): JdVmClient {
  const clock = instantClock();
  const http = new HttpClient({ provider: "jd", clock, random: () => 0, requestIdHeaders: ["x-jdcloud-request-id"] });
  const signer = new JdSigner({
    credentials: { accessKey: "AK", secretKey: "SK-never-shown" },
    region: "cn-north-1",
    clock,
  });
  return new JdVmClient({ http, signer, endpoint: `${server.url}/`, region: "cn-north-1" });
}

describe("JdVmClient over HTTP", () => {
  it("re-signs every retry of a read with a fresh nonce (the gateway rejects a reused one)", async () => {
    let n = 0;
    handler = (_req, res) =>
      ++n < 3
        ? sendJson(res, 503, { requestId: `r${n}`, error: { code: 503, status: "UNAVAILABLE", message: "busy" } })
        : sendJson(res, 200, { requestId: "r3", result: { instances: [], totalCount: 0 } });
    expect(await client().describeInstances(["i-1"], signal)).toEqual([]);
    const nonces = server.seen.map((r) => r.headers["x-jdcloud-nonce"]);
    expect(nonces).toHaveLength(3);
    expect(new Set(nonces).size).toBe(3);
  });

  it("pages describeInstances until totalCount, 100 per page, filtered by instanceId", async () => {
    const all = Array.from({ length: 150 }, (_, i) => ({ instanceId: `i-${i}`, status: "running" }));
    handler = (req, res) => {
      const q = new URL(req.url, server.url).searchParams;
      const page = Number(q.get("pageNumber"));
      const wanted = new Set([...q].filter(([k]) => k.startsWith("filters.1.values.")).map(([, v]) => v));
      const matching = all.filter((i) => wanted.has(i.instanceId));
      sendJson(res, 200, {
        requestId: "r",
        result: { instances: matching.slice((page - 1) * 50, page * 50), totalCount: matching.length },
      });
    };
    const ids = all.map((i) => i.instanceId);
    expect((await client().describeInstances(ids, signal)).length).toBe(150);
    // 150 ids: groups of 100 and 50 ids; this server pages by 50, so the first group takes two pages
    const queries = server.seen.map((r) => new URL(r.url, server.url).searchParams);
    expect(queries.map((q) => [q.get("pageNumber"), q.get("pageSize"), q.get("filters.1.name")])).toEqual([
      ["1", "100", "instanceId"],
      ["2", "100", "instanceId"],
      ["1", "100", "instanceId"],
    ]);
    expect(queries[0]!.get("filters.1.values.100")).toBe("i-99");
    expect(queries[2]!.get("filters.1.values.1")).toBe("i-100");
  });

  it("reads custom data ten VMs per call, at most four calls in flight, and returns every VM's entry", async () => {
    let inFlight = 0;
    let most = 0;
    handler = (req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const q = new URL(req.url, server.url).searchParams;
      const ids = [...q].filter(([k]) => k.startsWith("filters.1.values.")).map(([, v]) => v);
      setTimeout(() => {
        inFlight--;
        sendJson(res, 200, {
          requestId: "r",
          result: {
            customData: ids.map((instanceId) => ({ instanceId, metadata: [{ key: "id", value: instanceId }] })),
            totalCount: ids.length,
          },
        });
      }, 20);
    };
    const ids = Array.from({ length: 95 }, (_, i) => `i-${i}`);
    const data = await client().describeCustomData(ids, signal);
    expect([...data.keys()].sort()).toEqual([...ids].sort());
    expect(data.get("i-42")?.metadata).toEqual([{ key: "id", value: "i-42" }]);
    expect(server.seen).toHaveLength(10);
    expect(server.seen.every((r) => new URL(r.url, server.url).searchParams.get("pageSize") === "10")).toBe(true);
    expect(most).toBe(4);
  });

  it("sends actions as POST …/{id}%3Averb with a {} body, and maps JD's envelope into CloudError", async () => {
    handler = (req, res) =>
      req.url.endsWith("%3AstopInstance")
        ? sendJson(res, 200, { requestId: "req-ok", result: {} })
        : sendJson(res, 400, {
            requestId: "req-from-body",
            error: { code: 400, status: "FAILED_PRECONDITION", message: "instance must be stopped" },
          });
    expect(await client().action("i-1", "stopInstance", {}, signal)).toBe("req-ok");
    expect(server.seen[0]).toMatchObject({
      method: "POST",
      url: "/v1/regions/cn-north-1/instances/i-1%3AstopInstance",
      body: "{}",
    });
    const error = await client()
      .action("i-1", "rebuildInstance", { imageId: "img" }, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudError);
    expect((error as CloudError).details).toMatchObject({
      status: 400,
      cloudCode: "FAILED_PRECONDITION",
      cloudMessage: "instance must be stopped",
      requestId: "req-from-body",
    });
    expect(server.seen).toHaveLength(2);
  });

  it("treats a 200 whose envelope carries an error as a failure, and a 409 as a conflict the caller can wait out", async () => {
    handler = (req, res) =>
      req.method === "GET"
        ? sendJson(res, 200, {
            requestId: "r-get",
            error: { code: 400, status: "INVALID_ARGUMENT", message: "bad filter" },
          })
        : sendJson(
            res,
            409,
            { requestId: "r-busy", error: { code: 409, status: "CONFLICT", message: "task in progress" } },
            { "x-jdcloud-request-id": "r-busy" },
          );
    await expect(client().describeCustomData(["i-1"], signal)).rejects.toMatchObject({
      details: { status: 400, cloudCode: "INVALID_ARGUMENT", requestId: "r-get" },
    });
    await expect(client().action("i-1", "startInstance", {}, signal)).rejects.toMatchObject({
      details: { status: 409, cloudCode: "CONFLICT", requestId: "r-busy" },
    });
  });
});
