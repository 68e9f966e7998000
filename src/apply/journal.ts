import type { StepKind } from "../model/action.js";
import type { InstanceAddress } from "../model/address.js";
import type { OperationBaseline, OperationHandle } from "../model/operation.js";

/** One line of the apply journal for a step: started (with the cloud's operation handle), finished or failed. */
export interface StepEntry {
  readonly time: string;
  readonly run: string;
  readonly address: InstanceAddress;
  readonly id: string;
  readonly step: StepKind;
  readonly event: "started" | "finished" | "failed";
  /** Identifies the step across entries (and runs): `<run>:<address>:<index>`. */
  readonly op?: string;
  readonly requestId?: string;
  readonly jobId?: string;
  readonly message?: string;
  /** started: the provider's name and what a later run needs to follow the operation (OperationHandle). */
  readonly provider?: string;
  readonly startedAt?: number;
  readonly baseline?: OperationBaseline;
  readonly targetImageId?: string;
  readonly synchronous?: boolean;
  /** finished / failed: the run that followed an interrupted run's operation to its end. */
  readonly resumedBy?: string;
}

/** A group's canaries converged (`passed`), or a user approved them (`approved`), for one desired configuration of the group. */
export interface CanaryEntry {
  readonly time: string;
  readonly run: string;
  readonly event: "canaries-passed" | "canaries-approved";
  readonly group: string;
  /** Digest of the group's desired specs: a changed configuration needs new canaries. */
  readonly config: string;
  readonly addresses: readonly InstanceAddress[];
}

/** user_data as it was before: content only when kept (see before-state.ts), else its digest and why, or why it is not known. */
export type BeforeUserData =
  | { readonly state: "content"; readonly sha256: string; readonly content: string }
  | { readonly state: "digest"; readonly sha256: string; readonly why: string }
  | { readonly state: "absent" }
  | { readonly state: "unknown"; readonly why: string };

/** A server's managed state before a run's first step on it. */
export interface BeforeState {
  readonly image: { readonly id: string; readonly name?: string } | { readonly unknown: string };
  readonly keyPair: string | null;
  /** The keys the fleet manages, with their values before (null: the key was absent). */
  readonly metadata: Readonly<Record<string, string | null>>;
  /**
   * Managed keys whose value was not recorded because its name or value looks like a secret (the rules of
   * `model/secret-hints.ts`): a rollback cannot restore them and says so. @default none
   */
  readonly withheldMetadata?: readonly { readonly key: string; readonly why: string }[];
  /** reform's own annotations (applied digest, user_data digest, reboot token) as they were. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly userData: BeforeUserData;
  readonly power: "running" | "stopped" | "unknown";
  /** The cloud's status word, for messages. */
  readonly status: string;
}

/**
 * Written before a server's first step, once per server and run. A run that takes over a server an interrupted run
 * left half-done copies that run's record (`firstRun` names the run that observed it), never the half-done state.
 */
export interface BeforeStateEntry {
  readonly time: string;
  readonly run: string;
  readonly event: "before-state";
  readonly address: InstanceAddress;
  readonly id: string;
  readonly provider: string;
  /** The steps this run planned for the server: the record stays open until the last one ends. */
  readonly steps: readonly StepKind[];
  readonly firstRun: string;
  readonly state: BeforeState;
}

/**
 * A rollback: `rollback-started` before its first step (the servers it takes back, and why), `rollback-finished` when
 * every one of them ended. A started rollback without its end was interrupted: the next apply finishes it first and
 * does nothing else. `run` is the rollback's own id (its steps are journaled under it); `target` the run rolled back.
 */
export interface RollbackEntry {
  readonly time: string;
  readonly run: string;
  readonly event: "rollback-started" | "rollback-finished";
  readonly target: string;
  readonly reason: string;
  /** started: the servers to take back; finished: those rolled back. */
  readonly addresses: readonly InstanceAddress[];
  /** finished: the servers that could not be rolled back. @default none */
  readonly failed?: readonly InstanceAddress[];
  /** finished: the run that finished an interrupted rollback. */
  readonly resumedBy?: string;
}

