/**
 * `npm run bench`: emulator throughput, plan and apply at fleet scale with their baselines, and the scaling
 * curve. Prints the figures and writes docs/benchmarks.md (below its hand-written introduction) and
 * docs/benchmarks-scaling.svg.
 * `--quick` (or BENCH_QUICK=1) runs small sizes only, in about a minute: a check of the instruments that writes nothing.
 * `--large` runs only the 100,000-server plans (bench/large.ts; not in CI) and rewrites only their section of docs/benchmarks.md.
 * `--throughput` runs only the emulator throughput at the full size (10,000 servers) and prints it: writes nothing.
 * `--apply-only [N]` runs only the apply of N rebuilds (default 10,000; parallelism as on the curve) and prints it with
 * its per-server phases and the load: writes nothing.
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import type { ApplyFigures } from "./apply-bench.js";
import { runApplyBench } from "./apply-bench.js";
import { runPerServerPoller, runSequentialBaseline } from "./baselines.js";
import { installCleanup, running } from "./children.js";
import type { CloudPlanFigures } from "./plan-bench.js";
import { runCloudPlanBench, runPlanBench } from "./plan-bench.js";
import { runLarge } from "./large.js";
import { machineOf, renderLargeReport, renderReport, withIntro, withLarge } from "./report.js";
import type { BenchResults } from "./report.js";
import { openStackClientVersion, runOpenStackClient } from "./openstackclient.js";
import type { ScalingData } from "./scaling.js";
import { mergePoints, parsePoints, seriesOf } from "./scaling.js";
import { scalingSvg } from "./svg.js";
import { runStartup } from "./startup.js";
import { describeLists, runThroughput } from "./throughput.js";

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
/** The plot's points of every run (not in docs/: the package ships docs/). */
const POINTS = fileURLToPath(new URL("../../bench/scaling-points.json", import.meta.url));

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The sizes of one run. The full run stays within a few minutes on 2 cores. */
export interface BenchSizes {
  readonly big: number;
  readonly applyN: number;
  readonly sequentialSample: number;
  readonly curve: readonly number[];
  readonly throughputMs: number;
  readonly limitMs: number;
  readonly startupRounds: number;
}

const FULL: BenchSizes = {
  big: 10_000,
  applyN: 1000,
  sequentialSample: 10,
  curve: [100, 1000, 10_000],
  throughputMs: 5000,
  limitMs: 15 * 60_000,
  startupRounds: 10,
};
const QUICK: BenchSizes = {
  big: 1000,
  applyN: 200,
  sequentialSample: 3,
  curve: [100, 1000],
  throughputMs: 1000,
  limitMs: 5 * 60_000,
  startupRounds: 3,
};

/** Parallelism and emulated rebuild of the apply curve: 100 at a time, except 500 from 10,000 servers (20 waves of 2 s). */
export function curveApply(servers: number): { readonly parallelism: number; readonly rebuildMs: number } {
  return { parallelism: servers >= 10_000 ? 500 : 100, rebuildMs: 2000 };
}

/** Merges fresh points into bench/scaling-points.json and draws docs/benchmarks-scaling.svg from all of them. */
export async function writeScaling(fresh: ScalingData, caption: string): Promise<void> {
  const data = mergePoints(parsePoints(await readFile(POINTS, "utf8").catch(() => undefined)), fresh);
  await writeFile(POINTS, `${JSON.stringify(data, null, 2)}\n`);
  await writeFile(`${DOCS}benchmarks-scaling.svg`, scalingSvg(seriesOf(data), caption));
}

async function large(): Promise<void> {
  installCleanup(30 * 60_000, (line) => process.stderr.write(`${line}\n`));
  const results = await runLarge(log);
  const p = results.plan.figures;
  const osc = results.peer?.figures;
  await writeScaling(
    {
      plan: [{ servers: p.servers, seconds: p.wallMs / 1000, requests: p.requests, ...rss(p.maxRssMb) }],
      ...(osc
        ? { openstackclient: [{ servers: osc.servers, seconds: osc.wallMs / 1000, requests: osc.requests }] }
        : {}),
    },
    `(${results.machine.summary}; see docs/benchmarks.md for the load of each run)`,
  );
  log(`large run took ${s(results.totalMs)}; processes still running: ${running()}`);
  const previous = await readFile(`${DOCS}benchmarks.md`, "utf8").catch(() => "");
  await writeFile(`${DOCS}benchmarks.md`, withLarge(previous, renderLargeReport(results)));
  log("wrote the large-run section of docs/benchmarks.md");
}

