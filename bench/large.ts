/**
 * `npm run bench -- --large`: the plan of 100,000 servers on OpenStack (DESIGN §12.6's targets), then on Huawei
 * and JD Cloud, each against the emulator in its own process with 10 ms injected latency. Not run in CI (several
 * minutes on 2 cores). Writes its section at the end of docs/benchmarks.md and leaves the rest of the page as it is.
 */
import { loadavg } from "node:os";
import type { OpenStackClientFigures } from "./openstackclient.js";
import { openStackClientVersion, runOpenStackClient } from "./openstackclient.js";
import type { CloudPlanFigures, PlanFigures } from "./plan-bench.js";
import { runCloudPlanBench, runPlanBench } from "./plan-bench.js";
import type { LargeResults, Loaded } from "./report.js";
import { machineOf } from "./report.js";

export const LARGE_SERVERS = 100_000;
const LATENCY_MS = 10;

async function loaded<T>(measure: () => Promise<T>): Promise<Loaded<T>> {
  const before = loadavg()[0] ?? 0;
  const figures = await measure();
  return { figures, load: [before, loadavg()[0] ?? 0] };
}

/** Runs the large plans one after the other, reporting each with `log`, and returns what the report needs. */
export async function runLarge(log: (line: string) => void): Promise<LargeResults> {
  const started = performance.now();
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  log(`# plan, ${LARGE_SERVERS} OpenStack servers, ${LATENCY_MS} ms latency`);
  const plan: Loaded<PlanFigures> = await loaded(() => runPlanBench(LARGE_SERVERS, LATENCY_MS, false));
  const p = plan.figures;
  log(
    `wall ${s(p.wallMs)}, ${p.requests} requests (${p.listRequests} list), planner ${p.plannerUsPerServer.toFixed(1)} µs/server, RSS ${p.maxRssMb?.toFixed(0)} MB; load ${plan.load.map((l) => l.toFixed(1)).join(" → ")}`,
  );
  const version = await openStackClientVersion(log);
  const peer: Loaded<OpenStackClientFigures> | undefined =
    version === undefined ? undefined : await loaded(() => runOpenStackClient(LARGE_SERVERS, LATENCY_MS, version));
  if (peer)
    log(
      `openstack server list --long --limit -1: ${s(peer.figures.wallMs)}, ${peer.figures.requests} requests; load ${peer.load.map((l) => l.toFixed(1)).join(" → ")}`,
    );
  const clouds: Loaded<CloudPlanFigures>[] = [];
  for (const cloud of ["huaweicloud", "jdcloud"] as const) {
    const c = await loaded(() => runCloudPlanBench(cloud, LARGE_SERVERS, LATENCY_MS));
    log(
      `plan on ${cloud}: wall ${s(c.figures.wallMs)}, ${c.figures.requests} requests, RSS ${c.figures.maxRssMb?.toFixed(0)} MB; load ${c.load.map((l) => l.toFixed(1)).join(" → ")}`,
    );
    clouds.push(c);
  }
  return {
    machine: await machineOf(),
    loadNote: process.env["BENCH_LOAD_NOTE"] ?? "",
    totalMs: performance.now() - started,
    plan,
    ...(peer ? { peer } : {}),
    clouds,
  };
}
