import { spawn } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/runtime/postgres/schema.js";
import type { CliRun } from "../support/cli.js";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { ADMIN_PASSWORD, FAST, startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions } from "../support/world.js";
import { testCluster } from "./database.js";

const BIN = resolve(import.meta.dirname, "../../bin/reform.js");
const cluster = testCluster();
const NAMES = ["web-1", "web-2", "web-3"];
const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }, { name: debian-12 }]
  keypairs: [{ name: ops-2025 }]
  servers:
${NAMES.map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }`).join("\n")}
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: db } }
`);
/** The web servers on provider dc1, at `image`, `parallelism` at a time. */
const fleet = (image: string, parallelism = 10) => `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ${image} }, metadata: { role: web } }
    rollout: { parallelism: ${parallelism} }
`;
/** db-1 through another provider name on the same cloud: a disjoint scope. */
const DB_FLEET = `providers: { dc2: { type: openstack, cloud: test } }
groups:
  - name: db
    provider: dc2
    match: { name: "db-*" }
    spec: { image: { name: ubuntu-24.04 }, metadata: { role: db } }
`;

interface Checkout {
  readonly dir: string;
  reform(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
}

/** A separate checkout, as on another CI runner: the fleet file and clouds.yaml only, its own (empty) .reform/. */
async function checkout(cloud: TestCloud, fleetText: string, backend: string): Promise<Checkout> {
  const dir = await mkdtemp(join(tmpdir(), "reform-pg-checkout-"));
  await copyFile(join(cloud.dir, "clouds.yaml"), join(dir, "clouds.yaml"));
  await cloud.writeFleet(fleetText, "staging.yaml");
  await copyFile(join(cloud.dir, "staging.yaml"), join(dir, "fleet.yaml"));
  return {
    dir,
    reform: (args, env) =>
      runCli([...args, ...(args[0] === "apply" ? ["--poll-interval", "30"] : [])], {
        cwd: dir,
        env: { REFORM_BACKEND: backend, ...env },
        timeoutMs: 110_000,
      }),
  };
}

/** A running `reform apply`: its output so far, a wait for a line, its end. */
function startApply(dir: string, env: Record<string, string>, extra: readonly string[] = []) {
  const child = spawn(
    process.execPath,
    [BIN, "apply", "-c", "fleet.yaml", "--auto-approve", "--poll-interval", "30", ...extra],
    {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: dir, CI: "true", NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  const watchers: { pattern: RegExp; count: number; done: () => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if ((stdout.match(new RegExp(w.pattern.source, "g")) ?? []).length >= w.count) {
        watchers.splice(watchers.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolveEnd) => child.on("close", (code, signal) => resolveEnd({ code, signal, stdout, stderr })),
  );
  return {
    child,
    ended,
    /** Resolves once `pattern` was printed `count` times; rejects if apply ends first. */
    waitFor(pattern: RegExp, count = 1): Promise<void> {
      return Promise.race([
        new Promise<void>((done) => {
          watchers.push({ pattern, count, done });
          check();
        }),
        ended.then((end) =>
          Promise.reject(new Error(`apply ended before ${String(pattern)} ×${count}:\n${end.stdout}\n${end.stderr}`)),
        ),
      ]);
    },
  };
}

async function rows<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

const rebuildRequests = (cloud: TestCloud) =>
  cloud.emulator.stats.byRoute["POST /compute/v2.1/servers/{id}/action"] ?? 0;

describe("the PostgreSQL backend, from separate checkouts sharing one database", () => {
  let cloud: TestCloud;
  let url: string;
  const checkouts: Checkout[] = [];
  /** Every output of every run, for the secret scan. */
  const outputs: string[] = [];
  const keep = <T extends { stdout: string; stderr: string }>(run: T): T => {
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  beforeAll(async () => {
    // Rebuilds long enough that a second run starts while the first one's are still running, even under load.
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 15_000 } });
    url = await cluster.createDatabase();
  });
  afterAll(async () => {
    await cloud.close();
    for (const c of checkouts) await rm(c.dir, { recursive: true, force: true });
  });

  it("fails before touching any server when the database cannot be reached, the password never shown", async () => {
    const a = await checkout(cloud, fleet("ubuntu-24.04"), url);
    checkouts.push(a);
    const before = cloud.emulator.stats.requests;
    const closed = `postgres://reform:${cluster.password}@127.0.0.1:1/reform`;
    const run = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { REFORM_BACKEND: closed }));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^Error: cannot use the backend postgres:\/\/reform:\*\*\*@127\.0\.0\.1:1\/reform: .*ECONNREFUSED.*; nothing was applied\n$/,
    );
    const wrong = keep(
      await a.reform([
        "apply",
        "-c",
        "fleet.yaml",
        "--auto-approve",
        "--backend",
        url.replace(cluster.password, "not-the-password"),
      ]),
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /cannot use the backend postgres:\/\/reform:\*\*\*@127\.0\.0\.1:\d+\/t_\w+: password authentication failed for user "reform"/,
    );
    expect(wrong.stderr).not.toContain("not-the-password");
    expect(cloud.emulator.stats.requests).toBe(before);
  });

