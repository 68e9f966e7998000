import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { FAST, startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions } from "../support/world.js";

const NAMES = ["web-1", "web-2", "web-3", "web-4"];
const WORLD = worldWith(`  images: [{ name: img-a }, { name: img-b }, { name: img-c }]
  keypairs: [{ name: ops }]
  servers:
${NAMES.map((n) => `    - { name: ${n}, image: img-a, keyPair: ops, metadata: { role: web } }`).join("\n")}
`);

/** One group over every server, rebuilt to `image`, with the given rollout (flow YAML). */
const fleet = (image: string, rollout: string) => `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ${image} } }
    rollout: ${rollout}
`;

const rebuilds = (cloud: TestCloud) =>
  NAMES.map((n) => serverActions(cloud.emulator, n).filter((a) => a === "rebuild").length);

interface Report {
  readonly results: readonly { address: string; result: { type: string; why?: string } }[];
  readonly awaiting_approval?: readonly string[];
}

describe("rollouts through the CLI against the emulator", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
  });
  afterAll(async () => cloud.close());

  it("canaryApproval: manual stops after the canary; re-running does not pick new canaries; --continue rolls on; a new config needs a new canary", async () => {
    await cloud.writeFleet(fleet("img-b", "{ canary: 1, canaryApproval: manual, parallelism: 2 }"));
    const first = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(first.code).toBe(1);
    expect(rebuilds(cloud)).toEqual([1, 0, 0, 0]);
    expect(first.stdout).toContain(
      "Group web: the canaries converged; the rest of the group waits for approval: run `reform apply --continue`.",
    );
    expect(first.stdout).toMatch(/dc1\/web-2: skipped: held: the canaries of group web converged/);

    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(again.code).toBe(1);
    expect(rebuilds(cloud)).toEqual([1, 0, 0, 0]);
    const held = JSON.parse(again.stdout) as Report;
    expect(held.awaiting_approval).toEqual(["web"]);
    expect(held.results.map((r) => r.result.type)).toEqual(["skipped", "skipped", "skipped"]);

    const approved = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--continue"]);
    expect(approved.code).toBe(0);
    expect(rebuilds(cloud)).toEqual([1, 1, 1, 1]);
    expect(approved.stdout).toMatch(/Apply: 3 converged, 0 failed, 0 skipped\./);

    await cloud.writeFleet(fleet("img-c", "{ canary: 1, canaryApproval: manual, parallelism: 2 }"));
    expect((await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"])).code).toBe(1);
    expect(rebuilds(cloud)).toEqual([2, 1, 1, 1]);
    expect((await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--continue"])).code).toBe(0);
    expect(rebuilds(cloud)).toEqual([2, 2, 2, 2]);
  }, 60_000);

  it("pause: whole batches, the next one sent only after the pause", async () => {
    await cloud.writeFleet(fleet("img-a", "{ parallelism: 2, pause: 700ms }"));
    const before = cloud.emulator.stats.actions.length;
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.code).toBe(0);
    const sent = cloud.emulator.stats.actions
      .slice(before)
      .filter((a) => a.action === "rebuild")
      .map((a) => a.at)
      .sort((a, b) => a - b);
    expect(sent).toHaveLength(4);
    // Batch 1 (two servers), then the rebuild time plus the pause, then batch 2.
    expect(sent[1]! - sent[0]!).toBeLessThan(500);
    expect(sent[2]! - sent[1]!).toBeGreaterThanOrEqual(700 + FAST.rebuild);
    expect(sent[3]! - sent[2]!).toBeLessThan(500);
  }, 60_000);

  describe("readiness gates", () => {
    let health: Server;
    let port: number;
    let answers: number[] = [];
    let probes = 0;
    beforeAll(async () => {
      health = createServer((_req, res) => {
        probes += 1;
        res.writeHead(answers.shift() ?? 200).end();
      });
      port = await new Promise<number>((resolve) =>
        health.listen(0, "127.0.0.1", () => resolve((health.address() as AddressInfo).port)),
      );
    });
    afterAll(async () => new Promise<void>((resolve) => health.close(() => resolve())));

    it("holds each server until its gate answers, then converges", async () => {
      answers = [503, 503, 503];
      probes = 0;
      await cloud.writeFleet(
        fleet(
          "img-b",
          `{ parallelism: 1, gate: { http: "http://127.0.0.1:${port}/healthz", interval: 50ms, timeout: 10s } }`,
        ),
      );
      const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Apply: 4 converged, 0 failed, 0 skipped\./);
      expect(probes).toBe(4 + 3);
    }, 60_000);

    it("fails a server whose gate never passes, with the gate's last answer, and halts the rollout", async () => {
      answers = Array.from({ length: 1000 }, () => 503);
      await cloud.writeFleet(
        fleet(
          "img-a",
          `{ parallelism: 1, gate: { http: "http://127.0.0.1:${port}/healthz", interval: 50ms, timeout: 400ms } }`,
        ),
      );
      const before = rebuilds(cloud).reduce((a, b) => a + b, 0);
      const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as Report;
      expect(report.results[0]?.result).toMatchObject({
        type: "failed",
        why: expect.stringMatching(
          new RegExp(
            `^converged, but readiness gate http://127\\.0\\.0\\.1:${port}/healthz did not pass within 400ms \\(\\d+ attempts; last: HTTP 503`,
          ),
        ),
      });
      expect(report.results.slice(1).map((r) => r.result.why)).toEqual(
        Array.from({ length: 3 }, () => expect.stringMatching(/halted the rollout/)),
      );
      expect(rebuilds(cloud).reduce((a, b) => a + b, 0)).toBe(before + 1);
      answers = [];
    }, 60_000);
  });
});

