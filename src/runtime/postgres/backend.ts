import { randomUUID } from "node:crypto";
import pg from "pg";
import type { JournalEntry, JournalReading } from "../../apply/journal.js";
import { journalEntryOf, pendingOperations } from "../../apply/journal.js";
import { ReformError } from "../../model/errors.js";
import type { HistoryEntry, HistoryServer, RunIdentity } from "../../model/history.js";
import { describeIdentity } from "../../model/history.js";
import type { ApplyReport } from "../../model/report.js";
import type { ApplyStart, Backend, BackendContext, LockedScope, OpenJournal } from "../backend.js";
import { withLockTimeout } from "../backend.js";
import type { JournalRow, RunRow } from "./fallback.js";
import type { FallbackLine } from "./fallback.js";
import {
  FallbackFile,
  fallbackFilesFor,
  fallbackPathFor,
  readFallback,
  removeFallback,
  rewriteFallback,
  runOfFallback,
} from "./fallback.js";
import { rowOf } from "./rows.js";
import { LOCK_CLASS, ensureSchema } from "./schema.js";
import { redactUrl, scrub, secretsOf } from "./secrets.js";

/** How long history and journal records are kept unless REFORM_HISTORY_DAYS says otherwise. */
export const DEFAULT_HISTORY_DAYS = 90;

interface Connection {
  readonly client: pg.Client;
  readonly where: string;
  /** Why the connection is gone; undefined while it stands. */
  lost: string | undefined;
  /** The message with the password and PGPASSWORD replaced by `***`. */
  readonly scrub: (text: string) => string;
}

/**
 * PostgreSQL as the backend: one connection per run holds the session-level advisory locks of the scope (released by
 * the server when the connection drops: a dead runner frees its lock), the journal (reform.journal, each record whole
 * as JSONB), the history (reform.runs). Connects and creates or migrates the schema at once: an unreachable database
 * fails the run before any cloud is contacted.
 */
export async function openPostgresBackend(url: string, ctx: BackendContext): Promise<Backend> {
  const secrets = secretsOf(url, ctx.env);
  const where = redactUrl(url);
  const days = historyDays(ctx.env);
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 15_000,
    query_timeout: 20_000,
    application_name: "reform",
    keepAlive: true,
  });
  const conn: Connection = { client, where, lost: undefined, scrub: (text) => scrub(text, secrets) };
  client.on(
    "error",
    (error) => (conn.lost ??= `the connection to the backend ${where} was lost (${conn.scrub(error.message)})`),
  );
  client.on("end", () => (conn.lost ??= `the connection to the backend ${where} was closed`));
  try {
    await client.connect();
    await ensureSchema(client, where);
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof ReformError) throw error;
    throw new ReformError(
      "BACKEND",
      `cannot use the backend ${where}: ${conn.scrub(messageOf(error))}; nothing was applied`,
    );
  }
  return {
    description: where,
    lock: (scope, timeoutMs) => lockScope(conn, ctx, [...new Set(scope)].sort(), timeoutMs, days),
    history: (since) => readHistory(conn, since),
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}

function historyDays(env: Readonly<Record<string, string | undefined>>): number {
  const text = env["REFORM_HISTORY_DAYS"]?.trim();
  if (text === undefined || text === "") return DEFAULT_HISTORY_DAYS;
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1)
    throw new ReformError(
      "USAGE",
      `REFORM_HISTORY_DAYS must be a whole number of days ≥ 1, got ${JSON.stringify(text)}`,
    );
  return days;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join("; ");
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

async function query<R extends pg.QueryResultRow>(
  conn: Connection,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  try {
    return (await conn.client.query<R>(text, values)).rows;
  } catch (error) {
    throw new ReformError("BACKEND", `the backend ${conn.where}: ${conn.scrub(messageOf(error))}`);
  }
}

async function lockScope(
  conn: Connection,
  ctx: BackendContext,
  scope: readonly string[],
  timeoutMs: number,
  days: number,
): Promise<LockedScope> {
  await withLockTimeout(() => tryLockAll(conn, scope), timeoutMs, ctx);
  try {
    const holder = { identity: ctx.identity, pid: process.pid };
    for (const key of scope) {
      await query(
        conn,
        "INSERT INTO reform.locks (scope, holder, since, backend_pid) VALUES ($1, $2, now(), pg_backend_pid()) ON CONFLICT (scope) DO UPDATE SET holder = EXCLUDED.holder, since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid",
        [key, JSON.stringify(holder)],
      );
    }
  } catch (error) {
    await unlockAll(conn, scope);
    throw error;
  }
  const notes: string[] = [];
  for (const path of await fallbackFilesFor(ctx.journalPath))
    notes.push(...(await reconcileFallback(conn, path, scope)));
  await expire(conn, scope, days);
  return {
    notes: () => notes,
    async hasPendingOperations() {
      return pendingOperations((await readJournal(conn, scope)).entries).length > 0;
    },
    previousEntries: async () => (await readJournal(conn, scope)).entries,
    openJournal: (start) => openJournal(conn, ctx, scope, start, notes),
    release: () => unlockAll(conn, scope),
  };
}

