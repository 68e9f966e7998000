import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Journal, JournalEntry, JournalReading } from "../apply/journal.js";
import { parseJournal } from "../apply/journal.js";
import type { JournalLock, LockEnvironment } from "./journal-lock.js";
import { lockJournal } from "./journal-lock.js";

export interface OpenJournalOptions {
  /**
   * The journal's lock, taken beforehand with lockJournal (the CLI takes it before contacting any cloud): opening
   * takes no other, and close() leaves releasing it to its owner. @default taken on open, released on close
   */
  readonly lock?: JournalLock;
  /** Who takes the lock on open. @default this process on this host */
  readonly lockEnv?: LockEnvironment;
}

/**
 * The apply journal as a JSON-lines file: each entry is one append of one whole line, synced to disk
 * before the step goes on, so a kill at any point leaves at worst a torn last line, never a damaged one in the middle.
 * What earlier runs wrote is read first (`previous`); a torn last line is closed with a newline so the
 * next entry starts on a line of its own. The journal is locked while open (see lockJournal), so what it
 * shows as started and never finished is an interrupted run's, never a live one's.
 */
export async function openFileJournal(
  path: string,
  options: OpenJournalOptions = {},
): Promise<Journal & { readonly previous: JournalReading; close(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true });
  const owned = options.lock === undefined;
  const lock = options.lock ?? (await lockJournal(path, options.lockEnv));
  let text: string;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    text = await readExisting(path);
    handle = await open(path, "a", 0o600);
  } catch (error) {
    if (owned) await lock.release();
    throw error;
  }
  const previous = parseJournal(text);
  let queue: Promise<void> = text === "" || text.endsWith("\n") ? Promise.resolve() : writeSynced("\n");
  function writeSynced(line: string): Promise<void> {
    return (async () => {
      await handle.write(line);
      await handle.datasync();
    })();
  }
  return {
    previous,
    append(entry: JournalEntry): Promise<void> {
      const line = `${JSON.stringify(entry)}\n`;
      queue = queue.then(() => writeSynced(line));
      return queue;
    },
    async close() {
      await queue.catch(() => undefined);
      await handle.close();
      if (owned) await lock.release();
    },
  };
}

async function readExisting(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}