describe("timeouts and failures", () => {
  let cloud: TestCloud;
  let failing: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 3000 } });
    failing = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 300 }, faults: { actionFailRate: 1 } });
  });
  afterAll(async () => {
    await cloud.close();
    await failing.close();
  });

  const timedOut = /^rebuild timed out: not finished after \d+ms \(limit 400ms\); last status REBUILD/;

  it("fails a step at the group's timeout, naming the step, the time waited and the last status; the failure budget then halts", async () => {
    await cloud.writeFleet(
      fleet("img-b", "{ parallelism: 1, onFailure: continue, maxFailures: 1, timeouts: { rebuild: 400ms } }"),
    );
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    for (const r of report.results.slice(0, 2))
      expect(r.result).toMatchObject({
        type: "failed",
        step: "rebuild",
        why: expect.stringMatching(timedOut),
        request_id: expect.stringMatching(/^req-/),
      });
    // Two failures spend a budget of one: the rest is not started.
    expect(report.results.slice(2).map((r) => r.result.why)).toEqual([
      expect.stringMatching(/failure budget/),
      expect.stringMatching(/failure budget/),
    ]);
  }, 60_000);

  it("--timeout KIND=DURATION overrides the fleet file's timeout", async () => {
    await cloud.writeFleet(fleet("img-c", "{ parallelism: 1, timeouts: { rebuild: 30m } }"));
    const run = await cloud.reform([
      "apply",
      "-c",
      "fleet.yaml",
      "--auto-approve",
      "--output",
      "json",
      "--timeout",
      "rebuild=400ms",
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.results[0]?.result).toMatchObject({ type: "failed", why: expect.stringMatching(timedOut) });
    const bad = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--timeout", "rebuidl=5m"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/expected KIND=DURATION with KIND one of rebuild, reinstall/);
  }, 60_000);

  it("applies a saved plan with its full rollout policy, carried in the plan document (timeouts here)", async () => {
    const own = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 3000 } });
    try {
      await own.writeFleet(fleet("img-b", "{ parallelism: 1, timeouts: { rebuild: 400ms } }"));
      expect((await own.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
      const saved = JSON.parse(await readFile(join(own.dir, "plan.json"), "utf8")) as {
        rollout: Record<string, { timeouts_ms?: unknown }>;
      };
      expect(saved.rollout["web"]?.timeouts_ms).toEqual({ rebuild: 400 });
      const run = await own.reform(["apply", "plan.json", "--output", "json"]);
      expect(run.code).toBe(1);
      expect((JSON.parse(run.stdout) as Report).results[0]?.result).toMatchObject({
        type: "failed",
        why: expect.stringMatching(timedOut),
      });
    } finally {
      await own.close();
    }
  }, 60_000);

  it("fails early, with the cloud's fault, when a rebuild ends in ERROR (not at the 30-minute timeout)", async () => {
    await failing.writeFleet(fleet("img-b", "{ parallelism: 1 }"));
    const run = await failing.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report & { results: { duration_ms: number }[] };
    expect(report.results[0]?.result).toMatchObject({
      type: "failed",
      step: "rebuild",
      why: expect.stringMatching(/^rebuild failed: .+/),
    });
    expect(report.results[0]?.duration_ms).toBeLessThan(10_000);
    expect(report.results.slice(1).map((r) => r.result.type)).toEqual(["skipped", "skipped", "skipped"]);
  }, 60_000);
});
