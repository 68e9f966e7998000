import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { loadResultOf, runLoad } from "./load.js";

describe("loadResultOf", () => {
  it("counts answers, adds non-2xx answers to the errors, and takes the rate over autocannon's own start and finish", () => {
    const result = loadResultOf({
      requests: { total: 1200 },
      latency: { p50: 4, p99: 27 },
      errors: 2,
      non2xx: 3,
      start: new Date(1_000),
      finish: new Date(3_500),
    });
    expect(result).toEqual({ requests: 1200, errors: 5, seconds: 2.5, perSecond: 480, p50Ms: 4, p99Ms: 27 });
  });

  it("reports no rate rather than NaN for an empty run", () => {
    const start = new Date(1_000);
    expect(
      loadResultOf({ requests: { total: 0 }, latency: { p50: 0, p99: 0 }, errors: 0, non2xx: 0, start, finish: start })
        .perSecond,
    ).toBe(0);
  });
});

describe("runLoad", () => {
  it("sends path(n) for successive n with the given headers on every connection, and counts non-2xx answers as errors", async () => {
    const paths: string[] = [];
    let withoutToken = 0;
    const server = createServer((req, res) => {
      paths.push(req.url ?? "");
      if (req.headers["x-auth-token"] !== "secret") withoutToken++;
      res.statusCode = req.url === "/item/3" ? 404 : 200;
      res.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await runLoad({
        origin: `http://127.0.0.1:${port}`,
        path: (n) => `/item/${n % 5}`,
        headers: { "x-auth-token": "secret" },
        concurrency: 2,
        durationMs: 500,
      });
      expect(withoutToken).toBe(0);
      expect(new Set(paths)).toEqual(new Set(["/item/0", "/item/1", "/item/2", "/item/3", "/item/4"]));
      expect(result.requests).toBeGreaterThan(20);
      expect(result.requests).toBeLessThanOrEqual(paths.length);
      // Every fifth request asks for /item/3, the one path that answers 404.
      expect(result.errors / result.requests).toBeGreaterThan(0.1);
      expect(result.errors / result.requests).toBeLessThan(0.3);
      expect(result.seconds).toBeGreaterThanOrEqual(0.5);
      expect(result.seconds).toBeLessThan(2);
      expect(result.perSecond).toBeCloseTo(result.requests / result.seconds);
      expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