/** `--throughput`: the emulator throughput part alone, printed (a minute or so). */
async function throughputOnly(): Promise<void> {
  installCleanup(FULL.limitMs, (line) => process.stderr.write(`${line}\n`));
  const load = loadavg()[0] ?? 0;
  const t = await runThroughput(FULL.big, 32, FULL.throughputMs);
  log(`${t.servers} servers; GET /servers/{id}: ${t.getServer.perSecond.toFixed(0)} req/s; ${describeLists(t)}`);
  log(`load ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}; processes still running: ${running()}`);
}

/** The size `--apply-only` was given (the argument after it), or 10,000. */
function applyOnlySize(argv: readonly string[]): number {
  const next = argv[argv.indexOf("--apply-only") + 1];
  const n = next === undefined ? NaN : Number(next);
  return Number.isInteger(n) && n > 0 ? n : 10_000;
}

/** `--apply-only [N]`: one apply of N rebuilds at the curve's parallelism, printed with its phases (a minute or so). */
async function applyOnly(servers: number): Promise<void> {
  installCleanup(FULL.limitMs, (line) => process.stderr.write(`${line}\n`));
  const load = loadavg()[0] ?? 0;
  const { parallelism, rebuildMs } = curveApply(servers);
  log(`# apply, ${servers} rebuilds, parallelism ${parallelism}, rebuild ${rebuildMs} ms`);
  const a = await runApplyBench(servers, parallelism, rebuildMs);
  log(describeApply(a));
  const p = a.phases;
  if (p)
    log(
      `beyond the rebuild, per server: refill ${p.refill.toFixed(0)} ms (fresh reads take ${p.readMs.toFixed(0)} ms), POST ${p.post.toFixed(0)} ms, seen settled ${p.seenLate.toFixed(0)} ms, confirmed ${p.confirm.toFixed(0)} ms (${p.confirmWait.toFixed(0)} ms of it before the confirming poll was sent), verified ${p.verify.toFixed(0)} ms; poll ${p.pollMs.toFixed(0)} ms, one every ${p.pollGapMs.toFixed(0)} ms`,
    );
  log(
    `fresh reads: ${a.reads} bulk reads, ${a.readRequests} requests; CPU: reform ${s(a.applyCpuMs)} during apply, emulator ${s(a.emulatorCpuMs)} during plan + apply`,
  );
  log(`load ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}; processes still running: ${running()}`);
}

