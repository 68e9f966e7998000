import type { ObservedInstance, PlanInstanceInput } from "../src/index.js";
import { planFleet, resolveInstances } from "../src/index.js";
import { requestsBetween, spawnEmulator } from "./emulator-host.js";
import { runReformTimed } from "./cli-run.js";
import type { BenchCloud } from "./cloud-worlds.js";
import { cloudProvider } from "./cloud-worlds.js";
import { keystoneToken, listServerIds } from "./load.js";
import { benchDir, librarySession } from "./session.js";
import type { BenchDir } from "./session.js";
import { OLD_IMAGE } from "./world.js";

export interface PlanFigures {
  readonly servers: number;
  readonly latencyMs: number;
  /** The plan on an emulator that has served its pages once (the plan before): reform's time, not the emulator's. */
  readonly wallMs: number;
  /** The same plan on the fresh emulator, the run before: the emulator builds every page for the first time. */
  readonly coldWallMs?: number;
  readonly exitCode: number | null;
  readonly requests: number;
  readonly listRequests: number;
  readonly byRoute: Record<string, number>;
  readonly maxRssMb: number | undefined;
  readonly plannerUsPerServer: number;
  /** Terraform-style refresh: one GET per server, 10 in flight (only when asked). */
  readonly baseline?: { readonly wallMs: number; readonly requests: number };
}

/**
 * `reform plan` on a generated world of `servers` servers, with `latencyMs` added to every emulator answer: twice, the
 * first on the fresh emulator (`coldWallMs`), the second, measured in full, on pages it has served once.
 */
export async function runPlanBench(servers: number, latencyMs: number, withBaseline: boolean): Promise<PlanFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs, rebuildMs: 2000 });
  const dir = await benchDir(emulator.urls.identity, OLD_IMAGE.name, 10);
  const plan = async () => {
    const run = await runReformTimed(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], dir.dir);
    if (run.code !== 2) throw new Error(`reform plan exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    return run;
  };
  try {
    const cold = await plan();
    const before = await emulator.stats();
    const run = await plan();
    const after = await emulator.stats();
    const requests = requestsBetween(before, after);
    const plannerUsPerServer = await plannerCpu(dir, servers);
    const baseline = withBaseline ? await terraformRefresh(emulator.urls, emulator.stats) : undefined;
    return {
      servers,
      latencyMs,
      wallMs: run.wallMs,
      coldWallMs: cold.wallMs,
      exitCode: run.code,
      requests: requests.total,
      listRequests: requests.byRoute["GET /compute/v2.1/servers/detail"] ?? 0,
      byRoute: requests.byRoute,
      maxRssMb: run.maxRssMb,
      plannerUsPerServer,
      ...(baseline ? { baseline } : {}),
    };
  } finally {
    await dir.remove();
    await emulator.close();
  }
}

/** Planner CPU alone: planFleet on inputs read once from the emulator, best of 5 runs, in µs per server. */
async function plannerCpu(dir: BenchDir, servers: number): Promise<number> {
  const session = await librarySession(dir);
  try {
    const signal = new AbortController().signal;
    const adapter = session.adapters.get("dc1");
    if (!adapter) throw new Error("no adapter dc1");
    const [capabilities, observed] = await Promise.all([
      adapter.capabilities(signal),
      adapter.listInstances({ selectors: [] }, signal),
    ]);
    const [resolution] = await adapter.resolveImages([{ name: OLD_IMAGE.name }], signal);
    if (resolution?.result.type !== "found") throw new Error("image not found");
    const image = { id: resolution.result.id, name: resolution.result.name, properties: resolution.result.properties };
    const resolved = resolveInstances(session.fleet, new Map([["dc1", observed]]));
    const byId = new Map<string, ObservedInstance>(observed.map((o) => [o.id, o]));
    const inputs: PlanInstanceInput[] = resolved.instances.map((desired) => {
      const found =
        "id" in desired.selector
          ? byId.get(desired.selector.id)
          : observed.find((o) => "name" in desired.selector && o.name === desired.selector.name);
      if (!found) throw new Error(`no server for ${desired.address}`);
      return { desired, observed: found, capabilities, adopt: false, image };
    });
    if (inputs.length !== servers) throw new Error(`expected ${servers} planned servers, got ${inputs.length}`);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = process.cpuUsage();
      planFleet({
        inputs,
        createdAt: new Date().toISOString(),
        configFile: dir.fleetPath,
        configSha256: "bench",
        rollout: {},
      });
      const used = process.cpuUsage(t0);
      best = Math.min(best, used.user + used.system);
    }
    return best / servers;
  } finally {
    await session.close();
  }
}

/** Terraform's refresh pattern: one GET /servers/{id} per server, 10 in flight (`-parallelism=10`). */
async function terraformRefresh(
  urls: { identity: string; compute: string },
  stats: () => ReturnType<Awaited<ReturnType<typeof spawnEmulator>>["stats"]>,
): Promise<{ wallMs: number; requests: number }> {
  const token = await keystoneToken(urls.identity);
  const ids = await listServerIds(urls.compute, token);
  const before = await stats();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      const res = await fetch(`${urls.compute}/servers/${id}`, {
        headers: { "x-auth-token": token, "openstack-api-version": "compute 2.96" },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET /servers/${id} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const wallMs = performance.now() - started;
  const after = await stats();
  return { wallMs, requests: after.requests - before.requests };
}

export interface CloudPlanFigures {
  readonly cloud: BenchCloud;
  readonly servers: number;
  readonly latencyMs: number;
  /** On pages the emulator has served once, as `PlanFigures.wallMs`. */
  readonly wallMs: number;
  /** On the fresh emulator, the run before. */
  readonly coldWallMs?: number;
  readonly requests: number;
  readonly byRoute: Record<string, number>;
  readonly maxRssMb: number | undefined;
}

/** `reform plan` against the Huawei or JD emulator, twice as runPlanBench: wall time, requests by route and peak RSS (no baseline). */
export async function runCloudPlanBench(
  cloud: Exclude<BenchCloud, "openstack">,
  servers: number,
  latencyMs: number,
): Promise<CloudPlanFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs, rebuildMs: 2000, cloud });
  const provider = cloudProvider(cloud, cloud === "huaweicloud" ? emulator.urls.huaweicloud : emulator.urls.jdcloud);
  const dir = await benchDir(emulator.urls.identity, OLD_IMAGE.name, 10, provider.line);
  const plan = async () => {
    const run = await runReformTimed(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], dir.dir, provider.env);
    if (run.code !== 2) throw new Error(`reform plan (${cloud}) exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    return run;
  };
  try {
    const cold = await plan();
    const before = await emulator.stats();
    const run = await plan();
    const requests = requestsBetween(before, await emulator.stats());
    return {
      cloud,
      servers,
      latencyMs,
      wallMs: run.wallMs,
      coldWallMs: cold.wallMs,
      requests: requests.total,
      byRoute: requests.byRoute,
      maxRssMb: run.maxRssMb,
    };
  } finally {
    await dir.remove();
    await emulator.close();
  }
}