/** Takes every provider's lock, in sorted order, or none: a refusal names who holds the one that is taken. */
async function tryLockAll(conn: Connection, scope: readonly string[]): Promise<void> {
  const taken: string[] = [];
  for (const key of scope) {
    const [row] = await query<{ locked: boolean }>(conn, "SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked", [
      LOCK_CLASS,
      key,
    ]);
    if (row?.locked) {
      taken.push(key);
      continue;
    }
    await unlockAll(conn, taken);
    const [held] = await query<{ holder: { identity?: RunIdentity; pid?: number }; since: Date }>(
      conn,
      "SELECT holder, since FROM reform.locks WHERE scope = $1",
      [key],
    );
    const who = held?.holder.identity
      ? `${describeIdentity(held.holder.identity)}${held.holder.pid ? ` (process ${held.holder.pid})` : ""}, since ${held.since.toISOString()}`
      : "a run that has not recorded who it is yet";
    throw new ReformError(
      "LOCKED",
      `another apply holds the lock of provider ${key} on the backend ${conn.where}: ${who}; it is released when that run ends or its connection drops. Wait for it, or pass --lock-timeout DURATION to wait`,
    );
  }
}

async function unlockAll(conn: Connection, scope: readonly string[]): Promise<void> {
  if (conn.lost !== undefined) return; // the server released them with the session
  await query(conn, "DELETE FROM reform.locks WHERE scope = ANY($1) AND backend_pid = pg_backend_pid()", [scope]).catch(
    () => undefined,
  );
  for (const key of scope)
    await query(conn, "SELECT pg_advisory_unlock($1, hashtext($2))", [LOCK_CLASS, key]).catch(() => undefined);
}

/** Whether a row's providers are all among the locked ones (a row with no provider is no one's). */
function withinScope(rowScope: unknown, scope: readonly string[]): boolean {
  return (
    Array.isArray(rowScope) &&
    rowScope.length > 0 &&
    rowScope.every((provider) => typeof provider === "string" && scope.includes(provider))
  );
}

const scopeOfLine = (line: FallbackLine): unknown => ("journal" in line ? line.journal.scope : line.run.scope);

/**
 * Moves what an earlier run wrote to a fallback file (its database connection lost) into the database. The file is
 * in the checkout, so it is not trusted: only rows whose providers this apply locked are taken (the others stay in
 * the file, for an apply that locks them), journal records are only added (never replace one), and a run's row only
 * completes that same run (the file named after it) while the database has it unfinished, with the same providers.
 */
async function reconcileFallback(conn: Connection, path: string, scope: readonly string[]): Promise<string[]> {
  const lines = await readFallback(path);
  if (lines === undefined) return [];
  const taken = lines.filter((line) => withinScope(scopeOfLine(line), scope));
  const left = lines.filter((line) => !withinScope(scopeOfLine(line), scope));
  const owner = runOfFallback(path);
  let records = 0;
  let runs = 0;
  if (taken.length > 0) {
    await query(conn, "BEGIN");
    try {
      for (const line of taken) {
        if ("journal" in line) {
          if (await insertJournalRow(conn, line.journal, true)) records++;
        } else {
          if (await insertFallbackRun(conn, line.run, line.run.id === owner)) runs++;
        }
      }
      await query(conn, "COMMIT");
    } catch (error) {
      await query(conn, "ROLLBACK").catch(() => undefined);
      throw error;
    }
  }
  if (left.length === 0) await removeFallback(path);
  else if (taken.length > 0) await rewriteFallback(path, left);
  const notes =
    taken.length > 0
      ? [
          `reconciled ${records} journal record(s) and ${runs} apply record(s) from ${path}, written when an earlier run lost the database`,
        ]
      : [];
  if (left.length > 0) {
    const providers = [...new Set(left.flatMap((line) => [scopeOfLine(line)].flat().map(String)))]
      .filter((provider) => !scope.includes(provider))
      .sort();
    notes.push(
      `left ${left.length} record(s) in ${path}: they are about providers this apply did not lock (${providers.join(", ") || "none named"})`,
    );
  }
  return notes;
}

