/**
 * Child-process entry: plan + apply through the library (what `reform apply --auto-approve` runs), with the
 * adapter wrapped to count bulk polls and reads, and every HTTP exchange attributed to the poll or read that sent it
 * (AsyncLocalStorage). Prints one JSON line (ApplyChildResult) on stdout.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { realPathOnDisk } from "../src/runtime/real-path.js";
import { setMaxListeners } from "node:events";
import type { ApplyEvent, OperationQuery, ProviderAdapter, Reporter } from "../src/index.js";
import { apply, applySucceeded, plan, systemClock } from "../src/index.js";
import { librarySession } from "./session.js";

export interface ApplyChildResult {
  readonly changes: number;
  readonly converged: number;
  readonly planMs: number;
  readonly applyMs: number;
  /** CPU time (user + system) of this process during apply, ms. */
  readonly applyCpuMs: number;
  /** Bulk polls (pollOperations calls) during apply. */
  readonly polls: number;
  /** Status reads those polls sent (bulk lists), in total and at most in one poll. */
  readonly pollRequests: number;
  readonly maxRequestsPerPoll: number;
  /** Nova instance-action reads those polls sent: one per rebuild when it has settled, a completion check, not a status read. */
  readonly actionChecks: number;
  readonly maxHandlesPerPoll: number;
  /** Bulk reads (fingerprint checks, verification) during apply, and the HTTP requests they sent. */
  readonly reads: number;
  readonly readRequests: number;
  readonly maxRssMb: number;
  readonly failures: readonly string[];
  /** Mean per server, in ms: step-started → step-finished (the emulated rebuild plus how late apply saw it end), and step-finished → instance-done (verification). */
  readonly stepMs: number;
  readonly verifyMs: number;
  /** Where a server's time beyond the rebuild goes, mean per server in ms (see `Phases`). */
  readonly phases?: Phases;
}

/**
 * Mean per server, in ms, from timestamps the wrapped adapter and the reporter take:
 * - `refill`: a slot freed (a server's instance-done) → the next server's rebuild POST sent (its fingerprint read,
 *   before-state), over the servers after the first `parallelism`;
 * - `post`: the rebuild POST sent → answered;
 * - `seenLate`: the rebuild ended in the emulator (POST answered + rebuild time, an upper bound) → the answer of the
 *   first poll that showed it settled;
 * - `confirm`: that poll's answer → step-finished (the confirming poll, its instance-action checks), of which
 *   `confirmWait` is that answer → the confirming poll sent (a poll that asked to complete the step);
 * - `verify`: step-finished → instance-done (the verification read);
 * - `readMs`: a fresh read's mean duration (the fingerprint checks: part of `refill`), sent → answered;
 * - `pollMs`: a poll's mean duration, sent → answered; `pollGapMs`: mean time between the starts of two polls.
 */
export interface Phases {
  readonly refill: number;
  readonly post: number;
  readonly seenLate: number;
  readonly confirm: number;
  readonly confirmWait: number;
  readonly verify: number;
  readonly readMs: number;
  readonly pollMs: number;
  readonly pollGapMs: number;
}

