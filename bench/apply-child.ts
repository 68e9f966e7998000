/**
 * Child-process entry: plan + apply through the library (what `reform apply --auto-approve` runs), with the
 * adapter wrapped to count bulk polls and reads. Prints one JSON line (ApplyChildResult) on stdout.
 */
import type { OperationHandle, ProviderAdapter } from "../src/index.js";
import { apply, applySucceeded, plan, systemClock } from "../src/index.js";
import { librarySession } from "./session.js";

export interface ApplyChildResult {
  readonly changes: number;
  readonly converged: number;
  readonly planMs: number;
  readonly applyMs: number;
  readonly polls: number;
  readonly maxHandlesPerPoll: number;
  readonly reads: number;
  readonly maxRssMb: number;
  readonly failures: readonly string[];
}

interface Counters {
  polls: number;
  maxHandles: number;
  reads: number;
}

function counting(adapter: ProviderAdapter, counters: Counters): ProviderAdapter {
  return {
    name: adapter.name,
    type: adapter.type,
    ...(adapter.pollIntervalMs !== undefined ? { pollIntervalMs: adapter.pollIntervalMs } : {}),
    capabilities: (signal) => adapter.capabilities(signal),
    resolveImages: (refs, signal) => adapter.resolveImages(refs, signal),
    listInstances: (req, signal) => {
      counters.reads++;
      return adapter.listInstances(req, signal);
    },
    startStep: (req, signal) => adapter.startStep(req, signal),
    pollOperations: (handles: readonly OperationHandle[], signal) => {
      counters.polls++;
      counters.maxHandles = Math.max(counters.maxHandles, handles.length);
      return adapter.pollOperations(handles, signal);
    },
    close: () => adapter.close(),
  };
}

async function main(): Promise<void> {
  const { dir, fleetPath, parallelism } = JSON.parse(process.env["BENCH_APPLY"] ?? "{}") as { dir: string; fleetPath: string; parallelism: number };
  const session = await librarySession({ dir, fleetPath, remove: async () => undefined });
  const counters: Counters = { polls: 0, maxHandles: 0, reads: 0 };
  const adapters = new Map([...session.adapters].map(([name, a]) => [name, counting(a, counters)]));
  const signal = new AbortController().signal;
  const t0 = performance.now();
  const planned = await plan({ fleet: session.fleet, adapters, clock: systemClock, signal });
  const planMs = performance.now() - t0;
  counters.reads = 0;
  const t1 = performance.now();
  const report = await apply({ planned, adapters, clock: systemClock, reporter: { report: () => undefined }, signal, env: {}, readFile: async () => "", options: { parallelism } });
  const applyMs = performance.now() - t1;
  await session.close();
  const failures = report.results.filter((r) => r.result.type !== "converged").slice(0, 5).map((r) => `${r.address}: ${"why" in r.result ? r.result.why : r.result.type}`);
  const result: ApplyChildResult = {
    changes: planned.plan.changes.filter((c) => c.action !== "no-op").length,
    converged: report.results.filter((r) => r.result.type === "converged").length,
    planMs,
    applyMs,
    polls: counters.polls,
    maxHandlesPerPoll: counters.maxHandles,
    reads: counters.reads,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    failures: applySucceeded(report) ? [] : failures,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
