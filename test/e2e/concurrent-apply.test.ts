import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

const NAMES = ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6"];

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
${NAMES.map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }`).join("\n")}
`);

const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ubuntu-24.04 } }
    rollout: { parallelism: 2 }
`;

describe("two pipelines on two runners applying the same saved plan at the same time", () => {
  let cloud: TestCloud;
  let runner2: string;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
    runner2 = await mkdtemp(join(tmpdir(), "reform-runner2-"));
  });
  afterAll(async () => {
    await cloud.close();
    await rm(runner2, { recursive: true, force: true });
  });

  it("act at most once per server; what one did, the other reports as skipped", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
    // The second runner has its own checkout (same fleet file and clouds.yaml), so its own journal: only the
    // fingerprint checks stand between the two runs.
    for (const file of ["fleet.yaml", "clouds.yaml", "plan.json"])
      await copyFile(join(cloud.dir, file), join(runner2, file));
    const second = ["apply", "plan.json", "-c", "fleet.yaml", "--output", "json", "--poll-interval", "30"];
    const [a, b] = await Promise.all([
      cloud.reform(["apply", "plan.json", "--output", "json"]),
      runCli(second, { cwd: runner2 }),
    ]);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
    const ubuntu2404 = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    for (const name of NAMES) expect(serverByName(cloud.emulator, name).imageId).toBe(ubuntu2404);

    // Each run either refused the whole plan as stale (nothing done) or reported every server:
    // converged where it acted, skipped (naming the change) where the other run got there first.
    const converged = new Map<string, number>();
    for (const run of [a, b]) {
      if (run.stdout.trim() === "") {
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/stale/);
        continue;
      }
      const report = JSON.parse(run.stdout) as {
        results: { address: string; result: { type: string; why?: string } }[];
      };
      expect(report.results.map((i) => i.address).sort()).toEqual(NAMES.map((n) => `dc1/${n}`));
      const skipped = report.results.filter((i) => i.result.type !== "converged");
      for (const i of report.results)
        if (i.result.type === "converged") converged.set(i.address, (converged.get(i.address) ?? 0) + 1);
      // Never silent: the servers it reached are named as changed since the plan (checked just before the
      // step, or found busy with the other run's rebuild when the step was sent: not re-sent); the rest were
      // not started because that halted the rollout (onFailure: halt).
      const changed = /changed since the plan|changed while rebuild waited out a 409/;
      for (const i of skipped) expect(i.result.why).toMatch(new RegExp(`${changed.source}|halted the rollout`));
      if (skipped.length > 0) expect(skipped.some((i) => changed.test(i.result.why ?? ""))).toBe(true);
    }
    expect([...converged.keys()].sort()).toEqual(NAMES.map((n) => `dc1/${n}`));
    expect([...converged.values()].every((n) => n === 1)).toBe(true);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
  });
});

describe("two applies of the same plan in one workspace at the same time", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("share one journal, so the second is refused while the first holds its lock and never follows the first's steps as its own", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
    const [a, b] = await Promise.all([
      cloud.reform(["apply", "plan.json", "--output", "json"]),
      cloud.reform(["apply", "plan.json", "--output", "json"]),
    ]);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
    const outcomes = [a, b].map((run) => ({
      code: run.code,
      locked: /another apply is running on this journal: process \d+/.test(run.stderr),
      stdout: run.stdout,
    }));
    // Either the second started after the first had finished (then the plan is stale for it), or it was refused.
    const loser = outcomes.find((o) => o.code !== 0);
    const winner = outcomes.find((o) => o.code === 0);
    expect(winner).toBeDefined();
    const report = JSON.parse(winner?.stdout ?? "") as { results: { result: { type: string } }[]; resumed?: unknown };
    expect(report.results.map((r) => r.result.type)).toEqual(NAMES.map(() => "converged"));
    expect(report.resumed).toBeUndefined();
    expect(loser?.code).toBe(1);
    expect(loser?.stdout).toBe("");
    const refusedOrStale = [a, b].find((run) => run.code === 1)?.stderr ?? "";
    expect(refusedOrStale).toMatch(/another apply is running on this journal|the plan is stale/);
    expect(outcomes.filter((o) => o.locked).length).toBeLessThanOrEqual(1);
  });
});

describe("an apply on a journal another live apply holds", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("is refused before any cloud is contacted: no request, no plan printed", async () => {
    // The holder: this test's own process, alive on this host, as a running apply would be.
    await mkdir(join(cloud.dir, ".reform"), { recursive: true });
    const since = "2026-11-22T10:00:00.000Z";
    await writeFile(
      join(cloud.dir, ".reform", "journal.jsonl.lock"),
      `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: since })}\n`,
    );
    const before = cloud.emulator.stats.requests;
    for (const args of [
      ["apply", "-c", "fleet.yaml", "--auto-approve"],
      ["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"],
    ]) {
      const run = await cloud.reform(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `Error: another apply is running on this journal: process ${process.pid}, since ${since}`,
      );
      expect(run.stderr).not.toMatch(/will perform|Plan:/);
      expect(run.stdout).toBe("");
    }
    expect(cloud.emulator.stats.requests).toBe(before);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual([]);
  });
});