/**
 * Retention: applies and journal records older than REFORM_HISTORY_DAYS are deleted, only those whose providers
 * are all locked by this apply (another fleet's history is its own apply's to expire).
 */
async function expire(conn: Connection, scope: readonly string[], days: number): Promise<void> {
  await query(conn, "DELETE FROM reform.runs WHERE started_at < now() - make_interval(days => $1) AND scope <@ $2", [
    days,
    scope,
  ]);
  await query(
    conn,
    "DELETE FROM reform.journal WHERE recorded_at < now() - make_interval(days => $1) AND scope <@ $2",
    [days, scope],
  );
}

async function readJournal(conn: Connection, scope: readonly string[]): Promise<JournalReading> {
  const rows = await query<{ seq: string; record: unknown }>(
    conn,
    "SELECT seq, record FROM reform.journal WHERE scope && $1 ORDER BY seq",
    [scope],
  );
  const entries: JournalEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  for (const row of rows) {
    const entry = journalEntryOf(row.record);
    if (entry) entries.push(entry);
    else
      problems.push({
        line: Number(row.seq),
        message: `record ${row.seq} of reform.journal is not a journal entry this reform knows: ignored`,
      });
  }
  return { entries, problems };
}

/** Whether the row was added (with `ignoreExisting`, a record already there is left as it is). */
async function insertJournalRow(conn: Connection, row: JournalRow, ignoreExisting: boolean): Promise<boolean> {
  const added = await query(
    conn,
    `INSERT INTO reform.journal (id, run, scope, kind, address, recorded_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7)${ignoreExisting ? " ON CONFLICT (id) DO NOTHING" : ""} RETURNING id`,
    [row.id, row.run, row.scope, row.kind, row.address, row.recordedAt, JSON.stringify(row.record)],
  );
  return added.length > 0;
}

async function upsertRun(conn: Connection, row: RunRow): Promise<void> {
  await query(
    conn,
    `INSERT INTO reform.runs (id, scope, identity, commit, plan_digest, reform_version, started_at, finished_at, outcome, servers)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, servers = EXCLUDED.servers`,
    runValues(row),
  );
}

/** A run row's columns in the order both inserts list them ($1 to $10). */
function runValues(row: RunRow): unknown[] {
  return [
    row.id,
    row.scope,
    JSON.stringify(row.identity),
    row.commit,
    row.planDigest,
    row.reformVersion,
    row.startedAt,
    row.finishedAt,
    row.outcome,
    JSON.stringify(row.servers),
  ];
}

/**
 * A run's row from a fallback file: added when the database does not have it; when `own` (the file is that run's),
 * it also completes the run's row the database has unfinished with the same providers, and changes nothing else.
 */
async function insertFallbackRun(conn: Connection, row: RunRow, own: boolean): Promise<boolean> {
  const changed = await query(
    conn,
    `INSERT INTO reform.runs (id, scope, identity, commit, plan_digest, reform_version, started_at, finished_at, outcome, servers)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO UPDATE SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, servers = EXCLUDED.servers
     WHERE $11 AND reform.runs.finished_at IS NULL AND reform.runs.scope = EXCLUDED.scope
     RETURNING id`,
    [...runValues(row), own],
  );
  return changed.length > 0;
}

