import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { ReformError } from "../model/errors.js";

/** Who holds a journal: written into `<journal>.lock` whole, before the lock file appears. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

export interface JournalLock {
  /** Removes the lock file if it is still this process's. */
  release(): Promise<void>;
}

export interface LockEnvironment {
  readonly pid: number;
  readonly host: string;
  readonly now: () => Date;
  /** True if a process with this id runs on this host. */
  readonly isAlive: (pid: number) => boolean;
}

const LOCAL: LockEnvironment = { pid: process.pid, host: hostname(), now: () => new Date(), isAlive: processIsAlive };

/**
 * Takes the journal's lock, as Terraform locks its state: one apply at a time per journal, so a run never
 * mistakes the live operations of another for an interrupted run's and follows them as its own.
 * A lock left by a process that is gone (kill -9, a crashed runner) on this host is taken over; a live
 * holder, or one on another host (a shared disk), is refused with who holds it and since when.
 */
export async function lockJournal(journalPath: string, env: LockEnvironment = LOCAL): Promise<JournalLock> {
  const path = `${journalPath}.lock`;
  const mine: LockHolder = { pid: env.pid, host: env.host, startedAt: env.now().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  await mkdir(dirname(journalPath), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWhole(path, text)) return { release: () => releaseIfMine(path, text) };
    const held = await readLockFile(path).catch(() => undefined);
    if (held === undefined) continue; // released between the two calls: try again
    const holder = parseHolder(held);
    if (holder && (holder.host !== env.host || env.isAlive(holder.pid))) throw lockedError(path, holder, env.host);
    await breakStaleLock(path, held);
  }
  throw new ReformError("LOCKED", `could not take the journal lock ${path}: other runs keep taking it; try again`);
}

/** Creates the file with its content in one step: written aside, then hard-linked into place (fails if it exists). */
async function createWhole(path: string, text: string): Promise<boolean> {
  const aside = `${path}.${randomUUID()}`;
  await writeFile(aside, text, { mode: 0o600, flag: "wx" });
  try {
    await link(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Moves a stale lock out of the way. Two runs may break the same stale lock at once: whoever moved away
 * something other than what it judged stale (the other's fresh lock) puts it back.
 */
async function breakStaleLock(path: string, stale: string): Promise<void> {
  const aside = `${path}.stale.${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readFile(aside, "utf8");
  if (moved !== stale) await link(aside, path).catch(() => undefined);
  await unlink(aside);
}

async function releaseIfMine(path: string, text: string): Promise<void> {
  const held = await readLockFile(path).catch(() => undefined);
  if (held === text) await unlink(path).catch(() => undefined);
}

/** The lock file's text; a symbolic link in its place is not followed (ELOOP), so nothing outside is read. */
async function readLockFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.startedAt === "string") {
      return { pid: value.pid, host: value.host, startedAt: value.startedAt };
    }
  } catch {
    // not ours or damaged: stale
  }
  return undefined;
}

function lockedError(path: string, holder: LockHolder, host: string): ReformError {
  const where = holder.host === host ? `process ${holder.pid}` : `process ${holder.pid} on ${holder.host}`;
  const hint =
    holder.host === host
      ? "wait for it to finish"
      : "wait for it to finish, or delete the lock file if that run is gone";
  return new ReformError(
    "LOCKED",
    `another apply is running on this journal: ${where}, since ${holder.startedAt} (lock file ${path}); ${hint}`,
  );
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
