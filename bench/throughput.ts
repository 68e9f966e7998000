import { randomUUID } from "node:crypto";
import { request as undiciRequest } from "undici";
import { sdkDate, signRequest } from "../src/providers/huawei/sign.js";
import { jdDate, signJdRequest } from "../src/providers/jdcloud/sign.js";
import { HW_ACCOUNT, JD_ACCOUNT } from "./cloud-worlds.js";
import type { EmulatorProcess } from "./emulator-host.js";
import { spawnEmulator } from "./emulator-host.js";
import type { LoadResult } from "./load.js";
import { keystoneToken, listServerIds, runLoad } from "./load.js";

/** A walk through every page of a list route, one request at a time: per page, wall time and the emulator's CPU. */
export interface Walk {
  readonly wallMsPerPage: number;
  /** The emulator process's CPU (user + system) per page, ms. */
  readonly cpuMsPerPage: number;
}

/**
 * One list route: every page read on a fresh emulator (*cold*), then every page read again right after a request
 * that makes the emulator forget its kept pages (*first read*: a page nobody read since the world may have changed,
 * built from the servers' kept views), then every page in turn under load (*repeated*: answered from kept pages).
 */
export interface ListThroughput extends LoadResult {
  /** Servers per page. */
  readonly pageSize: number;
  /** Pages in the world (each walk and the load go through them all, one after the other). */
  readonly pages: number;
  /** Fresh emulator: every page and every server's view built. */
  readonly cold: Walk;
  /** After a request that forgets every kept page: each page built again from the kept server views. */
  readonly firstRead: Walk;
  /** The emulator's CPU per page answered under the load, ms. */
  readonly loadCpuMsPerPage: number;
}

export interface ThroughputFigures {
  readonly servers: number;
  /** Connections of the `GET /servers/{id}` load. */
  readonly concurrency: number;
  /** Connections of the list loads: LIST_CONCURRENCY. */
  readonly listConcurrency: number;
  readonly getServer: LoadResult;
  /** Nova `GET /servers/detail?limit=1000` at microversion 2.96. */
  readonly listDetail1000: ListThroughput;
  /** Huawei ECS `GET /v1/{project}/cloudservers/detail?limit=1000&offset=page`. */
  readonly huaweiList: ListThroughput;
  /** JD Cloud `describeInstances` (`GET /v1/regions/{region}/instances`, 100 per page, its largest). */
  readonly jdList: ListThroughput;
}

/**
 * Connections of a list route's load. A plan reads one page at a time; 32 connections each pulling megabytes made
 * the load generator (autocannon parsing 64 MB in flight, on the same two cores) what was measured: 22 pages/s at 32
 * connections against 109 at 4, same emulator, same minute.
 */
export const LIST_CONCURRENCY = 4;

type Request = string | { readonly path: string; readonly headers: Readonly<Record<string, string>> };

/**
 * Emulator throughput (emulator in its own process): GET /servers/{id} and the three clouds' server list routes.
 * Each list route is walked page by page on a fresh emulator (cold, as a plan on a fresh emulator reads them), then
 * again with every kept page forgotten before each read (first read), then loaded with every page in turn for
 * `durationMs` (repeated reads).
 */
export async function runThroughput(
  servers: number,
  concurrency: number,
  durationMs: number,
): Promise<ThroughputFigures> {
  const load = (
    origin: string,
    headers: Record<string, string>,
    path: (n: number) => Request,
    connections = LIST_CONCURRENCY,
  ) => runLoad({ origin, headers, concurrency: connections, durationMs, path });
  const { getServer, listDetail1000 } = await withEmulator("openstack", servers, async (emulator) => {
    const token = await keystoneToken(emulator.urls.identity);
    const ids = await listServerIds(emulator.urls.compute, token);
    const compute = new URL(emulator.urls.compute);
    const headers = { "x-auth-token": token, "openstack-api-version": "compute 2.96" };
    // Newest first, as Nova lists them: page k starts after the last server of page k - 1.
    const newestFirst = [...ids];
    const pages = Math.ceil(servers / 1000);
    const pagePath = (k: number) =>
      `${compute.pathname}/servers/detail?limit=1000${k === 0 ? "" : `&marker=${newestFirst[k * 1000 - 1] ?? ""}`}`;
    const walks = await walkTwice(emulator, compute.pathname, pages, (k) => ({ path: pagePath(k), headers }));
    const getServer = await load(
      compute.origin,
      headers,
      (n) => `${compute.pathname}/servers/${ids[n % ids.length]}`,
      concurrency,
    );
    const list = await loadCpu(emulator, () => load(compute.origin, headers, (n) => pagePath(n % pages)));
    return { getServer, listDetail1000: { ...list, ...walks, pageSize: 1000, pages } };
  });
  const huaweiList = await withEmulator("huaweicloud", servers, async (emulator) => {
    const base = new URL(emulator.urls.huaweicloud);
    const pages = Math.ceil(servers / 1000);
    // Signed once per page: the signature covers the date, which the gateway accepts for 15 minutes.
    const signed = Array.from({ length: pages }, (_, k) => {
      const url = new URL(
        `${base.href}/v1/${HW_ACCOUNT.projectId}/cloudservers/detail?limit=1000&offset=${k + 1}`.replace(
          /\/\/v1/,
          "/v1",
        ),
      );
      const headers = { "content-type": "application/json" };
      const signature = signRequest({
        method: "GET",
        url,
        headers,
        body: undefined,
        credentials: { accessKey: HW_ACCOUNT.accessKey, secretKey: HW_ACCOUNT.secretKey },
        date: sdkDate(Date.now()),
        projectId: HW_ACCOUNT.projectId,
      });
      return { path: `${url.pathname}${url.search}`, headers: { ...headers, ...signature } };
    });
    const walks = await walkTwice(emulator, base.pathname, pages, (k) => signed[k] as Request);
    const list = await loadCpu(emulator, () => load(base.origin, {}, (n) => signed[n % pages] as Request));
    return { ...list, ...walks, pageSize: 1000, pages };
  });
  const jdList = await withEmulator("jdcloud", servers, async (emulator) => {
    const base = new URL(emulator.urls.jdcloud);
    const pages = Math.ceil(servers / 100);
    // Every request signed anew: the gateway refuses a nonce it has seen.
    const request = (k: number): Request => {
      const url = new URL(`${emulator.urls.jdcloud}/v1/regions/cn-north-1/instances?pageNumber=${k + 1}&pageSize=100`);
      const headers = { accept: "application/json", "content-type": "application/json" };
      const signature = signJdRequest(
        {
          method: "GET",
          url,
          headers,
          body: undefined,
          date: jdDate(Date.now()),
          nonce: randomUUID(),
          region: "cn-north-1",
        },
        { accessKey: JD_ACCOUNT.accessKey, secretKey: JD_ACCOUNT.secretKey },
      );
      return { path: `${url.pathname}${url.search}`, headers: { ...headers, ...signature.headers } };
    };
    const walks = await walkTwice(emulator, base.pathname, pages, request);
    const list = await loadCpu(emulator, () => load(base.origin, {}, (n) => request(n % pages)));
    return { ...list, ...walks, pageSize: 100, pages };
  });
  return { servers, concurrency, listConcurrency: LIST_CONCURRENCY, getServer, listDetail1000, huaweiList, jdList };
}

