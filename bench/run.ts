/**
 * `npm run bench`: emulator throughput, plan and apply at fleet scale with their baselines, and the scaling
 * curve. Prints the figures and writes docs/benchmarks.md and docs/benchmarks-scaling.svg.
 * `--quick` runs small sizes only (a smoke test of the instruments; nothing is written).
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ApplyFigures } from "./apply-bench.js";
import { runApplyBench } from "./apply-bench.js";
import { runPerServerPoller, runSequentialBaseline } from "./baselines.js";
import type { PlanFigures } from "./plan-bench.js";
import { runPlanBench } from "./plan-bench.js";
import { machineOf, renderReport } from "./report.js";
import type { BenchResults } from "./report.js";
import type { ScalingPoint } from "./svg.js";
import { scalingSvg } from "./svg.js";
import { runThroughput } from "./throughput.js";

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const big = quick ? 1000 : 10_000;
  const applyN = quick ? 200 : 1000;
  const sizes = quick ? [100, 1000] : [100, 1000, 10_000];

  log("# emulator throughput");
  const throughput = await runThroughput(big, 32, quick ? 1000 : 5000);
  log(`GET /servers/{id}: ${throughput.getServer.perSecond.toFixed(0)} req/s; GET /servers/detail?limit=1000: ${throughput.listDetail1000.perSecond.toFixed(0)} req/s`);

  log(`# plan, ${big} servers, 10 ms latency`);
  const plan = await runPlanBench(big, 10, true);
  log(`wall ${s(plan.wallMs)}, ${plan.requests} requests (${plan.listRequests} list), planner ${plan.plannerUsPerServer.toFixed(1)} µs/server, RSS ${plan.maxRssMb?.toFixed(0)} MB; refresh baseline ${s(plan.baseline?.wallMs ?? 0)} / ${plan.baseline?.requests} requests`);

  log(`# apply, ${applyN} rebuilds, parallelism 100, rebuild 2 s`);
  const apply = await runApplyBench(applyN, 100, 2000);
  log(`apply ${s(apply.applyMs)} vs ideal ${s(apply.idealMs)} (${apply.ratio.toFixed(3)}×), ${apply.polls} polls, ${(apply.requests / applyN).toFixed(2)} requests/server, ${apply.converged}/${apply.changes} converged ${apply.failures.join("; ")}`);
  const sequential = await runSequentialBaseline(applyN, quick ? 3 : 10, 2000, 1000);
  log(`sequential loop: ${s(sequential.sampleMs)} for ${sequential.sample}, extrapolated ${s(sequential.extrapolatedMs)} for ${applyN}`);
  const perServer = await runPerServerPoller(applyN, 100, 2000, 2000);
  log(`per-server poller: ${s(perServer.wallMs)}, ${perServer.pollRequests} poll GETs, ${perServer.pollsPerInterval.toFixed(0)} per interval`);

  const curve: { plan: PlanFigures; apply: ApplyFigures }[] = [];
  for (const n of sizes) {
    const rebuildMs = n >= 10_000 ? 200 : 2000;
    const p = n === big ? plan : await runPlanBench(n, 10, false);
    const a = n === applyN ? apply : await runApplyBench(n, 100, rebuildMs);
    log(`scaling ${n}: plan ${s(p.wallMs)} ${p.requests} req ${p.maxRssMb?.toFixed(0)} MB; apply (rebuild ${rebuildMs} ms) ${s(a.applyMs)} (${a.ratio.toFixed(3)}× ideal) ${a.requests} req ${a.maxRssMb.toFixed(0)} MB`);
    curve.push({ plan: p, apply: a });
  }
  const results: BenchResults = { machine: await machineOf(), throughput, plan, apply, sequential, perServer, curve };
  if (quick) return;
  const points: ScalingPoint[] = curve.map(({ plan: p, apply: a }) => ({
    servers: p.servers,
    planSeconds: p.wallMs / 1000,
    planRequests: p.requests,
    planRssMb: p.maxRssMb ?? 0,
    applySeconds: a.applyMs / 1000,
    applyRequests: a.requests,
    applyRssMb: a.maxRssMb,
  }));
  await writeFile(`${DOCS}benchmarks-scaling.svg`, scalingSvg(points, `(${results.machine.summary}; apply at 10,000 with a 200 ms rebuild)`));
  await writeFile(`${DOCS}benchmarks.md`, renderReport(results));
  log("wrote docs/benchmarks.md and docs/benchmarks-scaling.svg");
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
