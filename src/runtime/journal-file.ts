import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import type { Journal, JournalEntry } from "../apply/journal.js";

/**
 * The apply journal as a JSON-lines file: each entry is one append of one whole line, synced to disk
 * before the step goes on, so a kill at any point leaves at worst a missing last line, never a torn one in the middle.
 */
export async function openFileJournal(path: string): Promise<Journal & { close(): Promise<void> }> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, "a", 0o600);
  let queue: Promise<void> = Promise.resolve();
  return {
    append(entry: JournalEntry): Promise<void> {
      const line = `${JSON.stringify(entry)}\n`;
      queue = queue.then(async () => {
        await handle.write(line);
        await handle.datasync();
      });
      return queue;
    },
    async close() {
      await queue;
      await handle.close();
    },
  };
}
