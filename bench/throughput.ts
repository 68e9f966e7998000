import { randomUUID } from "node:crypto";
import { sdkDate, signRequest } from "../src/providers/huawei/sign.js";
import { jdDate, signJdRequest } from "../src/providers/jdcloud/sign.js";
import { HW_ACCOUNT, JD_ACCOUNT } from "./cloud-worlds.js";
import type { EmulatorProcess } from "./emulator-host.js";
import { spawnEmulator } from "./emulator-host.js";
import type { LoadResult } from "./load.js";
import { keystoneToken, listServerIds, runLoad } from "./load.js";

/** One list route under load: every page of the world in turn, after a first walk through them on a fresh emulator. */
export interface ListThroughput extends LoadResult {
  /** Servers per page. */
  readonly pageSize: number;
  /** Pages in the world (the load walks through them all, one after the other). */
  readonly pages: number;
  /** The first walk through every page, one request at a time: ms per page while the emulator builds each page. */
  readonly firstReadMsPerPage: number;
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
 * Each list route is first walked page by page once on a fresh emulator (the pages' first reads, as a plan does
 * them), then loaded with every page in turn for `durationMs`.
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
    const first = await firstWalk(compute.origin, pages, (k) => ({ path: pagePath(k), headers }));
    const getServer = await load(
      compute.origin,
      headers,
      (n) => `${compute.pathname}/servers/${ids[n % ids.length]}`,
      concurrency,
    );
    const list = await load(compute.origin, headers, (n) => pagePath(n % pages));
    return { getServer, listDetail1000: { ...list, pageSize: 1000, pages, firstReadMsPerPage: first } };
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
    const first = await firstWalk(base.origin, pages, (k) => signed[k] as Request);
    const list = await load(base.origin, {}, (n) => signed[n % pages] as Request);
    return { ...list, pageSize: 1000, pages, firstReadMsPerPage: first };
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
    const first = await firstWalk(base.origin, pages, request);
    const list = await load(base.origin, {}, (n) => request(n % pages));
    return { ...list, pageSize: 100, pages, firstReadMsPerPage: first };
  });
  return { servers, concurrency, listConcurrency: LIST_CONCURRENCY, getServer, listDetail1000, huaweiList, jdList };
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

/** Reads every page once, one after the other, and returns the mean ms per page; throws on an answer that is not 200. */
async function firstWalk(origin: string, pages: number, request: (k: number) => Request): Promise<number> {
  const started = performance.now();
  for (let k = 0; k < pages; k++) {
    const r = request(k);
    const { path, headers } = typeof r === "string" ? { path: r, headers: {} } : r;
    const res = await fetch(`${origin}${path}`, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status} on the first walk`);
  }
  return (performance.now() - started) / pages;
}