async function openJournal(
  conn: Connection,
  ctx: BackendContext,
  scope: readonly string[],
  start: ApplyStart,
  notes: readonly string[],
): Promise<OpenJournal> {
  const previous = await readJournal(conn, scope);
  const ids = new Map<string, { requestIds: Set<string>; jobIds: Set<string> }>();
  const runId = randomUUID();
  const fallback = new FallbackFile(fallbackPathFor(ctx.journalPath, runId));
  const run: RunRow = {
    id: runId,
    scope,
    identity: start.identity,
    commit: start.identity.commit ?? null,
    planDigest: start.planDigest,
    reformVersion: start.reformVersion,
    startedAt: new Date(ctx.now()).toISOString(),
    finishedAt: null,
    outcome: null,
    servers: [],
  };
  await upsertRun(conn, run);
  let queue: Promise<void> = Promise.resolve();
  let lostAt: string | undefined;

  /** The database first; once it is lost (or when it fails), the fallback file, synced, and no new step starts. */
  async function record(write: () => Promise<void>, line: Parameters<FallbackFile["write"]>[0]): Promise<void> {
    if (conn.lost === undefined) {
      try {
        await write();
        return;
      } catch (error) {
        conn.lost ??= `writing to the backend ${conn.where} failed (${conn.scrub(messageOf(error))})`;
      }
    }
    lostAt ??= new Date(ctx.now()).toISOString();
    await fallback.write(line);
  }

  return {
    previous,
    append(entry) {
      const row = rowOf(entry, scope, ctx.now());
      collectIds(ids, entry);
      queue = queue.then(() => record(async () => void (await insertJournalRow(conn, row, false)), { journal: row }));
      return queue;
    },
    halted: () => (conn.lost === undefined ? undefined : `${conn.lost}: no new step starts until the backend is back`),
    notes() {
      const lost =
        lostAt === undefined
          ? []
          : [
              `${conn.lost ?? "the backend was lost"} at ${lostAt}: ${fallback.written} record(s) were written to ${fallback.path} instead; the next apply with the database back moves them into it`,
            ];
      return [...notes, ...lost];
    },
    async close(report?: ApplyReport) {
      await queue.catch(() => undefined);
      const finished: RunRow = {
        ...run,
        finishedAt: new Date(ctx.now()).toISOString(),
        outcome: report && report.results.every((r) => r.result.type === "converged") ? "succeeded" : "failed",
        servers: serversOf(report, ids),
      };
      await record(() => upsertRun(conn, finished), { run: finished });
      await fallback.close();
    },
  };
}

function collectIds(ids: Map<string, { requestIds: Set<string>; jobIds: Set<string> }>, entry: JournalEntry): void {
  // Step records carry the cloud's ids; canary and before-state records none.
  if (!("step" in entry)) return;
  const seen = ids.get(entry.address) ?? { requestIds: new Set<string>(), jobIds: new Set<string>() };
  if (entry.requestId) seen.requestIds.add(entry.requestId);
  if (entry.jobId) seen.jobIds.add(entry.jobId);
  ids.set(entry.address, seen);
}

/** Each server's result with the cloud's ids for what was sent (from the report and this run's journal records). */
function serversOf(
  report: ApplyReport | undefined,
  ids: ReadonlyMap<string, { requestIds: Set<string>; jobIds: Set<string> }>,
): HistoryServer[] {
  const idsOf = (address: string, extra?: string) => ({
    requestIds: [...new Set([...(ids.get(address)?.requestIds ?? []), ...(extra ? [extra] : [])])],
    jobIds: [...(ids.get(address)?.jobIds ?? [])],
  });
  if (!report) return [...ids.keys()].map((address) => ({ address, result: "started", ...idsOf(address) }));
  const servers: HistoryServer[] = report.results.map((r) => ({
    address: r.address,
    id: r.id,
    action: r.action,
    steps: r.steps,
    result: r.result.type,
    ...(r.result.type !== "converged" ? { why: r.result.why } : {}),
    ...idsOf(r.address, r.result.type === "failed" ? r.result.requestId : undefined),
  }));
  for (const r of report.resumed ?? []) {
    servers.push({
      address: r.address,
      steps: [r.step],
      result: r.outcome,
      resumedFrom: r.run,
      ...(r.message ? { why: r.message } : {}),
      requestIds: r.requestId ? [r.requestId] : [],
      jobIds: r.jobId ? [r.jobId] : [],
    });
  }
  return servers;
}

async function readHistory(conn: Connection, since: number): Promise<HistoryEntry[]> {
  const rows = await query<{
    id: string;
    scope: string[];
    identity: RunIdentity;
    plan_digest: string;
    reform_version: string;
    started_at: Date;
    finished_at: Date | null;
    outcome: string | null;
    servers: HistoryServer[];
  }>(
    conn,
    "SELECT id, scope, identity, plan_digest, reform_version, started_at, finished_at, outcome, servers FROM reform.runs WHERE started_at >= $1 ORDER BY started_at DESC, id",
    [new Date(since).toISOString()],
  );
  return rows.map((row) => ({
    id: row.id,
    identity: row.identity,
    scope: row.scope,
    planDigest: row.plan_digest,
    reformVersion: row.reform_version,
    startedAt: row.started_at.toISOString(),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    ...(row.outcome === "succeeded" || row.outcome === "failed" ? { outcome: row.outcome } : {}),
    servers: row.servers,
  }));
}