export type JournalEntry = StepEntry | CanaryEntry | BeforeStateEntry | RollbackEntry;

/** What the previous runs left: their entries, and any line that could not be read (a torn last line after a kill). */
export interface JournalReading {
  readonly entries: readonly JournalEntry[];
  readonly problems: readonly { readonly line: number; readonly message: string }[];
}

export interface Journal {
  append(entry: JournalEntry): Promise<void>;
  /** The journal as it was before this run. @default nothing */
  readonly previous?: JournalReading;
  /**
   * Why no new step may start (the journal can no longer record it where the next run will look: a shared backend's
   * connection was lost); undefined while steps may start. Steps already running are followed to their end. @default never
   */
  halted?(): string | undefined;
}

export const noJournal: Journal = { append: async () => undefined };

const STEP_EVENTS = new Set(["started", "finished", "failed"]);
const CANARY_EVENTS = new Set(["canaries-passed", "canaries-approved"]);

/**
 * Parses a JSON-lines journal. Never throws: a last line without its newline that does not parse is a torn
 * write (the process was killed mid-append) and is reported; any other unreadable line is reported and skipped.
 */
export function parseJournal(text: string): JournalReading {
  const entries: JournalEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const last = index === lines.length - 1;
    const entry = parseRecord(line);
    if (entry) entries.push(entry);
    else if (last)
      problems.push({
        line: index + 1,
        message: `line ${index + 1} is incomplete (a write cut short, e.g. by kill -9): ignored`,
      });
    else problems.push({ line: index + 1, message: `line ${index + 1} is not a journal entry: ignored` });
  }
  return { entries, problems };
}

function parseRecord(line: string): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return journalEntryOf(value);
}

/** A journal record read back as a value (a JSON line, a database row's document): the entry, or undefined if it is none. */
export function journalEntryOf(value: unknown): JournalEntry | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v["time"] !== "string" || typeof v["run"] !== "string" || typeof v["event"] !== "string") return undefined;
  if (STEP_EVENTS.has(v["event"])) {
    return typeof v["address"] === "string" && typeof v["id"] === "string" && typeof v["step"] === "string"
      ? (v as unknown as StepEntry)
      : undefined;
  }
  if (CANARY_EVENTS.has(v["event"])) {
    return typeof v["group"] === "string" && typeof v["config"] === "string" && Array.isArray(v["addresses"])
      ? (v as unknown as CanaryEntry)
      : undefined;
  }
  if (v["event"] === "rollback-started" || v["event"] === "rollback-finished") {
    return typeof v["target"] === "string" && typeof v["reason"] === "string" && Array.isArray(v["addresses"])
      ? (v as unknown as RollbackEntry)
      : undefined;
  }
  if (v["event"] === "before-state") {
    const ok =
      typeof v["address"] === "string" &&
      typeof v["id"] === "string" &&
      typeof v["firstRun"] === "string" &&
      Array.isArray(v["steps"]) &&
      typeof v["state"] === "object" &&
      v["state"] !== null;
    return ok ? (v as unknown as BeforeStateEntry) : undefined;
  }
  return undefined;
}

/** A step an earlier run started and never saw finish: apply follows it to its end before going on. */
export interface PendingOperation {
  readonly op: string;
  readonly run: string;
  readonly address: InstanceAddress;
  readonly provider: string;
  readonly handle: OperationHandle;
}

function stepKey(e: StepEntry): string {
  return e.op ?? `${e.run}|${e.address}|${e.step}`;
}

