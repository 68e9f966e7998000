import { readFile } from "node:fs/promises";
import type { Journal, JournalEntry, JournalReading } from "../apply/journal.js";
import { parseJournal, pendingOperations } from "../apply/journal.js";
import { ReformError } from "../model/errors.js";
import { withoutCredentials } from "../model/url-credentials.js";
import type { ApplyReport } from "../model/report.js";
import type { HistoryEntry, RunIdentity } from "../model/history.js";
import { openFileJournal } from "./journal-file.js";
import { lockJournal } from "./journal-lock.js";
import type { JournalLock } from "./journal-lock.js";

/** What an apply records about itself when it starts (history). */
export interface ApplyStart {
  readonly identity: RunIdentity;
  /** sha256 of the plan document that is executed. */
  readonly planDigest: string;
  readonly reformVersion: string;
}

/** The journal of a locked scope, open for one apply. */
export interface OpenJournal extends Journal {
  readonly previous: JournalReading;
  /** What the report must say about the backend (records reconciled, a lost connection and the fallback file). */
  notes(): readonly string[];
  /** Records the apply's end in the history (when the backend keeps one) and closes the journal. */
  close(report?: ApplyReport): Promise<void>;
}

/** A scope (the fleet's providers) locked for one apply. */
export interface LockedScope {
  /** What the backend did on taking the lock (records reconciled from a fallback file), for the report. */
  notes(): readonly string[];
  /** Whether earlier runs left operations in flight (an apply with nothing to change still follows them). */
  hasPendingOperations(): Promise<boolean>;
  /** What earlier runs recorded (an interrupted rollback, the last run's before-states), read before a run starts. */
  previousEntries(): Promise<readonly JournalEntry[]>;
  openJournal(start: ApplyStart): Promise<OpenJournal>;
  release(): Promise<void>;
}

/** Where apply keeps its lock, journal and history: chosen by the pipeline (`--backend`, REFORM_BACKEND), never by the fleet file. */
export interface Backend {
  /** For messages: the backend without any password. */
  readonly description: string;
  /** Locks the scope before any cloud is contacted: refused at once naming the holder, or waited for up to `timeoutMs`. */
  lock(scope: readonly string[], timeoutMs: number): Promise<LockedScope>;
  /** Past applies that started at or after `since` (ms since the epoch), newest first; a backend without history has none. */
  history?(since: number): Promise<readonly HistoryEntry[]>;
  close(): Promise<void>;
}

export interface BackendContext {
  /** The fleet's journal path: the file backend's journal, and where a database backend keeps its fallback file. */
  readonly journalPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Who runs: named as the lock's holder to the runs it refuses. */
  readonly identity: RunIdentity;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The backend a run asked for: `--backend` wins over REFORM_BACKEND; nothing means `file:`. */
export function backendUrl(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const chosen = option ?? env["REFORM_BACKEND"];
  return chosen === undefined || chosen.trim() === "" ? "file:" : chosen.trim();
}

/**
 * Opens the backend: `file:` (the journal file next to the fleet file, its lock file) or `postgres://…` /
 * `postgresql://…` (connected here, so an unreachable database fails the run before any server is touched).
 * The PostgreSQL client is loaded only for a PostgreSQL URL.
 */
export async function openBackend(url: string, ctx: BackendContext): Promise<Backend> {
  if (url === "file:" || url === "file") return fileBackend(ctx);
  if (/^postgres(ql)?:\/\//i.test(url)) {
    const { openPostgresBackend } = await import("./postgres/backend.js");
    return openPostgresBackend(url, ctx);
  }
  throw new ReformError(
    "USAGE",
    `unknown backend ${JSON.stringify(withoutCredentials(url, "***"))}: expected file: or postgres://USER@HOST:PORT/DATABASE`,
  );
}

/** Retries `take` on LOCKED until it succeeds or `timeoutMs` has passed; then the last refusal stands. */
export async function withLockTimeout<T>(
  take: () => Promise<T>,
  timeoutMs: number,
  ctx: Pick<BackendContext, "now" | "sleep">,
): Promise<T> {
  const deadline = ctx.now() + timeoutMs;
  for (;;) {
    try {
      return await take();
    } catch (error) {
      if (!(error instanceof ReformError && error.code === "LOCKED") || ctx.now() >= deadline) throw error;
      await ctx.sleep(Math.min(1000, Math.max(50, deadline - ctx.now())));
    }
  }
}

/** Today's local journal and lock, unchanged; it keeps no history. */
function fileBackend(ctx: BackendContext): Backend {
  return {
    description: "file: (local journal)",
    async lock(_scope, timeoutMs) {
      const lock: JournalLock = await withLockTimeout(() => lockJournal(ctx.journalPath), timeoutMs, ctx);
      return {
        notes: () => [],
        async hasPendingOperations() {
          const text = await readFile(ctx.journalPath, "utf8").catch(() => "");
          return pendingOperations(parseJournal(text).entries).length > 0;
        },
        async previousEntries() {
          return parseJournal(await readFile(ctx.journalPath, "utf8").catch(() => "")).entries;
        },
        async openJournal() {
          const journal = await openFileJournal(ctx.journalPath, { lock });
          return {
            previous: journal.previous,
            append: (entry) => journal.append(entry),
            notes: () => [],
            close: () => journal.close(),
          };
        },
        release: () => lock.release(),
      };
    },
    close: async () => undefined,
  };
}
