import autocannon from "autocannon";
import { BENCH_USER } from "./world.js";

export interface LoadResult {
  readonly requests: number;
  /** Connection errors and timeouts, plus answers that were not 2xx. */
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface LoadOptions {
  /** `http://host:port`. */
  readonly origin: string;
  /** Called for each request: the path (with query) to GET, and headers of its own (a signature) if it needs them. */
  readonly path: (n: number) => string | { readonly path: string; readonly headers: Readonly<Record<string, string>> };
  readonly headers: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly durationMs: number;
}

/**
 * Closed-loop load with autocannon: `concurrency` keep-alive connections, each sending GETs back to back
 * (no pipelining) for `durationMs`. Each request's path is `path(n)`, n counting the requests built.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let n = 0;
  const result = await autocannon({
    url: options.origin,
    connections: options.concurrency,
    pipelining: 1,
    duration: options.durationMs / 1000,
    // autocannon stops at the first sample tick after the duration: sample often so a run lasts about what was asked.
    sampleInt: 100,
    headers: { ...options.headers },
    requests: [
      {
        method: "GET",
        setupRequest: (request) => {
          const next = options.path(n++);
          return typeof next === "string"
            ? { ...request, path: next }
            : { ...request, path: next.path, headers: { ...request.headers, ...next.headers } };
        },
      },
    ],
  });
  return loadResultOf(result);
}

/** The part of autocannon's result the benchmark reads. */
export interface AutocannonFigures {
  readonly requests: { readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly non2xx: number;
  readonly start: Date;
  readonly finish: Date;
}

/** The figures the benchmark reports, from autocannon's result (its latencies are whole milliseconds). */
export function loadResultOf(result: AutocannonFigures): LoadResult {
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  const requests = result.requests.total;
  return {
    requests,
    errors: result.errors + result.non2xx,
    seconds,
    perSecond: seconds > 0 ? requests / seconds : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** A Keystone v3 token for the benchmark user (what every OpenStack client does first). */
export async function keystoneToken(identityUrl: string): Promise<string> {
  const body = {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: BENCH_USER.name, domain: { name: "Default" }, password: BENCH_USER.password } },
      },
      scope: { project: { name: BENCH_USER.project, domain: { name: "Default" } } },
    },
  };
  const res = await fetch(`${identityUrl}/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
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
