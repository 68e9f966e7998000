import { Pool } from "undici";
import { BENCH_USER } from "./world.js";

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface LoadOptions {
  /** `http://host:port`. */
  readonly origin: string;
  /** Called for each request: the path (with query) to GET. */
  readonly path: (n: number) => string;
  readonly headers: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly durationMs: number;
}

/** A small closed-loop load generator: `concurrency` keep-alive connections, each sending GETs back to back. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(options.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const res = await pool.request({ method: "GET", path: options.path(sent++), headers: options.headers });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) errors++;
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, seconds, perSecond: latencies.length / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
}

/** The q-quantile of sorted values (nearest rank); 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/** A Keystone v3 token for the benchmark user (what every OpenStack client does first). */
export async function keystoneToken(identityUrl: string): Promise<string> {
  const body = {
    auth: {
      identity: { methods: ["password"], password: { user: { name: BENCH_USER.name, domain: { name: "Default" }, password: BENCH_USER.password } } },
      scope: { project: { name: BENCH_USER.project, domain: { name: "Default" } } },
    },
  };
  const res = await fetch(`${identityUrl}/auth/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const token = res.headers.get("x-subject-token");
  await res.arrayBuffer();
  if (res.status !== 201 || !token) throw new Error(`Keystone answered ${res.status} to the benchmark user`);
  return token;
}

/** Every server id of the project, through paginated summary lists (not timed: a Terraform state already has them). */
export async function listServerIds(computeUrl: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: "1000", ...(marker ? { marker } : {}) });
    const res = await fetch(`${computeUrl}/servers?${query.toString()}`, { headers: { "x-auth-token": token } });
    const page = (await res.json()) as { servers: { id: string }[] };
    ids.push(...page.servers.map((s) => s.id));
    if (page.servers.length < 1000) return ids;
    marker = page.servers[page.servers.length - 1]?.id;
  }
}
