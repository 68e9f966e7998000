import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startEmulator } from "./emulator.js";
import { FaultInjector } from "./faults.js";
import { call, tokenFor } from "./test-client.js";
import { NO_FAULTS } from "./types.js";
import { parseWorld } from "./world.js";

const WORLD = parseWorld("openstack:\n  users: [{ name: alice, password: alice-pw, project: demo }]\n", "world.yaml");

async function outcomes(seed: number, count: number): Promise<string[]> {
  const emulator = await startEmulator({ world: WORLD, seed, faults: { error5xxRate: 0.2, rate429: 0.2, dropRate: 0.1, retryAfterSeconds: 7 } });
  try {
    const token = await tokenFor(emulator, "alice", "alice-pw");
    const results: string[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const reply = await call(`${emulator.urls.compute}/servers`, { headers: { "x-auth-token": token } });
        results.push(reply.status === 429 ? `429/${String(reply.headers["retry-after"])}/${reply.body.overLimit.code as number}` : reply.status === 503 ? `503/${Object.keys(reply.body)[0] as string}` : String(reply.status));
      } catch {
        results.push("dropped");
      }
    }
    expect(emulator.stats.faults.dropped).toBe(results.filter((r) => r === "dropped").length);
    for (let i = 0; i < 10; i++) expect((await call(emulator.urls.compute)).status).toBe(200);
    return results;
  } finally {
    await emulator.close();
  }
}

describe("fault injection", () => {
  it("is deterministic for a seed and differs between seeds; Keystone and version documents are exempt", async () => {
    const a = await outcomes(42, 40);
    const b = await outcomes(42, 40);
    const c = await outcomes(43, 40);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Set(a)).toEqual(new Set(["200", "429/7/429", "503/serviceUnavailable", "dropped"]));
  });

  it("adds latency to API calls", async () => {
    const emulator = await startEmulator({ world: WORLD, faults: { latencyMs: 30 } });
    try {
      const started = Date.now();
      await call(`${emulator.urls.compute}/servers`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    } finally {
      await emulator.close();
    }
  });

  it("injects each kind at about its rate", () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }), (seed, rate) => {
        const injector = new FaultInjector({ ...NO_FAULTS, error5xxRate: rate }, seed);
        const decisions = Array.from({ length: 2000 }, () => injector.decide());
        const share = decisions.filter((d) => d === "error5xx").length / decisions.length;
        return Math.abs(share - rate) < 0.05 && decisions.every((d) => d === "none" || d === "error5xx");
      }),
      { numRuns: 30 },
    );
  });

  it("rejects rates outside 0..1", async () => {
    await expect(startEmulator({ world: WORLD, faults: { error5xxRate: 1.5 } })).rejects.toThrow(/between 0 and 1/);
  });
});