  it("creates its versioned schema on first use", async () => {
    const a = checkouts[0] as Checkout;
    const plan = keep(await a.reform(["history"]));
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe("No applies recorded in that time.\n");
    const versions = await rows<{ version: number }>(url, "SELECT version FROM reform.schema_version ORDER BY version");
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    // The password may come from PGPASSWORD instead of the URL.
    const fromEnv = keep(
      await a.reform(["history"], {
        REFORM_BACKEND: url.replace(`:${cluster.password}@`, "@"),
        PGPASSWORD: cluster.password,
      }),
    );
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toBe("No applies recorded in that time.\n");
    const tables = await rows<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reform' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(["journal", "locks", "runs", "schema_version"]);
  });

  it("refuses a second apply on the same providers from another checkout, naming the holder; a disjoint provider runs alongside", async () => {
    const a = checkouts[0] as Checkout;
    const b = await checkout(cloud, fleet("ubuntu-24.04"), url);
    const other = await checkout(cloud, DB_FLEET, url);
    checkouts.push(b, other);
    const first = startApply(a.dir, {
      REFORM_BACKEND: url,
      GITHUB_RUN_ID: "4242",
      GITHUB_REPOSITORY: "octo/fleet",
      GITHUB_SHA: "0123abcd",
    });
    await first.waitFor(/: rebuild started/, NAMES.length);
    const refused = keep(await b.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      /^Error: another apply holds the lock of provider dc1 on the backend postgres:\/\/reform:\*\*\*@127\.0\.0\.1:\d+\/t_\w+: GitHub Actions run 4242 \(octo\/fleet\) on \S+ \(process \d+\), since \d{4}-\d\d-\d\dT[\d:.]+Z; it is released when that run ends or its connection drops\. Wait for it, or pass --lock-timeout DURATION to wait\n$/,
    );
    // Refused before it planned (no plan printed) and sent nothing.
    expect(rebuildRequests(cloud)).toBe(NAMES.length);
    // Another provider is another scope: it is not held up.
    const disjoint = keep(await other.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]));
    expect(disjoint.code).toBe(0);
    expect(disjoint.stdout).toContain("Apply: 1 converged, 0 failed, 0 skipped.");
    // Waiting for the lock instead: it runs once the first has ended, and finds nothing left to do.
    const waited = keep(await b.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--lock-timeout", "100s"]));
    const end = await first.ended;
    keep(end);
    expect(end.code).toBe(0);
    expect(end.stdout).toContain("Apply: 3 converged, 0 failed, 0 skipped.");
    expect(waited.code).toBe(0);
    expect(waited.stdout).toContain("No changes.");
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild"]);
    expect(serverActions(cloud.emulator, "db-1")).toEqual(["rebuild"]);
  });

  it("resumes from another checkout, with no local files, an apply killed with SIGKILL: re-attached, nothing sent twice", async () => {
    const a = checkouts[0] as Checkout;
    const b = await checkout(cloud, fleet("debian-12"), url);
    checkouts.push(b);
    await cloud.writeFleet(fleet("debian-12"), "staging.yaml");
    await copyFile(join(cloud.dir, "staging.yaml"), join(a.dir, "fleet.yaml"));
    const killed = startApply(a.dir, { REFORM_BACKEND: url, GITHUB_RUN_ID: "5000" });
    await killed.waitFor(/: rebuild started/, NAMES.length);
    killed.child.kill("SIGKILL");
    const end = keep(await killed.ended);
    expect(end.signal).toBe("SIGKILL");
    const sent = rebuildRequests(cloud);
    // Nothing of it on B's disk: what B knows comes from the database.
    expect(await readdir(b.dir)).toEqual(["clouds.yaml", "fleet.yaml"]);
    const resumed = keep(await b.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { GITHUB_RUN_ID: "5001" }));
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(
      resumed.stdout.match(
        /Resumed: re-attached to rebuild of dc1\/web-\d started \S+ by interrupted run \S+ \(request req-[\w-]+\): finished/g,
      ),
    ).toHaveLength(NAMES.length);
    expect(resumed.stdout).toContain("Apply: 3 converged, 0 failed, 0 skipped.");
    // The killed run's lock went with its connection (B was not refused); B sent no rebuild, the cloud saw no duplicate.
    expect(rebuildRequests(cloud)).toBe(sent);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild", "rebuild"]);
    expect(cloud.emulator.stats.duplicates).toEqual([]);
    expect(await readdir(b.dir)).toEqual(["clouds.yaml", "fleet.yaml"]);
    const again = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]));
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("Resumed:");
  });

  it("when the database stops mid-apply: no new step, the running one followed, its records kept in a local file and reconciled later", async () => {
    const a = checkouts[0] as Checkout;
    await cloud.writeFleet(fleet("ubuntu-22.04", 1), "staging.yaml");
    await copyFile(join(cloud.dir, "staging.yaml"), join(a.dir, "fleet.yaml"));
    const sent = rebuildRequests(cloud);
    const running = startApply(a.dir, { REFORM_BACKEND: url, GITHUB_RUN_ID: "6000" });
    await running.waitFor(/: rebuild started/);
    await cluster.stop();
    let end;
    try {
      end = keep(await running.ended);
    } finally {
      await cluster.start();
    }
    expect(end.code).toBe(1);
    // The run's own file, named after it.
    const names = (await readdir(join(a.dir, ".reform"))).filter((n) => n.startsWith("backend-fallback"));
    expect(names).toEqual([expect.stringMatching(/^backend-fallback-[0-9a-f-]{36}\.jsonl$/)]);
    const fallback = join(a.dir, ".reform", names[0] ?? "");
    expect(end.stdout).toMatch(
      new RegExp(
        `Backend: the connection to the backend postgres://reform:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/t_\\w+ was lost \\(.+\\) at \\S+: \\d+ record\\(s\\) were written to ${fallback.replace(/[.]/g, "\\.")} instead; the next apply with the database back moves them into it`,
      ),
    );
    // One server was rebuilding: followed to its end; the next was not started (and its failure halted the rollout).
    expect(end.stdout).toContain("Apply: 1 converged, 1 failed, 1 skipped.");
    expect(end.stdout).toMatch(
      /✗ dc1\/web-\d: failed: rebuild not started: the connection to the backend postgres:\/\/reform:\*\*\*@\S+ was lost \(terminating connection due to administrator command\): no new step starts until the backend is back/,
    );
    expect(rebuildRequests(cloud)).toBe(sent + 1);
    const kept = (await readFile(fallback, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { journal?: { kind: string }; run?: { outcome: string } });
    expect(kept.some((l) => l.journal?.kind === "finished")).toBe(true);
    expect(kept.some((l) => l.run?.outcome === "failed")).toBe(true);

    const later = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { GITHUB_RUN_ID: "6001" }));
    expect(later.code).toBe(0);
    expect(later.stdout).toMatch(
      new RegExp(
        `Backend: reconciled ${kept.length - 1} journal record\\(s\\) and 1 apply record\\(s\\) from ${fallback.replace(/[.]/g, "\\.")}`,
      ),
    );
    expect(later.stdout).toContain("Apply: 2 converged, 0 failed, 0 skipped.");
    expect(later.stdout).not.toContain("Resumed:");
    await expect(readFile(fallback)).rejects.toThrow(/ENOENT/);
    expect(rebuildRequests(cloud)).toBe(sent + NAMES.length);
    for (const name of NAMES) expect(serverActions(cloud.emulator, name)).toEqual(["rebuild", "rebuild", "rebuild"]);
    expect(cloud.emulator.stats.duplicates).toEqual([]);
  });

  it("lists the history of all that: who, when, which plan, each server's result with the cloud's ids", async () => {
    const a = checkouts[0] as Checkout;
    const run = keep(await a.reform(["history", "--output", "json"]));
    expect(run.code).toBe(0);
    type Doc = {
      applies: {
        identity: { kind: string; run_id?: string; repository?: string };
        commit?: string;
        plan_digest: string;
        started_at: string;
        finished_at?: string;
        outcome?: string;
        providers: string[];
        servers: { address: string; result: string; resumed_from_run?: string; request_ids: string[] }[];
      }[];
    };
    const doc = JSON.parse(run.stdout) as Doc;
    const byRun = (id: string) => doc.applies.find((e) => e.identity.run_id === id);
    expect(byRun("4242")).toMatchObject({
      identity: { kind: "github", repository: "octo/fleet" },
      commit: "0123abcd",
      outcome: "succeeded",
      providers: ["dc1"],
    });
    expect(byRun("4242")?.plan_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(byRun("4242")?.servers.map((s) => [s.address, s.result, s.request_ids.length])).toEqual(
      NAMES.map((n) => [`dc1/${n}`, "converged", 1]),
    );
    // Killed: no end recorded; its rebuilds appear under the run that resumed them.
    expect(byRun("5000")?.finished_at).toBeUndefined();
    const resumedBy = byRun("5001")?.servers.filter((s) => s.resumed_from_run !== undefined) ?? [];
    expect(resumedBy.map((s) => [s.address, s.result]).sort()).toEqual(NAMES.map((n) => [`dc1/${n}`, "finished"]));
    expect(resumedBy.every((s) => /^req-/.test(s.request_ids[0] ?? ""))).toBe(true);
    // The run that lost the database: its end came back through the fallback file.
    expect(byRun("6000")).toMatchObject({ outcome: "failed" });
    expect(
      byRun("6000")
        ?.servers.map((s) => s.result)
        .sort(),
    ).toEqual(["converged", "failed", "skipped"]);
    expect(byRun("6001")).toMatchObject({ outcome: "succeeded" });
    // Newest first.
    const starts = doc.applies.map((e) => e.started_at);
    expect([...starts].sort().reverse()).toEqual(starts);

    const web1 = keep(await a.reform(["history", "--server", "dc1/web-1"]));
    expect(web1.code).toBe(0);
    expect(web1.stdout).toMatch(
      /by GitHub Actions run 4242 \(octo\/fleet\) on \S+ https:\/\/github\.com\/octo\/fleet\/actions\/runs\/4242\n {2}commit 0123abcd · plan sha256:[0-9a-f]{64}/,
    );
    expect(web1.stdout).not.toContain("dc1/web-2");
    expect(web1.stdout).not.toContain("dc2/db-1");
    expect(web1.stdout).toMatch(
      /dc1\/web-1 {2}rebuild \(started by interrupted run \S+\) {2}finished {2}\(request req-/,
    );
    const none = keep(await a.reform(["history", "--since", "1ms"]));
    expect(none.stdout).toBe("No applies recorded in that time.\n");
  });

  it("reconciles a fallback file even when there is nothing to apply, and says so", async () => {
    const a = checkouts[0] as Checkout;
    const fallback = join(a.dir, ".reform", "backend-fallback.jsonl");
    const id = "7d3c1f4e-2b7a-4c55-9d0e-0a1b2c3d4e5f";
    const record = {
      time: new Date().toISOString(),
      run: "lost-run",
      address: "dc1/web-1",
      id: "i-x",
      step: "reboot",
      event: "finished",
      op: "lost-run:dc1/web-1:0",
    };
    await writeFile(
      fallback,
      `${JSON.stringify({ journal: { id, run: "lost-run", scope: ["dc1"], kind: "finished", address: "dc1/web-1", recordedAt: record.time, record } })}\n{"journal":{"id":"torn`,
    );
    const run = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Backend: reconciled 1 journal record(s) and 0 apply record(s) from ${fallback}`);
    expect(run.stdout).toContain("No changes.");
    await expect(readFile(fallback)).rejects.toThrow(/ENOENT/);
    expect(await rows(url, `SELECT kind, record->>'run' AS run FROM reform.journal WHERE id = '${id}'`)).toEqual([
      { kind: "finished", run: "lost-run" },
    ]);
  });

  it("takes from a fallback file only what the locked providers own, never rewriting a recorded apply", async () => {
    const a = checkouts[0] as Checkout;
    const [done] = await rows<{ id: string; outcome: string }>(
      url,
      "SELECT id, outcome FROM reform.runs WHERE identity->>'runId' = '4242'",
    );
    expect(done?.outcome).toBe("succeeded");
    const time = new Date().toISOString();
    const journalRow = (id: string, scope: string[]) => ({
      journal: {
        id,
        run: "forged",
        scope,
        kind: "finished",
        address: `${scope[0]}/web-1`,
        recordedAt: time,
        record: { time, run: "forged", address: `${scope[0]}/web-1`, event: "finished" },
      },
    });
    const ours = "0a000000-0000-4000-8000-000000000001";
    const theirs = "0a000000-0000-4000-8000-000000000002";
    const spanning = "0a000000-0000-4000-8000-000000000003";
    const rewrite = {
      run: {
        id: done?.id,
        scope: ["dc1"],
        identity: { kind: "local", user: "mallory", host: "x" },
        commit: null,
        planDigest: "sha256:0",
        reformVersion: "0",
        startedAt: time,
        finishedAt: time,
        outcome: "failed",
        servers: [],
      },
    };
    // Named after the run it would rewrite: still refused, that run is finished.
    const forged = join(a.dir, ".reform", `backend-fallback-${done?.id}.jsonl`);
    // Another fleet's pending file in the same directory.
    const other = join(a.dir, ".reform", "backend-fallback-0b000000-0000-4000-8000-000000000000.jsonl");
    await writeFile(
      forged,
      [journalRow(ours, ["dc1"]), journalRow(theirs, ["dc9"]), journalRow(spanning, ["dc1", "dc9"]), rewrite]
        .map((l) => JSON.stringify(l))
        .join("\n") + "\n",
    );
    const otherText = `${JSON.stringify(journalRow("0a000000-0000-4000-8000-000000000004", ["dc9"]))}\n`;
    await writeFile(other, otherText);
    const run = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Backend: reconciled 1 journal record(s) and 0 apply record(s) from ${forged}`);
    expect(run.stdout).toContain(
      `Backend: left 2 record(s) in ${forged}: they are about providers this apply did not lock (dc9)`,
    );
    expect(run.stdout).toContain(
      `Backend: left 1 record(s) in ${other}: they are about providers this apply did not lock (dc9)`,
    );
    const stored = await rows<{ id: string }>(
      url,
      `SELECT id FROM reform.journal WHERE id IN ('${ours}', '${theirs}', '${spanning}') ORDER BY id`,
    );
    expect(stored.map((r) => r.id)).toEqual([ours]);
    expect(
      await rows(
        url,
        `SELECT outcome, identity->>'user' = 'mallory' AS forged FROM reform.runs WHERE id = '${done?.id}'`,
      ),
    ).toEqual([{ outcome: "succeeded", forged: false }]);
    const leftLines = (await readFile(forged, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { journal: { id: string } });
    expect(leftLines.map((l) => l.journal.id)).toEqual([theirs, spanning]);
    expect(await readFile(other, "utf8")).toBe(otherText);
    await rm(forged);
    await rm(other);
  });

  it("deletes applies and journal records older than REFORM_HISTORY_DAYS when an apply starts", async () => {
    const a = checkouts[0] as Checkout;
    // Another fleet's history (dc9), and an apply over dc1 and dc9: not this apply's to delete, it locks dc1 only.
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const others = ["0c000000-0000-4000-8000-000000000001", "0c000000-0000-4000-8000-000000000002"];
    for (const [id, scope] of [
      [others[0], "{dc9}"],
      [others[1], "{dc1,dc9}"],
    ])
      await rows(
        url,
        `INSERT INTO reform.runs (id, scope, identity, plan_digest, reform_version, started_at) VALUES ('${id}', '${scope}', '{"kind":"local","user":"other","host":"h"}', 'sha256:0', '0', '${old}');
         INSERT INTO reform.journal (id, run, scope, kind, recorded_at, record) VALUES ('${id}', 'other', '${scope}', 'finished', '${old}', '{}')`,
      );
    await rows(
      url,
      "UPDATE reform.runs SET started_at = started_at - interval '10 days' WHERE identity->>'runId' = '4242'",
    );
    await rows(
      url,
      "UPDATE reform.journal SET recorded_at = recorded_at - interval '10 days' WHERE run IN (SELECT run FROM reform.journal ORDER BY seq LIMIT 1)",
    );
    const journalRows = Number((await rows<{ n: string }>(url, "SELECT count(*) AS n FROM reform.journal"))[0]?.n);
    const bad = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { REFORM_HISTORY_DAYS: "soon" }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: REFORM_HISTORY_DAYS must be a whole number of days ≥ 1, got "soon"\n');
    const kept = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { REFORM_HISTORY_DAYS: "30" }));
    expect(kept.code).toBe(0);
    expect((await rows(url, "SELECT id FROM reform.runs WHERE identity->>'runId' = '4242'")).length).toBe(1);
    const expired = keep(await a.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { REFORM_HISTORY_DAYS: "7" }));
    expect(expired.code).toBe(0);
    expect((await rows(url, "SELECT id FROM reform.runs WHERE identity->>'runId' = '4242'")).length).toBe(0);
    expect(Number((await rows<{ n: string }>(url, "SELECT count(*) AS n FROM reform.journal"))[0]?.n)).toBeLessThan(
      journalRows,
    );
    const history = JSON.parse(keep(await a.reform(["history", "--output", "json"])).stdout) as {
      applies: { identity: { run_id?: string } }[];
    };
    expect(history.applies.map((e) => e.identity.run_id)).not.toContain("4242");
    expect(history.applies.map((e) => e.identity.run_id)).toContain("5001");
    const survivors = `('${others.join("', '")}')`;
    expect((await rows(url, `SELECT id FROM reform.runs WHERE id IN ${survivors}`)).length).toBe(2);
    expect((await rows(url, `SELECT id FROM reform.journal WHERE id IN ${survivors}`)).length).toBe(2);
  });

  it("keeps no secret in the database or in any output", async () => {
    const dump = await cluster.dump(url);
    expect(dump).toContain("reform.journal");
    expect(dump).toMatch(/rebuild/);
    for (const secret of [cluster.password, ADMIN_PASSWORD]) {
      expect(dump).not.toContain(secret);
      for (const text of outputs) expect(text).not.toContain(secret);
    }
    expect(outputs.join("\n")).toContain("postgres://reform:***@");
  });

  it("refuses a database whose schema is newer than this reform knows", async () => {
    await rows(url, `INSERT INTO reform.schema_version (version) VALUES (${MIGRATIONS.length + 1})`);
    const run = await (checkouts[0] as Checkout).reform(["history"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `has schema version ${MIGRATIONS.length + 1}, newer than this reform knows \\(${MIGRATIONS.length}\\): upgrade reform`,
      ),
    );
  });
});
