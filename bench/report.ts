import { availableParallelism, cpus, totalmem } from "node:os";
import type { ApplyFigures } from "./apply-bench.js";
import type { Phases } from "./apply-child.js";
import type { PerServerPollerFigures, SequentialFigures } from "./baselines.js";
import type { CloudPlanFigures, PlanFigures } from "./plan-bench.js";
import type { OpenStackClientFigures } from "./openstackclient.js";
import { OPENSTACK_CLIENT_COMMAND } from "./openstackclient.js";
import { CONFIRM_AFTER_MS } from "../src/apply/poller.js";
import type { StartupFigures } from "./startup.js";
import type { ListThroughput, ThroughputFigures, Walk } from "./throughput.js";

export interface Machine {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly summary: string;
}

export interface BenchResults {
  readonly machine: Machine;
  /** What else ran on the machine, said by whoever ran the benchmark (BENCH_LOAD_NOTE); empty when nothing. */
  readonly loadNote: string;
  readonly totalMs: number;
  /** The 1-minute load average when the run started and when it ended. */
  readonly load: readonly [number, number];
  readonly startup: StartupFigures;
  readonly throughput: ThroughputFigures;
  readonly plan: PlanFigures;
  /** The same plan against the Huawei and JD emulators. */
  readonly clouds: readonly CloudPlanFigures[];
  readonly apply: ApplyFigures;
  readonly sequential: SequentialFigures;
  readonly perServer: PerServerPollerFigures;
  readonly curve: readonly {
    readonly plan: PlanFigures;
    readonly apply: ApplyFigures;
    /** The official client's listing of the same world (absent when the client could not be run). */
    readonly openstackclient?: OpenStackClientFigures;
  }[];
}

/** The line between the hand-written introduction of docs/benchmarks.md and what the benchmark writes. */
export const GENERATED_MARKER =
  "<!-- Everything below is written by `npm run bench`: edit bench/report.ts, not this part. -->";

const DEFAULT_INTRO = "# Benchmarks\n\n(Method: see bench/run.ts.)\n";

/** The line above the figures that `npm run bench -- --large` writes at the end of docs/benchmarks.md. */
export const LARGE_MARKER =
  "<!-- Everything below is written by `npm run bench -- --large` (not run in CI): edit bench/report.ts, not this part. -->";

/** The previous page's large-run section (from its marker to the end), or "" when it has none. */
function largeSectionOf(previous: string): string {
  const at = previous.indexOf(LARGE_MARKER);
  return at >= 0 ? previous.slice(at).trimEnd() : "";
}

/** The page to write: the previous page's hand-written part (up to the marker), then the generated figures, then the previous large-run section, kept as it was. */
export function withIntro(previous: string, generated: string): string {
  const at = previous.indexOf(GENERATED_MARKER);
  const intro = at >= 0 ? previous.slice(0, at) : DEFAULT_INTRO;
  const large = largeSectionOf(previous);
  return `${intro.trimEnd()}\n\n${GENERATED_MARKER}\n\n${generated.trimEnd()}\n${large ? `\n${large}\n` : ""}`;
}

/** The page to write after a large run: the previous page up to its large-run section (all of it when it has none), then the new large-run figures. */
export function withLarge(previous: string, generated: string): string {
  const at = previous.indexOf(LARGE_MARKER);
  const before = (at >= 0 ? previous.slice(0, at) : previous || DEFAULT_INTRO).trimEnd();
  return `${before}\n\n${LARGE_MARKER}\n\n${generated.trimEnd()}\n`;
}

