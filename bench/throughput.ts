import { spawnEmulator } from "./emulator-host.js";
import type { LoadResult } from "./load.js";
import { keystoneToken, listServerIds, runLoad } from "./load.js";

export interface ThroughputFigures {
  readonly servers: number;
  readonly concurrency: number;
  readonly getServer: LoadResult;
  readonly listDetail1000: LoadResult;
}

/** Emulator throughput (emulator in its own process) on GET /servers/{id} and /servers/detail?limit=1000. */
export async function runThroughput(
  servers: number,
  concurrency: number,
  durationMs: number,
): Promise<ThroughputFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs: 0, rebuildMs: 2000 });
  try {
    const token = await keystoneToken(emulator.urls.identity);
    const ids = await listServerIds(emulator.urls.compute, token);
    const compute = new URL(emulator.urls.compute);
    const headers = { "x-auth-token": token, "openstack-api-version": "compute 2.96" };
    const getServer = await runLoad({
      origin: compute.origin,
      headers,
      concurrency,
      durationMs,
      path: (n) => `${compute.pathname}/servers/${ids[n % ids.length]}`,
    });
    const listDetail1000 = await runLoad({
      origin: compute.origin,
      headers,
      concurrency,
      durationMs,
      path: () => `${compute.pathname}/servers/detail?limit=1000`,
    });
    return { servers, concurrency, getServer, listDetail1000 };
  } finally {
    await emulator.close();
  }
}