/** Mean time between two events of the same server, over the servers that have both. */
function meanBetween(
  times: Map<string, Partial<Record<ApplyEvent["type"], number>>>,
  from: ApplyEvent["type"],
  to: ApplyEvent["type"],
): number {
  let sum = 0;
  let n = 0;
  for (const t of times.values()) {
    const a = t[from];
    const b = t[to];
    if (a === undefined || b === undefined) continue;
    sum += b - a;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/** A reporter that keeps, per server, the time of the first event of each type. */
function timingReporter(): { reporter: Reporter; times: Map<string, Partial<Record<ApplyEvent["type"], number>>> } {
  const times = new Map<string, Partial<Record<ApplyEvent["type"], number>>>();
  const reporter: Reporter = {
    report: (event) => {
      if (!("address" in event)) return;
      const t = times.get(event.address) ?? {};
      t[event.type] ??= performance.now();
      times.set(event.address, t);
    },
  };
  return { reporter, times };
}

interface Counters {
  polls: number;
  pollRequests: number;
  actionChecks: number;
  maxRequestsPerPoll: number;
  maxHandles: number;
  reads: number;
  readRequests: number;
}

/** Per server id: when its rebuild POST was sent and answered, and when a poll first showed it settled. */
interface Stamps {
  readonly postSent: Map<string, number>;
  readonly postAnswered: Map<string, number>;
  readonly firstSeenDone: Map<string, number>;
  /** When the last poll that asked to complete the server's step (`OperationQuery.complete`) was sent. */
  readonly completeSent: Map<string, number>;
  /** Each poll's sending and answer. */
  readonly polls: { sent: number; answered: number }[];
  /** Each fresh read's duration. */
  readonly reads: number[];
}

/** Which bulk call the current async context belongs to: its request counter. */
const scope = new AsyncLocalStorage<{ requests: number; actionChecks: number }>();

async function counted<T>(call: () => Promise<T>, done: (requests: number, actionChecks: number) => void): Promise<T> {
  const store = { requests: 0, actionChecks: 0 };
  try {
    return await scope.run(store, call);
  } finally {
    done(store.requests, store.actionChecks);
  }
}

function counting(adapter: ProviderAdapter, c: Counters, stamps: Stamps): ProviderAdapter {
  return {
    name: adapter.name,
    type: adapter.type,
    ...(adapter.pollIntervalMs !== undefined ? { pollIntervalMs: adapter.pollIntervalMs } : {}),
    ...(adapter.operationRules !== undefined ? { operationRules: adapter.operationRules } : {}),
    capabilities: (signal) => adapter.capabilities(signal),
    resolveImages: (refs, signal) => adapter.resolveImages(refs, signal),
    findKeyPairs: (names, signal) => adapter.findKeyPairs(names, signal),
    listInstances: (req, signal) => {
      c.reads++;
      const sent = performance.now();
      return counted(
        async () => {
          const found = await adapter.listInstances(req, signal);
          stamps.reads.push(performance.now() - sent);
          return found;
        },
        (n) => (c.readRequests += n),
      );
    },
    startStep: async (req, signal) => {
      stamps.postSent.set(req.instance.id, performance.now());
      const handle = await adapter.startStep(req, signal);
      stamps.postAnswered.set(req.instance.id, performance.now());
      return handle;
    },
    pollOperations: (queries: readonly OperationQuery[], signal) => {
      c.polls++;
      c.maxHandles = Math.max(c.maxHandles, queries.length);
      const sent = performance.now();
      for (const query of queries) if (query.complete) stamps.completeSent.set(query.handle.instanceId, sent);
      return counted(
        async () => {
          const seen = await adapter.pollOperations(queries, signal);
          const answered = performance.now();
          stamps.polls.push({ sent, answered });
          for (const [i, query] of queries.entries()) {
            const instance = seen[i]?.instance;
            if (
              instance?.task === null &&
              instance.status === "active" &&
              instance.updatedAt !== query.handle.baseline.updatedAt &&
              !stamps.firstSeenDone.has(instance.id)
            )
              stamps.firstSeenDone.set(instance.id, answered);
          }
          return seen;
        },
        (n, checks) => {
          c.pollRequests += n;
          c.actionChecks += checks;
          c.maxRequestsPerPoll = Math.max(c.maxRequestsPerPoll, n);
        },
      );
    },
    close: () => adapter.close(),
  };
}

async function main(): Promise<void> {
  const { dir, fleetPath, parallelism, rebuildMs } = JSON.parse(process.env["BENCH_APPLY"] ?? "{}") as {
    dir: string;
    fleetPath: string;
    parallelism: number;
    rebuildMs: number;
  };
  process.on("disconnect", orphaned);
  const onExchange = (line: string) => {
    const store = scope.getStore();
    if (!store) return;
    if (/os-instance-actions/.test(line)) store.actionChecks++;
    else store.requests++;
  };
  const session = await librarySession({ dir, fleetPath }, onExchange);
  const c: Counters = {
    polls: 0,
    pollRequests: 0,
    actionChecks: 0,
    maxRequestsPerPoll: 0,
    maxHandles: 0,
    reads: 0,
    readRequests: 0,
  };
  const stamps: Stamps = {
    postSent: new Map(),
    postAnswered: new Map(),
    firstSeenDone: new Map(),
    completeSent: new Map(),
    polls: [],
    reads: [],
  };
  const adapters = new Map([...session.adapters].map(([name, a]) => [name, counting(a, c, stamps)]));
  const controller = new AbortController();
  // Up to `parallelism` requests share the signal (the CLI's processSignal has the same need).
  setMaxListeners(0, controller.signal);
  const signal = controller.signal;
  const t0 = performance.now();
  const planned = await plan({ fleet: session.fleet, adapters, clock: systemClock, signal });
  const planMs = performance.now() - t0;
  Object.assign(c, { reads: 0, readRequests: 0 });
  stamps.reads.length = 0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const { reporter, times } = timingReporter();
  const report = await apply({
    planned,
    adapters,
    clock: systemClock,
    reporter,
    signal,
    env: {},
    readFile: async () => "",
    realPath: realPathOnDisk,
    options: { parallelism },
  });
  const applyMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  await session.close();
  const failures = report.results
    .filter((r) => r.result.type !== "converged")
    .slice(0, 5)
    .map((r) => `${r.address}: ${"why" in r.result ? r.result.why : r.result.type}`);
  const result: ApplyChildResult = {
    changes: planned.plan.changes.filter((change) => change.action !== "no-op").length,
    converged: report.results.filter((r) => r.result.type === "converged").length,
    planMs,
    applyMs,
    applyCpuMs: (cpu.user + cpu.system) / 1000,
    polls: c.polls,
    pollRequests: c.pollRequests,
    actionChecks: c.actionChecks,
    maxRequestsPerPoll: c.maxRequestsPerPoll,
    maxHandlesPerPoll: c.maxHandles,
    reads: c.reads,
    readRequests: c.readRequests,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    failures: applySucceeded(report) ? [] : failures,
    stepMs: meanBetween(times, "step-started", "step-finished"),
    verifyMs: meanBetween(times, "step-finished", "instance-done"),
    phases: phasesOf(
      stamps,
      times,
      new Map(planned.plan.changes.map((change) => [change.address, change.id])),
      parallelism,
      rebuildMs,
    ),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  release();
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The per-server phases (see `Phases`) from the stamps and the reporter's times, keyed by address. */
function phasesOf(
  stamps: Stamps,
  times: Map<string, Partial<Record<ApplyEvent["type"], number>>>,
  idOf: ReadonlyMap<string, string>,
  parallelism: number,
  rebuildMs: number,
): Phases {
  const freed = [...times.values()].flatMap((t) => (t["instance-done"] === undefined ? [] : [t["instance-done"]]));
  freed.sort((a, b) => a - b);
  const posts = [...stamps.postSent.values()].sort((a, b) => a - b);
  const refill = posts.slice(parallelism).map((sent, i) => sent - (freed[i] ?? sent));
  const post: number[] = [];
  const seenLate: number[] = [];
  const confirm: number[] = [];
  const confirmWait: number[] = [];
  for (const [address, t] of times) {
    const id = idOf.get(address) ?? "";
    const sent = stamps.postSent.get(id);
    const answered = stamps.postAnswered.get(id);
    const seen = stamps.firstSeenDone.get(id);
    if (sent !== undefined && answered !== undefined) post.push(answered - sent);
    if (answered !== undefined && seen !== undefined) seenLate.push(seen - (answered + rebuildMs));
    if (seen !== undefined && t["step-finished"] !== undefined) confirm.push(t["step-finished"] - seen);
    const completing = stamps.completeSent.get(id);
    if (seen !== undefined && completing !== undefined) confirmWait.push(completing - seen);
  }
  const polls = stamps.polls;
  return {
    refill: mean(refill),
    post: mean(post),
    seenLate: mean(seenLate),
    confirm: mean(confirm),
    confirmWait: mean(confirmWait),
    verify: meanBetween(times, "step-finished", "instance-done"),
    readMs: mean(stamps.reads),
    pollMs: mean(polls.map((p) => p.answered - p.sent)),
    pollGapMs: mean(polls.slice(1).map((p, i) => p.sent - (polls[i]?.sent ?? p.sent))),
  };
}

/** The benchmark that started this process is gone: stop (its emulator is gone too). */
function orphaned(): void {
  process.exit(1);
}

/** Lets the process end: the IPC channel kept it alive only so that it would notice an orphaning. */
function release(): void {
  process.off("disconnect", orphaned);
  process.disconnect?.();
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
  release();
});