export async function machineOf(): Promise<Machine> {
  const memoryGb = totalmem() / 1024 ** 3;
  const cpuModel = cpus()[0]?.model.trim() ?? "unknown CPU";
  const n = availableParallelism();
  return {
    date: new Date().toISOString().slice(0, 10),
    cpus: n,
    cpuModel,
    memoryGb,
    node: process.version,
    summary: `${n} CPUs, ${memoryGb.toFixed(0)} GB, Node ${process.version}`,
  };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * A route as the report shows it: the emulator already writes ids as `{id}` and request ids as `{request-id}`; names
 * in paths (a key pair's) become `{name}` and Huawei's project id `{project_id}`, so that routes read alike in every run.
 */
export function normalRoute(route: string): string {
  return route
    .replace(/\/os-keypairs\/[^/\s]+/, "/os-keypairs/{name}")
    .replace(/^(\S+ \/huaweicloud\/v[\d.]+)\/\{id\}\//, "$1/{project_id}/");
}

/** "Requests by route" items: normalised routes, in the order the emulator first saw them. */
export function routes(byRoute: Readonly<Record<string, number>>): string {
  const merged = new Map<string, number>();
  for (const [route, n] of Object.entries(byRoute))
    merged.set(normalRoute(route), (merged.get(normalRoute(route)) ?? 0) + n);
  return [...merged].map(([r, n]) => `\`${r}\` ${n.toLocaleString("en")}`).join(", ");
}
const ok = (pass: boolean) => (pass ? "met" : "**missed**");

function planSection(p: PlanFigures, osc: OpenStackClientFigures | undefined): string[] {
  const target = Math.ceil(p.servers / 1000) + 5;
  return [
    `## Plan: ${p.servers.toLocaleString("en")} servers, ${p.latencyMs} ms injected latency per request`,
    "",
    `\`reform plan --detailed-exitcode\` run as a child process under \`/usr/bin/time -v\` (text output; every tenth server has drifted metadata: ${(p.servers / 10).toLocaleString("en")} metadata updates, ${(p.servers - p.servers / 10).toLocaleString("en")} unchanged).`,
    "",
    "| figure | measured | target | |",
    "|---|---|---|---|",
    `| wall time | ${sec(p.wallMs)} | ≤ 3 s | ${ok(p.wallMs <= 3000)} |`,
    `| API requests | ${p.requests} (${p.listRequests} server list pages) | ≤ ceil(N/1000) + a few = ${target} | ${ok(p.requests <= target)} |`,
    `| planner CPU (planFleet alone) | ${p.plannerUsPerServer.toFixed(1)} µs/server | ≤ 50 µs | ${ok(p.plannerUsPerServer <= 50)} |`,
    `| peak RSS of the reform process | ${p.maxRssMb?.toFixed(0) ?? "n/a"} MB | ≤ 300 MB | ${ok((p.maxRssMb ?? 0) <= 300)} |`,
    "",
    ...coldLine(p),
    `Requests by route: ${routes(p.byRoute)}.`,
    "",
    ...peersLines(p, osc),
  ];
}

/** What the measured run is, and the one before it on the fresh emulator (results from before it was measured have none). */
function coldLine(p: { readonly wallMs: number; readonly coldWallMs?: number }): string[] {
  if (p.coldWallMs === undefined) return [];
  return [
    `The wall time is the second plan against the emulator, which has served every page once (reform's time, not the emulator's first build of each page; a Keystone token request does not make it forget them). The first, on the fresh emulator: ${sec(p.coldWallMs)}.`,
    "",
  ];
}

const fresh = (f: { readonly coldWallMs?: number }) =>
  f.coldWallMs === undefined ? "" : ` (on the fresh emulator, the run before: ${sec(f.coldWallMs)})`;

/** reform's whole plan against the official client's bare listing (goal ≤ 0.25×) and Terraform's refresh pattern. */
function peersLines(p: PlanFigures, osc: OpenStackClientFigures | undefined): string[] {
  const b = p.baseline;
  const ratio = osc ? p.wallMs / osc.wallMs : undefined;
  return [
    `**Peers, same world, same emulator, same latency** (DESIGN §12.6: reform's whole plan ≤ 0.25 × the official client's bare listing):`,
    "",
    osc && ratio !== undefined
      ? `- *python-openstackclient* (${osc.version}, Debian's \`python3-openstackclient\`), \`${OPENSTACK_CLIENT_COMMAND}\` as a whole process, only listing, measured as reform is: ${sec(osc.wallMs)}${fresh(osc)}, ${osc.requests} requests (${routes(osc.byRoute)}). reform's whole plan takes **${ratio.toFixed(2)}×** its time: ${ratio <= 0.25 ? "met" : "**missed** (goal ≤ 0.25×)"}.`
      : "- *python-openstackclient*: not measured in this run (the `openstack` CLI was missing and could not be installed).",
    b
      ? `- *Terraform's refresh pattern* (one \`GET /servers/{id}\` per server, 10 in flight, timed after the ids are known): ${sec(b.wallMs)} and ${b.requests.toLocaleString("en")} requests, before any planning. reform's whole plan is **${(b.wallMs / p.wallMs).toFixed(1)}× faster** and sends **${(b.requests / p.requests).toFixed(0)}× fewer requests**.`
      : "- *Terraform's refresh pattern*: not measured in this run.",
    "",
  ];
}

const CLOUD_NOTES: Readonly<Record<CloudPlanFigures["cloud"], string>> = {
  openstack: "",
  huaweicloud:
    "`GET /v1/{project}/cloudservers/detail` pages of 1,000 (the adapter's page size; offset is a page number); metadata and user_data come with the list.",
  jdcloud:
    "`describeInstances` pages of 100, and `describeInstancesCustomData` (metadata and user data) 10 servers per request, 4 requests in flight: JD's API makes the plan O(N/10) requests.",
};

function startupSection(st: StartupFigures): string[] {
  return [
    "## CLI start-up",
    "",
    `Whole processes, spawn to exit, median of ${st.rounds} rounds; in each round \`node -e 0\`, then each command, one after the other, so that the machine's load weighs on all alike. Load average (1 min) ${st.load[0].toFixed(1)} before, ${st.load[1].toFixed(1)} after.`,
    "",
    "| command | median | × `node -e 0` | target | |",
    "|---|---|---|---|---|",
    `| \`node -e 0\` | ${st.nodeMs.toFixed(0)} ms | 1.00 | | |`,
    ...st.commands.map(
      (c) =>
        `| \`${c.label}\` | ${c.medianMs.toFixed(0)} ms | ${c.ratio.toFixed(2)} | ≤ ${c.target} × | ${ok(c.ratio <= c.target)} |`,
    ),
    "",
  ];
}

function cloudsSection(plan: PlanFigures, clouds: readonly CloudPlanFigures[]): string[] {
  if (clouds.length === 0) return [];
  return [
    `### The same plan on each cloud (${plan.servers.toLocaleString("en")} servers, ${plan.latencyMs} ms latency)`,
    "",
    "| cloud | wall time | API requests | peak RSS | how it reads |",
    "|---|---|---|---|---|",
    `| OpenStack Nova | ${sec(plan.wallMs)} | ${plan.requests} | ${plan.maxRssMb?.toFixed(0) ?? "n/a"} MB | \`GET /servers/detail\` pages of 1,000 |`,
    ...clouds.map(
      (c) =>
        `| ${c.cloud === "huaweicloud" ? "Huawei ECS" : "JD Cloud VM"} | ${sec(c.wallMs)} | ${c.requests} | ${c.maxRssMb?.toFixed(0) ?? "n/a"} MB | ${CLOUD_NOTES[c.cloud]} |`,
    ),
    "",
    ...clouds.map((c) => `Requests by route (${c.cloud}): ${routes(c.byRoute)}.`),
    "",
    ...coldClouds(clouds),
  ];
}

/** Each cloud's plan on the fresh emulator, the run before the measured one, and a blank line (none: nothing). */
function coldClouds(clouds: readonly CloudPlanFigures[]): string[] {
  const lines = clouds.flatMap((c) =>
    c.coldWallMs === undefined ? [] : [`On the fresh emulator (${c.cloud}), the run before: ${sec(c.coldWallMs)}.`],
  );
  return lines.length === 0 ? [] : [lines.join(" "), ""];
}

/** Where a server's time beyond the rebuild went (results from before the phases were measured have none). */
function phaseRow(p: Phases | undefined): string[] {
  if (!p) return [];
  const ms = (t: number) => `${t.toFixed(0)} ms`;
  return [
    `| beyond the rebuild, per server | slot freed → next POST sent ${ms(p.refill)} (its fingerprint read ${ms(p.readMs)}), POST ${ms(p.post)}, rebuild ended → first poll showing it settled ${ms(p.seenLate)}, → confirmed ${ms(p.confirm)} (${ms(p.confirmWait)} of it before the confirming poll was sent), → verified ${ms(p.verify)}; a poll takes ${ms(p.pollMs)}, one starts every ${ms(p.pollGapMs)} | | |`,
  ];
}

function applyTable(a: ApplyFigures): string[] {
  return [
    "| figure | measured | target | |",
    "|---|---|---|---|",
    `| apply wall time | ${sec(a.applyMs)} (ideal ceil(N/p) × d = ${sec(a.idealMs)}) | ≤ 1.15 × ideal | ${a.ratio.toFixed(3)}×, ${ok(a.ratio <= 1.15)} |`,
    `| converged | ${a.converged.toLocaleString("en")} / ${a.changes.toLocaleString("en")} | all | ${ok(a.converged === a.changes)} |`,
    `| status reads per poll | at most ${a.maxRequestsPerPoll} (${a.pollRequests} in ${a.polls} polls, up to ${a.maxHandlesPerPoll} operations per poll, ${(a.polls / (a.applyMs / 1000)).toFixed(1)} polls/s) | ≤ ceil(p/100) + 1, independent of N | ${ok(a.maxRequestsPerPoll <= 1 + Math.ceil(a.parallelism / 100))} |`,
    `| completion checks | ${a.actionChecks.toLocaleString("en")} instance-action reads: one per rebuild, once it settled | | |`,
    `| fresh reads (fingerprint checks; a server is verified from the poll that confirmed it) | ${a.reads} bulk reads, ${a.readRequests} requests | | |`,
    `| time per server | step ${sec(a.stepMs)} (the ${a.rebuildMs / 1000} s rebuild, then until apply confirmed it done), verification ${sec(a.verifyMs)} | | |`,
    ...phaseRow(a.phases),
    `| total requests | ${a.requests.toLocaleString("en")} (${(a.requests / a.servers).toFixed(2)} per server; ${a.listRequests.toLocaleString("en")} list pages) | | |`,
    `| peak RSS | ${a.maxRssMb.toFixed(0)} MB | | |`,
    "",
    `Requests by route: ${routes(a.byRoute)}.`,
    "",
  ];
}

const applyHeading = (a: ApplyFigures) =>
  `## Apply: ${a.servers.toLocaleString("en")} rebuilds, parallelism ${a.parallelism}, emulated rebuild ${a.rebuildMs / 1000} s`;

function applySection(a: ApplyFigures, seq: SequentialFigures, per: PerServerPollerFigures): string[] {
  return [
    applyHeading(a),
    "",
    "Library `plan()` + `apply()` in a child process (what `reform apply --auto-approve` runs), adapter wrapped to count bulk polls.",
    "",
    ...applyTable(a),
    "**Baselines in the same run:**",
    "",
    `- *Sequential rebuild-and-wait loop* (POST rebuild, then GET the server every ${seq.pollMs / 1000} s until ACTIVE, one server after the other): measured on a sample of ${seq.sample} servers, ${sec(seq.sampleMs)}, ${seq.requestsPerServer.toFixed(1)} requests per server; **extrapolated** to ${seq.servers.toLocaleString("en")} servers: ${sec(seq.extrapolatedMs)} (${(seq.extrapolatedMs / a.applyMs).toFixed(0)}× reform's time).`,
    `- *Per-server poller* (the same rolling window of ${per.parallelism}, but one GET per in-flight server every ${per.pollMs / 1000} s): ${sec(per.wallMs)}, ${per.requests} requests (${(per.requests / per.servers).toFixed(2)} per server), ${per.pollRequests} poll GETs, **${per.pollsPerInterval.toFixed(0)} poll requests per interval** (it grows with the servers in flight; reform sends one bulk list per poll).`,
    "",
  ];
}

/** The largest apply of the curve (10,000 rebuilds at parallelism 500), when it is not the one above. */
function largeApplySection(curve: BenchResults["curve"], shown: ApplyFigures): string[] {
  const a = curve.map((c) => c.apply).find((x) => x.servers > shown.servers && x.parallelism > shown.parallelism);
  if (!a) return [];
  return [
    applyHeading(a),
    "",
    `The same measurement with ${a.parallelism} rebuilds in flight (DESIGN §12.6). Each server's slot goes through a fixed sequence around its ${a.rebuildMs / 1000} s rebuild: fingerprint read, POST, the poll that sees it settled, the confirmation poll (of the servers that looked done, ${CONFIRM_AFTER_MS} ms later, with their instance-action checks alongside its listing), whose read is verified; whatever those take beyond the rebuild stretches every one of the ${Math.ceil(a.servers / a.parallelism)} waves.`,
    "",
    ...applyTable(a),
  ];
}

function curveSection(curve: BenchResults["curve"]): string[] {
  return [
    "## Scaling curve",
    "",
    "![plan, apply and the peers from 100 to 100,000 servers](benchmarks-scaling.svg)",
    "",
    "The plot also holds the large run's points (100,000 servers; `bench/scaling-points.json` keeps every run's points). Peers are dashed: the official client only lists, Terraform's pattern only refreshes; neither plans.",
    "",
    "| servers | plan wall | plan requests | plan RSS | planner CPU | `openstack server list` | Terraform refresh | apply (parallelism) | apply wall | vs ideal | apply requests | polls/s | max status reads per poll | apply RSS |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...curve.map(
      ({ plan: p, apply: a, openstackclient: o }) =>
        `| ${p.servers.toLocaleString("en")} | ${sec(p.wallMs)} | ${p.requests} | ${p.maxRssMb?.toFixed(0) ?? "n/a"} MB | ${p.plannerUsPerServer.toFixed(1)} µs/server | ${o ? sec(o.wallMs) : "n/a"} | ${p.baseline ? sec(p.baseline.wallMs) : "n/a"} | ${a.parallelism} | ${sec(a.applyMs)} | ${a.ratio.toFixed(3)}× | ${a.requests.toLocaleString("en")} | ${(a.polls / (a.applyMs / 1000)).toFixed(1)} | ${a.maxRequestsPerPoll} | ${a.maxRssMb.toFixed(0)} MB |`,
    ),
    "",
    "Plan requests grow as N/1000 (list pages) plus a constant (Keystone, version document, Glance, capability probe); planner CPU per server falls while fixed costs (the JIT warming up) are spread over more servers. Apply sends about two requests per server (its rebuild POST and the instance-action check once it settled) plus a bounded rate of bulk polls and reads: polls per second do not grow with N, and status reads per poll grow with the servers in flight (about a hundred names per request), not with N. Every apply of the curve uses the real 2 s rebuild; 10,000 servers run at parallelism 500 (20 waves), the smaller ones at 100. The official client's time hardly moves up to 10,000 servers: most of it is its own start-up (Python importing the client and its plugins), not the listing.",
    "",
  ];
}

function throughputSection(t: ThroughputFigures): string[] {
  const pagesPerSecond = (w: Walk) => 1000 / w.wallMsPerPage;
  const walk = (w: Walk) => `${pagesPerSecond(w).toFixed(0)} pages/s, ${w.cpuMsPerPage.toFixed(1)} ms`;
  const list = (label: string, f: ListThroughput) =>
    `| ${label} | ${f.pages} pages of ${f.pageSize.toLocaleString("en")} | ${walk(f.cold)} | ${walk(f.firstRead)} | ${f.perSecond.toFixed(0)} pages/s, ${f.loadCpuMsPerPage.toFixed(1)} ms | ${f.p50Ms.toFixed(0)} ms | ${f.p99Ms.toFixed(0)} ms | ${f.errors} | ${ok(pagesPerSecond(f.firstRead) >= 150)} / ${ok(f.perSecond >= 150)} |`;
  return [
    "## Emulator throughput",
    "",
    `Load from autocannon (keep-alive connections, one request at a time on each, closed loop) against the emulator in its own process, world of ${t.servers.toLocaleString("en")} servers, no injected latency; latencies in whole milliseconds (autocannon's resolution).`,
    "",
    `\`GET /servers/{id}\` walks through every server id, ${t.concurrency} connections; target ≥ 2,000 requests/s: ${t.getServer.perSecond.toFixed(0)} requests/s, p50 ${t.getServer.p50Ms.toFixed(0)} ms, p99 ${t.getServer.p99Ms.toFixed(0)} ms, ${t.getServer.errors} errors: ${ok(t.getServer.perSecond >= 2000)}.`,
    "",
    `Server list routes, target ≥ 150 pages/s (DESIGN §12.6). Each route is read page after page, one request at a time, three ways: *cold*, every page once on a fresh emulator (it builds every page and every server's encoded view: what a plan on a fresh emulator reads); *first read*, every page again, each right after a request that makes the emulator forget its kept pages (an unauthenticated DELETE: any request that may change the world does), so each page is built anew from the servers' kept views (\`src/emulator/view-cache.ts\`), as after a write; *repeated*, its pages in turn on ${t.listConcurrency} connections, answered from kept pages (\`src/emulator/list-cache.ts\`). Each cell gives pages per second and the emulator process's CPU (user + system) per page.`,
    "",
    "| route | world | cold | first read | repeated | p50 (repeated) | p99 (repeated) | errors | ≥ 150 pages/s (first read / repeated) |",
    "|---|---|---|---|---|---|---|---|---|",
    list("Nova `GET /servers/detail?limit=1000` (microversion 2.96, ~2 MB a page)", t.listDetail1000),
    list("Huawei `GET /v1/{project}/cloudservers/detail?limit=1000`", t.huaweiList),
    list("JD `describeInstances` (`pageSize=100`, the API's largest)", t.jdList),
    "",
  ];
}

/** The generated part of docs/benchmarks.md. */
export function renderReport(r: BenchResults): string {
  const m = r.machine;
  return [
    "## Machine and run",
    "",
    `Measured ${m.date} on ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GB memory, Node ${m.node}; the whole benchmark took ${sec(r.totalMs)}.`,
    "",
    `Load average (1 min) ${r.load[0].toFixed(1)} when the run started, ${r.load[1].toFixed(1)} when it ended (the machine has ${m.cpus} CPUs; other work was running when it is above that).`,
    "",
    r.loadNote
      ? `**Load during this run:** ${r.loadNote}`
      : "No note on other load was given for this run (set `BENCH_LOAD_NOTE` to record one).",
    "",
    ...startupSection(r.startup),
    ...throughputSection(r.throughput),
    ...planSection(r.plan, r.curve.find((c) => c.plan.servers === r.plan.servers)?.openstackclient),
    ...cloudsSection(r.plan, r.clouds),
    ...applySection(r.apply, r.sequential, r.perServer),
    ...largeApplySection(r.curve, r.apply),
    ...curveSection(r.curve),
  ].join("\n");
}

/** One figure of the large run with the 1-minute load average before and after it. */
export interface Loaded<T> {
  readonly figures: T;
  readonly load: readonly [number, number];
}

export interface LargeResults {
  readonly machine: Machine;
  readonly loadNote: string;
  readonly totalMs: number;
  readonly plan: Loaded<PlanFigures>;
  /** The official client's listing of the same 100,000 servers; absent when it could not be run. */
  readonly peer?: Loaded<OpenStackClientFigures>;
  readonly clouds: readonly Loaded<CloudPlanFigures>[];
}

const loadOf = (l: readonly [number, number]) => `${l[0].toFixed(1)} → ${l[1].toFixed(1)}`;

/** The large-run section of docs/benchmarks.md (DESIGN §12.6's 100,000-server plan targets). */
export function renderLargeReport(r: LargeResults): string {
  const m = r.machine;
  const p = r.plan.figures;
  const target = Math.ceil(p.servers / 1000) + 5;
  const n = p.servers.toLocaleString("en");
  return [
    `## Large run: plan of ${n} servers (\`npm run bench -- --large\`)`,
    "",
    `Measured ${m.date} on ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb.toFixed(1)} GB memory, Node ${m.node}; the large run took ${sec(r.totalMs)}. Not part of \`npm run bench\` nor of CI. Each figure carries the load average (1 min) before and after it: the machine has ${m.cpus} CPUs, and wall time and CPU figures are inflated by whatever else ran when the load is above that.`,
    "",
    r.loadNote
      ? `**Load during this run:** ${r.loadNote}`
      : "No note on other load was given for this run (set `BENCH_LOAD_NOTE` to record one).",
    "",
    `\`reform plan --detailed-exitcode\` as a child process under \`/usr/bin/time -v\` against the emulator in its own process, ${p.latencyMs} ms injected latency per request, every tenth server drifted (${(p.servers / 10).toLocaleString("en")} metadata updates in the text output). Load ${loadOf(r.plan.load)}.`,
    "",
    "| figure | measured | target (DESIGN §12.6) | |",
    "|---|---|---|---|",
    `| wall time | ${sec(p.wallMs)} | ≤ 6 s | ${ok(p.wallMs <= 6000)} |`,
    `| API requests | ${p.requests} (${p.listRequests} server list pages) | ≤ ceil(N/1000) + 5 = ${target} | ${ok(p.requests <= target)} |`,
    `| planner CPU (planFleet alone, best of 5) | ${p.plannerUsPerServer.toFixed(1)} µs/server | ≤ 20 µs | ${ok(p.plannerUsPerServer <= 20)} |`,
    `| peak RSS of the reform process | ${p.maxRssMb?.toFixed(0) ?? "n/a"} MB | ≤ 1 GB | ${ok((p.maxRssMb ?? Infinity) <= 1024)} |`,
    "",
    ...coldLine(p),
    `Requests by route: ${routes(p.byRoute)}.`,
    "",
    ...(r.peer
      ? [
          `**Peer:** python-openstackclient (${r.peer.figures.version}), \`${OPENSTACK_CLIENT_COMMAND}\` on the same world and latency, only listing, measured as reform is: ${sec(r.peer.figures.wallMs)}${fresh(r.peer.figures)}, ${r.peer.figures.requests} requests; load ${loadOf(r.peer.load)}. reform's whole plan takes **${(p.wallMs / r.peer.figures.wallMs).toFixed(2)}×** its time (goal ≤ 0.25×: ${ok(p.wallMs / r.peer.figures.wallMs <= 0.25)}).`,
          "",
        ]
      : []),
    ...(r.clouds.length === 0
      ? []
      : [
          `### Huawei ECS and JD Cloud VM at ${n} servers`,
          "",
          "| cloud | wall time | API requests | peak RSS | load (1 min) | how it reads |",
          "|---|---|---|---|---|---|",
          ...r.clouds.map(
            ({ figures: c, load }) =>
              `| ${c.cloud === "huaweicloud" ? "Huawei ECS" : "JD Cloud VM"} | ${sec(c.wallMs)} | ${c.requests.toLocaleString("en")} | ${c.maxRssMb?.toFixed(0) ?? "n/a"} MB | ${loadOf(load)} | ${CLOUD_NOTES[c.cloud]} |`,
          ),
          "",
          ...r.clouds.map(({ figures: c }) => `Requests by route (${c.cloud}): ${routes(c.byRoute)}.`),
          "",
          ...coldClouds(r.clouds.map((c) => c.figures)),
        ]),
  ].join("\n");
}
