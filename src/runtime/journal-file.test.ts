import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepEntry } from "../apply/journal.js";
import { parseJournal } from "../apply/journal.js";
import { openFileJournal } from "./journal-file.js";

const entry = (op: string, event: StepEntry["event"] = "started"): StepEntry => ({
  time: "2026-11-23T10:00:00.000Z",
  run: "r1",
  address: "dc1/web-1",
  id: "srv-1",
  step: "rebuild",
  event,
  op,
});

describe("openFileJournal", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-journal-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the file and its folder, appends whole lines, and gives the next run what was written", async () => {
    const path = join(dir, "nested", ".reform", "journal.jsonl");
    const first = await openFileJournal(path);
    expect(first.previous).toEqual({ entries: [], problems: [] });
    await first.append(entry("a"));
    await first.append(entry("a", "finished"));
    await first.close();
    const second = await openFileJournal(path);
    expect(second.previous.entries).toEqual([entry("a"), entry("a", "finished")]);
    await second.close();
  });

  it("after a torn last line, reports it and starts the next entry on a line of its own", async () => {
    const path = join(dir, "torn.jsonl");
    await writeFile(path, `${JSON.stringify(entry("a"))}\n{"time":"2026-11-23T10:00:01.000Z","ru`);
    const journal = await openFileJournal(path);
    expect(journal.previous.entries).toEqual([entry("a")]);
    expect(journal.previous.problems).toEqual([
      { line: 2, message: "line 2 is incomplete (a write cut short, e.g. by kill -9): ignored" },
    ]);
    await journal.append(entry("b"));
    await journal.close();
    const reread = parseJournal(await readFile(path, "utf8"));
    expect(reread.entries).toEqual([entry("a"), entry("b")]);
    expect(reread.problems).toEqual([{ line: 2, message: "line 2 is not a journal entry: ignored" }]);
  });

  it("is locked from open to close: a second apply on the same journal is refused while the first runs", async () => {
    const path = join(dir, "locked.jsonl");
    const first = await openFileJournal(path);
    await expect(openFileJournal(path)).rejects.toThrow(
      `another apply is running on this journal: process ${process.pid}`,
    );
    await first.append(entry("a"));
    await first.close();
    const second = await openFileJournal(path);
    expect(second.previous.entries).toEqual([entry("a")]);
    await second.close();
  });
});