async function main(): Promise<void> {
  if (process.argv.includes("--large")) return large();
  if (process.argv.includes("--throughput")) return throughputOnly();
  if (process.argv.includes("--apply-only")) return applyOnly(applyOnlySize(process.argv));
  const quick = process.argv.includes("--quick") || process.env["BENCH_QUICK"] === "1";
  const sizes = quick ? QUICK : FULL;
  installCleanup(sizes.limitMs, (line) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;

  log("# CLI start-up (whole processes)");
  const startup = await runStartup(sizes.startupRounds);
  log(
    `node -e 0: ${startup.nodeMs.toFixed(0)} ms; ${startup.commands.map((c) => `${c.label}: ${c.medianMs.toFixed(0)} ms (${c.ratio.toFixed(2)}×)`).join("; ")}; load ${startup.load[0].toFixed(1)} → ${startup.load[1].toFixed(1)}`,
  );

  const oscVersion = await openStackClientVersion(log);

  log("# emulator throughput");
  const throughput = await runThroughput(sizes.big, 32, sizes.throughputMs);
  log(`GET /servers/{id}: ${throughput.getServer.perSecond.toFixed(0)} req/s; ${describeLists(throughput)}`);

  log(`# plan, ${sizes.big} servers, 10 ms latency`);
  const plan = await runPlanBench(sizes.big, 10, true);
  log(
    `wall ${s(plan.wallMs)}, ${plan.requests} requests (${plan.listRequests} list), planner ${plan.plannerUsPerServer.toFixed(1)} µs/server, RSS ${plan.maxRssMb?.toFixed(0)} MB; refresh baseline ${s(plan.baseline?.wallMs ?? 0)} / ${plan.baseline?.requests} requests`,
  );

  const clouds: CloudPlanFigures[] = [];
  for (const cloud of ["huaweicloud", "jdcloud"] as const) {
    const figures = await runCloudPlanBench(cloud, sizes.big, 10);
    log(
      `plan on ${cloud}: wall ${s(figures.wallMs)}, ${figures.requests} requests, RSS ${figures.maxRssMb?.toFixed(0)} MB`,
    );
    clouds.push(figures);
  }

  log(`# apply, ${sizes.applyN} rebuilds, parallelism 100, rebuild 2 s`);
  const apply = await runApplyBench(sizes.applyN, 100, 2000);
  log(describeApply(apply));
  const sequential = await runSequentialBaseline(sizes.applyN, sizes.sequentialSample, 2000, 1000);
  log(
    `sequential loop: ${s(sequential.sampleMs)} for ${sequential.sample}, extrapolated ${s(sequential.extrapolatedMs)} for ${sizes.applyN}`,
  );
  const perServer = await runPerServerPoller(sizes.applyN, 100, 2000, 2000);
  log(
    `per-server poller: ${s(perServer.wallMs)}, ${perServer.pollRequests} poll GETs, ${perServer.pollsPerInterval.toFixed(0)} per interval`,
  );

  const curve: CurvePoint[] = [];
  for (const n of sizes.curve) {
    const { parallelism, rebuildMs } = curveApply(n);
    const p = n === sizes.big ? plan : await runPlanBench(n, 10, true);
    const osc = oscVersion === undefined ? undefined : await runOpenStackClient(n, 10, oscVersion);
    if (osc) log(`openstack server list --long --limit -1, ${n} servers: ${s(osc.wallMs)}, ${osc.requests} requests`);
    const a = n === sizes.applyN && parallelism === 100 ? apply : await runApplyBench(n, parallelism, rebuildMs);
    log(`scaling ${n}: plan ${s(p.wallMs)} ${p.requests} req ${p.maxRssMb?.toFixed(0)} MB; ${describeApply(a)}`);
    curve.push({ plan: p, apply: a, ...(osc ? { openstackclient: osc } : {}) });
  }
  const totalMs = performance.now() - started;
  log(`benchmark took ${s(totalMs)}; processes still running: ${running()}`);
  if (quick) return;
  const results: BenchResults = {
    machine: await machineOf(),
    loadNote: process.env["BENCH_LOAD_NOTE"] ?? "",
    totalMs,
    load: [loadAtStart, loadavg()[0] ?? 0],
    startup,
    throughput,
    plan,
    clouds,
    apply,
    sequential,
    perServer,
    curve,
  };
  const point = (servers: number, ms: number, requests: number, rssMb?: number) => ({
    servers,
    seconds: ms / 1000,
    requests,
    ...rss(rssMb),
  });
  await writeScaling(
    {
      plan: curve.map(({ plan: p }) => point(p.servers, p.wallMs, p.requests, p.maxRssMb)),
      apply: curve.map(({ apply: a }) => point(a.servers, a.applyMs, a.requests, a.maxRssMb)),
      openstackclient: curve.flatMap(({ openstackclient: o }) => (o ? [point(o.servers, o.wallMs, o.requests)] : [])),
      terraform: curve.flatMap(({ plan: p }) =>
        p.baseline ? [point(p.servers, p.baseline.wallMs, p.baseline.requests)] : [],
      ),
    },
    `(${results.machine.summary}; apply: parallelism 100, 500 from 10,000 servers, 2 s rebuild)`,
  );
  const previous = await readFile(`${DOCS}benchmarks.md`, "utf8").catch(() => "");
  await writeFile(`${DOCS}benchmarks.md`, withIntro(previous, renderReport(results)));
  log("wrote docs/benchmarks.md and docs/benchmarks-scaling.svg");
}

type CurvePoint = BenchResults["curve"][number];

const rss = (mb: number | undefined) => (mb === undefined ? {} : { rssMb: mb });

function describeApply(a: ApplyFigures): string {
  const fails = a.failures.length > 0 ? `; failures: ${a.failures.join("; ")}` : "";
  return `apply ${a.servers} (rebuild ${a.rebuildMs} ms) ${s(a.applyMs)} vs ideal ${s(a.idealMs)} (${a.ratio.toFixed(3)}×), ${a.polls} polls (${a.pollRequests} status reads, at most ${a.maxRequestsPerPoll} per poll; ${a.actionChecks} instance-action checks), ${(a.requests / a.servers).toFixed(2)} requests/server, RSS ${a.maxRssMb.toFixed(0)} MB, ${a.converged}/${a.changes} converged; per server: step ${a.stepMs.toFixed(0)} ms, verification ${a.verifyMs.toFixed(0)} ms${fails}`;
}

void main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
