import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReformError } from "../model/errors.js";
import type { LockEnvironment } from "./journal-lock.js";
import { lockJournal } from "./journal-lock.js";

const alive = new Set<number>();
const env = (pid: number, host = "runner-1"): LockEnvironment => ({
  pid,
  host,
  now: () => new Date("2026-11-23T10:00:00.000Z"),
  isAlive: (p) => alive.has(p),
});

describe("lockJournal", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-lock-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a second run while the first holds the lock, naming who holds it and since when; free again after release", async () => {
    const journal = join(dir, "a.jsonl");
    alive.add(101);
    const first = await lockJournal(journal, env(101));
    const refused = await lockJournal(journal, env(102)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReformError);
    expect((refused as ReformError).code).toBe("LOCKED");
    expect((refused as ReformError).message).toBe(
      `another apply is running on this journal: process 101, since 2026-11-23T10:00:00.000Z (lock file ${journal}.lock); wait for it to finish`,
    );
    await first.release();
    const second = await lockJournal(journal, env(102));
    expect(JSON.parse(await readFile(`${journal}.lock`, "utf8"))).toEqual({
      pid: 102,
      host: "runner-1",
      startedAt: "2026-11-23T10:00:00.000Z",
    });
    await second.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes over a lock whose process is gone (kill -9) or that is not a lock at all", async () => {
    const journal = join(dir, "b.jsonl");
    await writeFile(
      `${journal}.lock`,
      JSON.stringify({ pid: 999_999, host: "runner-1", startedAt: "2026-11-22T00:00:00.000Z" }),
    );
    const taken = await lockJournal(journal, env(103));
    expect(JSON.parse(await readFile(`${journal}.lock`, "utf8")).pid).toBe(103);
    await taken.release();
    await writeFile(`${journal}.lock`, '{"pid":');
    const again = await lockJournal(journal, env(104));
    expect(JSON.parse(await readFile(`${journal}.lock`, "utf8")).pid).toBe(104);
    await again.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a lock held from another host, since it cannot tell whether that run is alive", async () => {
    const journal = join(dir, "c.jsonl");
    await writeFile(
      `${journal}.lock`,
      JSON.stringify({ pid: 7, host: "runner-2", startedAt: "2026-11-22T00:00:00.000Z" }),
    );
    await expect(lockJournal(journal, env(105))).rejects.toThrow(
      /process 7 on runner-2, since 2026-11-22T00:00:00.000Z .*delete the lock file if that run is gone/,
    );
    await rm(`${journal}.lock`);
  });

  it("release leaves alone a lock that is no longer its own", async () => {
    const journal = join(dir, "d.jsonl");
    const mine = await lockJournal(journal, env(106));
    const other = JSON.stringify({ pid: 107, host: "runner-1", startedAt: "2026-11-23T10:00:00.000Z" });
    await writeFile(`${journal}.lock`, other);
    await mine.release();
    expect(await readFile(`${journal}.lock`, "utf8")).toBe(other);
    await rm(`${journal}.lock`);
  });

  it("of many runs racing for a free lock, or for one stale lock, exactly one wins", async () => {
    for (const stale of [false, true]) {
      const journal = join(dir, `race-${stale}.jsonl`);
      if (stale)
        await writeFile(
          `${journal}.lock`,
          JSON.stringify({ pid: 999_998, host: "runner-1", startedAt: "2026-11-22T00:00:00.000Z" }),
        );
      const pids = Array.from({ length: 12 }, (_, i) => 200 + i);
      for (const pid of pids) alive.add(pid);
      const results = await Promise.allSettled(pids.map((pid) => lockJournal(journal, env(pid))));
      const winners = results.filter((r) => r.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect((r.reason as ReformError).code).toBe("LOCKED");
      const holder = JSON.parse(await readFile(`${journal}.lock`, "utf8")) as { pid: number };
      expect(pids).toContain(holder.pid);
      await (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockJournal>>>).value.release();
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