/** One line per list route for the benchmark's log: pages/s and the emulator's CPU per page, cold, first read, repeated. */
export function describeLists(t: ThroughputFigures): string {
  const walk = (w: Walk) => `${(1000 / w.wallMsPerPage).toFixed(0)} pages/s (${w.cpuMsPerPage.toFixed(1)} ms CPU)`;
  const line = (label: string, f: ListThroughput) =>
    `${label}: cold ${walk(f.cold)}, first read ${walk(f.firstRead)}, repeated ${f.perSecond.toFixed(0)} pages/s (${f.loadCpuMsPerPage.toFixed(1)} ms CPU)`;
  return [line("Nova", t.listDetail1000), line("Huawei", t.huaweiList), line("JD", t.jdList)].join("; ");
}

async function withEmulator<T>(
  cloud: "openstack" | "huaweicloud" | "jdcloud",
  servers: number,
  measure: (emulator: EmulatorProcess) => Promise<T>,
): Promise<T> {
  const emulator = await spawnEmulator({ servers, latencyMs: 0, rebuildMs: 2000, cloud });
  try {
    return await measure(emulator);
  } finally {
    await emulator.close();
  }
}

/**
 * The cold walk through every page on the fresh emulator, then the first-read walk (the second of two): before each
 * page, a request that may change the world as far as the emulator can tell (an unauthenticated DELETE under the
 * route's prefix, refused 401) makes it forget every kept page, as any write does; the servers' kept views stay.
 */
async function walkTwice(
  emulator: EmulatorProcess,
  prefix: string,
  pages: number,
  request: (k: number) => Request,
): Promise<{ cold: Walk; firstRead: Walk }> {
  const origin = new URL(emulator.urls.compute).origin;
  const cold = await walk(emulator, origin, pages, request);
  const forget = async () => {
    const res = await fetch(`${origin}${prefix}/benchmark-forgets-kept-pages`, { method: "DELETE" });
    await res.arrayBuffer();
  };
  // One unmeasured pass first: the first pass after the cold one also pays for compiling the code a kept view's
  // check runs, and for collecting the cold walk's garbage; a long-running emulator has done both.
  await walk(emulator, origin, pages, request, forget);
  const firstRead = await walk(emulator, origin, pages, request, forget);
  return { cold, firstRead };
}

/**
 * Reads every page once, one after the other (after `before(k)` when given, outside what is measured), and returns
 * the mean wall time and emulator CPU per page; throws on an answer that is not 200. Each page is read whole as
 * bytes with undici's `request`, as reform reads its pages (`src/providers/http/client.ts`): `fetch` and its web
 * streams cost the reading process about 4 ms more per 2 MB page, which the walk's wall time then measured.
 */
async function walk(
  emulator: EmulatorProcess,
  origin: string,
  pages: number,
  request: (k: number) => Request,
  before?: () => Promise<void>,
): Promise<Walk> {
  let wallMs = 0;
  let cpuMicros = 0;
  for (let k = 0; k < pages; k++) {
    await before?.();
    const r = request(k);
    const { path, headers } = typeof r === "string" ? { path: r, headers: {} } : r;
    const cpuBefore = (await emulator.stats()).cpuMicros;
    const started = performance.now();
    const res = await undiciRequest(`${origin}${path}`, { headers });
    await res.body.arrayBuffer();
    wallMs += performance.now() - started;
    cpuMicros += (await emulator.stats()).cpuMicros - cpuBefore;
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode} walking the pages`);
  }
  return { wallMsPerPage: wallMs / pages, cpuMsPerPage: cpuMicros / 1000 / pages };
}

/** A load's figures with the emulator's CPU per request answered during it. */
async function loadCpu(
  emulator: EmulatorProcess,
  run: () => Promise<LoadResult>,
): Promise<LoadResult & { loadCpuMsPerPage: number }> {
  const before = (await emulator.stats()).cpuMicros;
  const result = await run();
  const cpuMicros = (await emulator.stats()).cpuMicros - before;
  return { ...result, loadCpuMsPerPage: cpuMicros / 1000 / Math.max(1, result.requests) };
}
