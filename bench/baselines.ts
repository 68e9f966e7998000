import { requestsBetween, spawnEmulator } from "./emulator-host.js";
import { keystoneToken, listServerIds } from "./load.js";
import { NEW_IMAGE } from "./world.js";

export interface SequentialFigures {
  readonly sample: number;
  readonly pollMs: number;
  readonly sampleMs: number;
  readonly requestsPerServer: number;
  /** sampleMs / sample × servers. */
  readonly extrapolatedMs: number;
  readonly servers: number;
}

export interface PerServerPollerFigures {
  readonly servers: number;
  readonly parallelism: number;
  readonly pollMs: number;
  readonly wallMs: number;
  readonly requests: number;
  readonly pollRequests: number;
  /** Poll GETs per poll interval while the window is full (= servers in flight). */
  readonly pollsPerInterval: number;
}

interface Api {
  readonly compute: string;
  readonly token: string;
}

async function call(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${api.compute}${path}`, {
    method,
    headers: { "x-auth-token": api.token, "content-type": "application/json", "openstack-api-version": "compute 2.96" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/** What a script does: POST rebuild, then GET the server every `pollMs` until it is ACTIVE with no task. */
async function rebuildAndWait(api: Api, id: string, pollMs: number): Promise<void> {
  const accepted = await call(api, "POST", `/servers/${id}/action`, { rebuild: { imageRef: NEW_IMAGE.id } });
  if (accepted.status !== 202) throw new Error(`rebuild answered ${accepted.status}`);
  for (;;) {
    await new Promise((r) => setTimeout(r, pollMs));
    const { json } = await call(api, "GET", `/servers/${id}`);
    const server = (json as { server: { status: string; "OS-EXT-STS:task_state": string | null } }).server;
    if (server.status === "ACTIVE" && server["OS-EXT-STS:task_state"] === null) return;
    if (server.status === "ERROR") throw new Error(`server ${id} went to ERROR`);
  }
}

/** A sequential rebuild-and-wait loop over a sample of servers, extrapolated to `servers`. */
export async function runSequentialBaseline(
  servers: number,
  sample: number,
  rebuildMs: number,
  pollMs: number,
): Promise<SequentialFigures> {
  const emulator = await spawnEmulator({ servers: sample, latencyMs: 0, rebuildMs });
  try {
    const api = { compute: emulator.urls.compute, token: await keystoneToken(emulator.urls.identity) };
    const ids = await listServerIds(api.compute, api.token);
    const before = await emulator.stats();
    const started = performance.now();
    for (const id of ids) await rebuildAndWait(api, id, pollMs);
    const sampleMs = performance.now() - started;
    const requests = requestsBetween(before, await emulator.stats()).total;
    return {
      sample,
      pollMs,
      sampleMs,
      requestsPerServer: requests / sample,
      extrapolatedMs: (sampleMs / sample) * servers,
      servers,
    };
  } finally {
    await emulator.close();
  }
}

/** The same rolling window as reform (`parallelism` in flight), but each in-flight server polled with its own GET. */
export async function runPerServerPoller(
  servers: number,
  parallelism: number,
  rebuildMs: number,
  pollMs: number,
): Promise<PerServerPollerFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs: 0, rebuildMs });
  try {
    const api = { compute: emulator.urls.compute, token: await keystoneToken(emulator.urls.identity) };
    const ids = await listServerIds(api.compute, api.token);
    const before = await emulator.stats();
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) await rebuildAndWait(api, ids[next++] as string, pollMs);
    };
    await Promise.all(Array.from({ length: parallelism }, worker));
    const wallMs = performance.now() - started;
    const requests = requestsBetween(before, await emulator.stats());
    const pollRequests = requests.byRoute["GET /compute/v2.1/servers/{id}"] ?? 0;
    return {
      servers,
      parallelism,
      pollMs,
      wallMs,
      requests: requests.total,
      pollRequests,
      pollsPerInterval: pollRequests / (wallMs / pollMs),
    };
  } finally {
    await emulator.close();
  }
}
