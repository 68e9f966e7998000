import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JournalEntry, StepEntry } from "./journal.js";
import { canaryRecords, parseJournal, pendingOperations } from "./journal.js";

const started = (over: Partial<StepEntry> = {}): StepEntry => ({
  time: "2026-11-23T10:00:00.000Z",
  run: "r1",
  address: "dc1/web-1",
  id: "srv-1",
  step: "rebuild",
  event: "started",
  op: "r1:dc1/web-1:0",
  provider: "dc1",
  startedAt: 1_700_000_000_000,
  baseline: { updatedAt: "2026-11-23T09:00:00Z", status: "ACTIVE" },
  synchronous: false,
  requestId: "req-1",
  ...over,
});

const lines = (entries: readonly JournalEntry[]) => entries.map((e) => `${JSON.stringify(e)}\n`).join("");

describe("parseJournal", () => {
  it("reads whole lines and reports a torn last line instead of failing", () => {
    const text = lines([started(), { ...started(), event: "finished" }]) + '{"time":"2026-11-23T10:00:01.000Z","run":"r2","addr';
    const reading = parseJournal(text);
    expect(reading.entries).toHaveLength(2);
    expect(reading.problems).toEqual([{ line: 3, message: "line 3 is incomplete (a write cut short, e.g. by kill -9): ignored" }]);
  });

  it("skips and reports a damaged line in the middle, and lines that are JSON but not entries", () => {
    const text = `${JSON.stringify(started())}\n{"time":"x","ru{"time":1}\n[1,2]\n${JSON.stringify(started({ op: "r1:b:0" }))}\n`;
    const reading = parseJournal(text);
    expect(reading.entries.map((e) => (e as StepEntry).op)).toEqual(["r1:dc1/web-1:0", "r1:b:0"]);
    expect(reading.problems.map((p) => p.line)).toEqual([2, 3]);
  });

  it("parses any prefix of a valid journal to exactly its complete entries (property)", () => {
    const entryArb = fc.oneof(
      fc.record({ address: fc.string({ minLength: 1, maxLength: 12 }), event: fc.constantFrom("started" as const, "finished" as const, "failed" as const), message: fc.string({ maxLength: 20 }) }).map((r) => started({ ...r, op: `r1:${r.address}:0` })),
      fc.record({ group: fc.string({ minLength: 1, maxLength: 8 }), config: fc.string({ minLength: 4, maxLength: 8 }) }).map((r): JournalEntry => ({ time: "2026-11-23T10:00:00.000Z", run: "r1", event: "canaries-passed", addresses: ["a/b"], ...r })),
    );
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), fc.nat(), (entries, cut) => {
        const text = lines(entries);
        const at = text.length === 0 ? 0 : cut % (text.length + 1);
        const reading = parseJournal(text.slice(0, at));
        const complete = entries.filter((_, i) => lines(entries.slice(0, i + 1)).length - 1 <= at);
        expect(reading.entries).toEqual(complete);
        expect(reading.problems.length).toBeLessThanOrEqual(1);
        if (reading.problems.length === 1) expect(reading.problems[0]?.message).toMatch(/incomplete/);
      }),
      { numRuns: 500 },
    );
  });
});

describe("pendingOperations", () => {
  it("finds started steps never finished, with the handle to follow them", () => {
    const entries: JournalEntry[] = [
      started({ op: "r1:a:0", address: "dc1/a", jobId: "job-7", baseline: { updatedAt: "", status: "stopped", imageId: "img-1" }, targetImageId: "img-2" }),
      started({ op: "r1:b:0", address: "dc1/b" }),
      { ...started({ op: "r1:b:0", address: "dc1/b" }), event: "finished" },
      started({ op: "r1:c:0", address: "dc1/c" }),
      { ...started({ op: "r1:c:0", address: "dc1/c" }), event: "failed", message: "ERROR" },
    ];
    expect(pendingOperations(entries)).toEqual([
      {
        op: "r1:a:0",
        run: "r1",
        address: "dc1/a",
        provider: "dc1",
        handle: {
          instanceId: "srv-1",
          step: "rebuild",
          startedAt: 1_700_000_000_000,
          baseline: { updatedAt: "", status: "stopped", imageId: "img-1" },
          targetImageId: "img-2",
          synchronous: false,
          requestId: "req-1",
          jobId: "job-7",
        },
      },
    ]);
  });

  it("forgets an operation once a later run followed it to its end", () => {
    const entries: JournalEntry[] = [started(), { ...started(), run: "r2", event: "finished", resumedBy: "r2" }];
    expect(pendingOperations(entries)).toEqual([]);
  });

  it("ignores started entries of old journals that lack what is needed to follow them", () => {
    const { provider: _p, op: _o, ...old } = started();
    expect(pendingOperations([old])).toEqual([]);
  });
});

describe("canaryRecords", () => {
  it("keeps passed and approved canaries per group and configuration", () => {
    const base = { time: "t", run: "r1", addresses: ["dc1/web-1"] };
    const records = canaryRecords([
      { ...base, event: "canaries-passed", group: "web", config: "c1" },
      { ...base, event: "canaries-approved", group: "web", config: "c1" },
      { ...base, event: "canaries-passed", group: "db", config: "c2" },
    ]);
    expect([...records.passed].sort()).toEqual(["db|c2", "web|c1"]);
    expect([...records.approved]).toEqual(["web|c1"]);
  });
});
