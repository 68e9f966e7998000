import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ReformError } from "../model/errors.js";
import { backendUrl, openBackend, withLockTimeout } from "./backend.js";
import { lockJournal } from "./journal-lock.js";

const identity = { kind: "local" as const, user: "alice", host: "laptop" };
const realTime = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

describe("backendUrl", () => {
  it("takes --backend over REFORM_BACKEND, and file: when neither is set", () => {
    expect(backendUrl("postgres://a@h/d", { REFORM_BACKEND: "file:" })).toBe("postgres://a@h/d");
    expect(backendUrl(undefined, { REFORM_BACKEND: " postgres://b@h/d " })).toBe("postgres://b@h/d");
    expect(backendUrl(undefined, { REFORM_BACKEND: "" })).toBe("file:");
    expect(backendUrl(undefined, {})).toBe("file:");
  });
});

describe("openBackend", () => {
  it("refuses an unknown scheme without showing its password", async () => {
    const ctx = { journalPath: "/nonexistent/.reform/journal.jsonl", env: {}, identity, ...realTime };
    await expect(openBackend("mysql://root:hunter2@db/reform", ctx)).rejects.toThrow(
      /^unknown backend "mysql:\/\/\*\*\*@db\/reform": expected file: or postgres:\/\/USER@HOST:PORT\/DATABASE$/,
    );
    // A password holding '@', and a URL whose user part a pattern would miss.
    await expect(openBackend("postgress://u:p@ss@h/reform", ctx)).rejects.toThrow(
      /^unknown backend "postgress:\/\/\*\*\*@h\/reform": /,
    );
    await expect(openBackend("postgresql:/u:pw@h", ctx)).rejects.toThrow(
      /^unknown backend "postgresql: \(unparseable URL\)": /,
    );
  });
});

describe("withLockTimeout", () => {
  it("retries a lock refused as LOCKED until it is free, and gives up at the deadline with the refusal", async () => {
    let refusals = 2;
    const take = async () => {
      if (refusals-- > 0) throw new ReformError("LOCKED", "held by someone");
      return "mine";
    };
    await expect(withLockTimeout(take, 5000, realTime)).resolves.toBe("mine");
    const started = Date.now();
    await expect(
      withLockTimeout(() => Promise.reject(new ReformError("LOCKED", "still held")), 300, realTime),
    ).rejects.toThrow("still held");
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await expect(withLockTimeout(() => Promise.reject(new Error("disk full")), 5000, realTime)).rejects.toThrow(
      "disk full",
    );
  });
});

describe("the file backend", () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("is today's journal file and lock: a held lock is waited for with a timeout, the journal written next to the fleet", async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-backend-"));
    const journalPath = join(dir, ".reform", "journal.jsonl");
    const backend = await openBackend("file:", { journalPath, env: {}, identity, ...realTime });
    expect(backend.history).toBeUndefined();
    const other = await lockJournal(journalPath, {
      pid: process.pid,
      host: "this-host",
      now: () => new Date(),
      isAlive: () => true,
    });
    await expect(backend.lock(["dc1"], 0)).rejects.toThrow(/another apply is running on this journal/);
    setTimeout(() => void other.release(), 300);
    const scope = await backend.lock(["dc1"], 10_000);
    expect(await scope.hasPendingOperations()).toBe(false);
    const journal = await scope.openJournal({ identity, planDigest: "sha256:0", reformVersion: "0" });
    await journal.append({
      time: "2026-12-01T10:00:00.000Z",
      run: "r",
      address: "dc1/a",
      id: "i",
      step: "rebuild",
      event: "started",
      op: "r:dc1/a:0",
      provider: "dc1",
      startedAt: 1,
      baseline: { updated: "", status: "ACTIVE" } as never,
    });
    await journal.close();
    expect(await scope.hasPendingOperations()).toBe(true);
    await scope.release();
    expect(JSON.parse((await readFile(journalPath, "utf8")).trim())).toMatchObject({
      event: "started",
      address: "dc1/a",
    });
    expect(journal.notes()).toEqual([]);
  });
});

describe("loading the PostgreSQL client", () => {
  it("happens only through openBackend's dynamic import: nothing else imports pg or src/runtime/postgres/", async () => {
    const src = resolve(import.meta.dirname, "..");
    const files = await listTs(src);
    const offenders: string[] = [];
    for (const file of files) {
      const rel = relative(src, file);
      if (rel.startsWith("runtime/postgres/")) continue;
      const text = await readFile(file, "utf8");
      if (/from\s+["']pg["']|import\(\s*["']pg["']\s*\)/.test(text)) offenders.push(`${rel} imports pg`);
      if (/from\s+["'][^"']*postgres\/[^"']*["']/.test(text))
        offenders.push(`${rel} imports runtime/postgres statically`);
    }
    expect(offenders).toEqual([]);
    expect(await readFile(join(src, "runtime", "backend.ts"), "utf8")).toContain(
      'await import("./postgres/backend.js")',
    );
  });
});

async function listTs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? listTs(join(dir, e.name))
        : Promise.resolve(e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}