/** Started steps with no finished or failed entry, that carry enough to be followed (provider, start time, baseline). */
export function pendingOperations(entries: readonly JournalEntry[]): PendingOperation[] {
  const started = new Map<string, StepEntry>();
  for (const entry of entries) {
    if (entry.event === "started") started.set(stepKey(entry), entry);
    else if (entry.event === "finished" || entry.event === "failed") started.delete(stepKey(entry));
  }
  const pending: PendingOperation[] = [];
  for (const [op, e] of started) {
    if (e.provider === undefined || e.startedAt === undefined || e.baseline === undefined) continue;
    const handle: OperationHandle = {
      instanceId: e.id,
      step: e.step,
      startedAt: e.startedAt,
      baseline: e.baseline,
      synchronous: e.synchronous ?? false,
      ...(e.requestId ? { requestId: e.requestId } : {}),
      ...(e.jobId ? { jobId: e.jobId } : {}),
      ...(e.targetImageId ? { targetImageId: e.targetImageId } : {}),
    };
    pending.push({ op, run: e.run, address: e.address, provider: e.provider, handle });
  }
  return pending;
}

/** Per group, the configurations whose canaries passed and those a user approved. */
export function canaryRecords(entries: readonly JournalEntry[]): {
  readonly passed: ReadonlySet<string>;
  readonly approved: ReadonlySet<string>;
} {
  const passed = new Set<string>();
  const approved = new Set<string>();
  for (const entry of entries) {
    if (entry.event === "canaries-passed") passed.add(`${entry.group}|${entry.config}`);
    else if (entry.event === "canaries-approved") approved.add(`${entry.group}|${entry.config}`);
  }
  return { passed, approved };
}

/**
 * Per server, the before-state an earlier run recorded and whose steps did not all end (the run was killed, or
 * stopped, before the server's last step finished or any step failed): a later run carries it forward.
 */
export function openBeforeStates(entries: readonly JournalEntry[]): Map<InstanceAddress, BeforeStateEntry> {
  const latest = new Map<InstanceAddress, BeforeStateEntry>();
  const finished = new Set<string>();
  /** `<run>:<address>:` of every step that failed. */
  const failed = new Set<string>();
  for (const entry of entries) {
    if (entry.event === "before-state") latest.set(entry.address, entry);
    else if (entry.event === "finished" && entry.op !== undefined) finished.add(entry.op);
    else if (entry.event === "failed" && entry.op !== undefined)
      failed.add(entry.op.slice(0, entry.op.lastIndexOf(":") + 1));
  }
  const open = new Map<InstanceAddress, BeforeStateEntry>();
  for (const [address, entry] of latest) {
    const prefix = `${entry.run}:${address}:`;
    if (!finished.has(`${prefix}${entry.steps.length - 1}`) && !failed.has(prefix)) open.set(address, entry);
  }
  return open;
}

/**
 * Per server, the before-state of the last run the journal records (or of `run`): the last run that recorded one, together with
 * the interrupted runs it carried servers over from (transitively), so servers those changed are in too. A server's
 * first record wins: a resumed run's copy never replaces what the original run observed.
 */
export function beforeStates(entries: readonly JournalEntry[], run?: string): Map<InstanceAddress, BeforeStateEntry> {
  const records = entries.filter((e): e is BeforeStateEntry => e.event === "before-state");
  const last = run ?? records.at(-1)?.run;
  if (last === undefined) return new Map();
  const runs = new Set([last]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of records) {
      if (runs.has(r.run) && !runs.has(r.firstRun)) {
        runs.add(r.firstRun);
        grew = true;
      }
    }
  }
  const found = new Map<InstanceAddress, BeforeStateEntry>();
  for (const r of records) if (runs.has(r.run) && !found.has(r.address)) found.set(r.address, r);
  return found;
}

/** The last rollback the journal records as started and never finished (a kill during it), if any. */
export function unfinishedRollback(entries: readonly JournalEntry[]): RollbackEntry | undefined {
  const finished = new Set<string>();
  let open: RollbackEntry | undefined;
  for (const entry of entries) {
    if (entry.event === "rollback-finished") finished.add(entry.run);
    else if (entry.event === "rollback-started") open = entry;
  }
  return open !== undefined && !finished.has(open.run) ? open : undefined;
}

/** The rollback that finished for `run` (the run it took back), if any. */
export function finishedRollbackOf(entries: readonly JournalEntry[], run: string): RollbackEntry | undefined {
  return entries.findLast((e): e is RollbackEntry => e.event === "rollback-finished" && e.target === run);
}
