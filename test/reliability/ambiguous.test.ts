import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud } from "../support/cloud.js";
import type { FleetSize } from "./fleet-world.js";
import {
  CLOUD_ENV,
  filesUnder,
  fleetFile,
  fleetWorld,
  lostUnmanagedKeys,
  outcomes,
  reformLong,
  reprovisionCounts,
  secretHits,
} from "./fleet-world.js";

const SEED = 424242;
const SIZE: FleetSize = { openstack: 15, huawei: 15, jd: 15 };
/** A third of the mutations take effect but their answer never arrives; some answers are cut mid-body. */
const FAULTS = `faults:
  ambiguousRate: 0.3
  dropResponseRate: 0.05
`;
const TIMINGS = { rebuild: 150, reinstall: 150, reboot: 60, stop: 50, start: 50, build: 40 };

interface ReportDoc {
  summary: { converged: number; failed: number; skipped: number };
  results: { address: string; result: { type: string; step?: string; why?: string } }[];
}

function honestFailure(result: { step?: string; why?: string }): boolean {
  const why = result.why ?? "";
  if (/no answer from the cloud; the outcome is unknown/.test(why)) return true;
  return result.step === "update-metadata" && /: no answer from 127\.0\.0\.1:\d+: /.test(why);
}

describe(`ambiguous mutations (applied, answer lost) are never blindly re-sent (seed ${SEED})`, () => {
  let cloud: TestCloud;
  const outputs: { where: string; text: string }[] = [];
  beforeAll(async () => {
    cloud = await startTestCloud(fleetWorld(SIZE, FAULTS), { seed: SEED, timings: TIMINGS });
    await cloud.writeFleet(fleetFile(cloud.emulator, { parallelism: 15 }));
  });
  afterAll(async () => cloud.close());

  it("the emulator counts zero duplicate actions; re-runs from the real state converge every server with one reprovision each", async () => {
    const runs: string[] = [];
    for (let round = 0; round < 5; round++) {
      const run = await reformLong(cloud, ["apply", "--auto-approve", "--output", "json"], CLOUD_ENV);
      outputs.push(
        { where: `apply ${round} stdout`, text: run.stdout },
        { where: `apply ${round} stderr`, text: run.stderr },
      );
      expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      const report = JSON.parse(run.stdout) as ReportDoc;
      // Every failure is the honest one: no answer, and the re-read could not show the action taken. A metadata
      // write is idempotent, so it is sent again instead; when every attempt loses its answer (a third are lost
      // here) the step fails naming the lost answer, and the next run writes it.
      expect(report.results.filter((r) => r.result.type === "failed" && !honestFailure(r.result))).toEqual([]);
      expect(cloud.emulator.stats.duplicates).toEqual([]);
      runs.push(`${report.summary.converged}/${report.summary.failed}`);
      if (run.code === 0) break;
    }
    const servers = outcomes(cloud.emulator);
    expect(servers.filter((s) => !s.onNewImage).map((s) => s.address)).toEqual([]);
    const counts = reprovisionCounts(cloud.emulator);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect(counts.size).toBe(servers.length);
    expect(lostUnmanagedKeys(servers)).toEqual([]);
    expect(cloud.emulator.stats.faults.ambiguous).toBeGreaterThan(5);
    const plan = await reformLong(cloud, ["plan", "--detailed-exitcode"], CLOUD_ENV);
    outputs.push({ where: "plan", text: plan.stdout + plan.stderr });
    expect(plan.code).toBe(0);
    const files = await filesUnder(cloud.dir, (p) => p.endsWith(".yaml"));
    expect(secretHits([...outputs, ...files])).toEqual([]);
    process.stdout.write(
      `[reliability] ambiguous seed ${SEED}: ${servers.length} servers, runs (converged/failed) ${runs.join(" → ")}; answers lost ${cloud.emulator.stats.faults.ambiguous}, cut ${cloud.emulator.stats.faults.droppedResponses}; duplicates 0\n`,
    );
  });
});
