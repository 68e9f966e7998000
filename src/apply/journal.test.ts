import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BeforeState, BeforeStateEntry, JournalEntry, RollbackEntry, StepEntry } from "./journal.js";
import {
  beforeStates,
  canaryRecords,
  finishedRollbackOf,
  openBeforeStates,
  parseJournal,
  pendingOperations,
  unfinishedRollback,
} from "./journal.js";

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

const state = (image: string): BeforeState => ({
  image: { id: image },
  keyPair: "ops",
  metadata: { role: "web" },
  annotations: {},
  userData: { state: "absent" },
  power: "running",
  status: "ACTIVE",
});

/** A before-state record of `run` for server `name` (address dc1/<name>), with the steps it planned. */
const recorded = (
  run: string,
  name: string,
  image: string,
  over: Partial<BeforeStateEntry> = {},
): BeforeStateEntry => ({
  time: "2026-11-23T10:00:00.000Z",
  run,
  event: "before-state",
  address: `dc1/${name}`,
  id: `srv-${name}`,
  provider: "dc1",
  steps: ["stop", "rebuild"],
  firstRun: run,
  state: state(image),
  ...over,
});

/** A step entry of `run` on server `name`, step `index`. */
const step = (
  run: string,
  name: string,
  index: number,
  event: StepEntry["event"],
  over: Partial<StepEntry> = {},
): StepEntry =>
  started({ run, address: `dc1/${name}`, id: `srv-${name}`, op: `${run}:dc1/${name}:${index}`, event, ...over });

const lines = (entries: readonly JournalEntry[]) => entries.map((e) => `${JSON.stringify(e)}\n`).join("");

describe("parseJournal", () => {
  it("reads whole lines and reports a torn last line instead of failing", () => {
    const text =
      lines([started(), { ...started(), event: "finished" }]) + '{"time":"2026-11-23T10:00:01.000Z","run":"r2","addr';
    const reading = parseJournal(text);
    expect(reading.entries).toHaveLength(2);
    expect(reading.problems).toEqual([
      { line: 3, message: "line 3 is incomplete (a write cut short, e.g. by kill -9): ignored" },
    ]);
  });

  it("skips and reports a damaged line in the middle, and lines that are JSON but not entries", () => {
    const text = `${JSON.stringify(started())}\n{"time":"x","ru{"time":1}\n[1,2]\n${JSON.stringify(started({ op: "r1:b:0" }))}\n`;
    const reading = parseJournal(text);
    expect(reading.entries.map((e) => (e as StepEntry).op)).toEqual(["r1:dc1/web-1:0", "r1:b:0"]);
    expect(reading.problems.map((p) => p.line)).toEqual([2, 3]);
  });

  it("parses any prefix of a valid journal to exactly its complete entries (property)", () => {
    const entryArb = fc.oneof(
      fc
        .record({
          address: fc.string({ minLength: 1, maxLength: 12 }),
          event: fc.constantFrom("started" as const, "finished" as const, "failed" as const),
          message: fc.string({ maxLength: 20 }),
        })
        .map((r) => started({ ...r, op: `r1:${r.address}:0` })),
      fc
        .record({ group: fc.string({ minLength: 1, maxLength: 8 }), config: fc.string({ minLength: 4, maxLength: 8 }) })
        .map((r): JournalEntry => ({
          time: "2026-11-23T10:00:00.000Z",
          run: "r1",
          event: "canaries-passed",
          addresses: ["a/b"],
          ...r,
        })),
      fc
        .record({ name: fc.string({ minLength: 1, maxLength: 8 }), image: fc.string({ maxLength: 8 }) })
        .map((r): JournalEntry => recorded("r1", r.name, r.image)),
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
      started({
        op: "r1:a:0",
        address: "dc1/a",
        jobId: "job-7",
        baseline: { updatedAt: "", status: "stopped", imageId: "img-1" },
        targetImageId: "img-2",
      }),
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

describe("before-state records", () => {
  it("are read back whole; a torn before-state line is reported and left out", () => {
    const text =
      lines([recorded("r1", "a", "img-1"), step("r1", "a", 0, "started")]) +
      JSON.stringify(recorded("r1", "b", "img-1")).slice(0, 40);
    const reading = parseJournal(text);
    expect(reading.entries[0]).toEqual(recorded("r1", "a", "img-1"));
    expect(reading.problems.map((p) => p.message)).toEqual([expect.stringMatching(/incomplete/)]);
    expect([...beforeStates(reading.entries).keys()]).toEqual(["dc1/a"]);
  });

  it("a line that says before-state without its fields is not an entry", () => {
    const { state: _s, ...partial } = recorded("r1", "a", "img-1");
    expect(parseJournal(`${JSON.stringify(partial)}\n`).entries).toEqual([]);
  });
});

describe("beforeStates", () => {
  it("gives, per server, the before-state of the last run only", () => {
    const entries: JournalEntry[] = [
      recorded("r1", "a", "img-0"),
      recorded("r1", "old", "img-0"),
      step("r1", "a", 0, "finished"),
      step("r1", "a", 1, "finished"),
      step("r1", "old", 0, "finished"),
      step("r1", "old", 1, "finished"),
      recorded("r2", "a", "img-1"),
      recorded("r2", "b", "img-1"),
      step("r2", "a", 0, "started"),
    ];
    const found = beforeStates(entries);
    expect([...found.keys()].sort()).toEqual(["dc1/a", "dc1/b"]);
    expect(found.get("dc1/a")).toMatchObject({ run: "r2", state: { image: { id: "img-1" } } });
    expect(beforeStates([step("r1", "a", 0, "finished")]).size).toBe(0);
  });

  it("a resumed run: the first record wins, and the servers the interrupted run finished are in too", () => {
    const entries: JournalEntry[] = [
      recorded("r1", "a", "img-0"),
      recorded("r1", "done", "img-0"),
      step("r1", "done", 0, "finished"),
      step("r1", "done", 1, "finished"),
      step("r1", "a", 0, "finished"),
      step("r1", "a", 1, "started"),
      // r2 resumes: follows r1's rebuild of a, then (say) restarts it; its record of a copies r1's.
      step("r1", "a", 1, "finished", { run: "r2", resumedBy: "r2" }),
      recorded("r2", "a", "img-0", { firstRun: "r1", steps: ["start"] }),
      recorded("r2", "c", "img-5"),
      // A record of a written by mistake with the half-done state is not taken over the first.
      recorded("r2", "a", "img-NEW", { firstRun: "r1" }),
    ];
    const found = beforeStates(entries);
    expect([...found.keys()].sort()).toEqual(["dc1/a", "dc1/c", "dc1/done"]);
    expect(found.get("dc1/a")).toMatchObject({ run: "r1", state: { image: { id: "img-0" } } });
    expect(found.get("dc1/c")).toMatchObject({ run: "r2" });
  });
});

describe("openBeforeStates", () => {
  it("keeps records whose server's steps did not all end: killed before, between or during steps", () => {
    const entries: JournalEntry[] = [
      recorded("r1", "unsent", "img-0"),
      recorded("r1", "between", "img-0"),
      step("r1", "between", 0, "finished"),
      recorded("r1", "during", "img-0"),
      step("r1", "during", 0, "started"),
      recorded("r1", "done", "img-0"),
      step("r1", "done", 0, "finished"),
      step("r1", "done", 1, "finished"),
      recorded("r1", "failed", "img-0"),
      step("r1", "failed", 0, "failed"),
      recorded("r1", "followed", "img-0"),
      step("r1", "followed", 0, "finished"),
      step("r1", "followed", 1, "finished", { run: "r2", resumedBy: "r2" }),
    ];
    expect([...openBeforeStates(entries).keys()].sort()).toEqual(["dc1/between", "dc1/during", "dc1/unsent"]);
  });

  it("a later run's record of the server replaces an earlier one", () => {
    const entries: JournalEntry[] = [
      recorded("r1", "a", "img-0"),
      recorded("r2", "a", "img-0", { firstRun: "r1" }),
      step("r2", "a", 0, "finished"),
      step("r2", "a", 1, "finished"),
    ];
    expect(openBeforeStates(entries).size).toBe(0);
  });
});

describe("rollback records", () => {
  const started = (run: string, target: string): RollbackEntry => ({
    time: "2026-12-01T10:00:00.000Z",
    run,
    event: "rollback-started",
    target,
    reason: "maxUnhealthy 1 reached in group web",
    addresses: ["dc1/a"],
  });
  const finished = (run: string, target: string): RollbackEntry => ({
    ...started(run, target),
    event: "rollback-finished",
  });

  it("are read back whole; one without its target or addresses is not an entry", () => {
    const { target: _t, ...noTarget } = started("k1", "r1");
    const reading = parseJournal(
      lines([started("k1", "r1"), noTarget as unknown as JournalEntry, finished("k1", "r1")]),
    );
    expect(reading.entries).toEqual([started("k1", "r1"), finished("k1", "r1")]);
  });

  it("a rollback started and never finished is unfinished until its own finished record", () => {
    expect(unfinishedRollback([started("k1", "r1")])).toEqual(started("k1", "r1"));
    expect(unfinishedRollback([started("k1", "r1"), finished("k1", "r1")])).toBeUndefined();
    // Another rollback's end does not close it.
    expect(unfinishedRollback([started("k1", "r1"), finished("k0", "r0")])?.run).toBe("k1");
    expect(unfinishedRollback([finished("k0", "r0"), started("k2", "r2")])?.run).toBe("k2");
    expect(finishedRollbackOf([started("k1", "r1"), finished("k1", "r1")], "r1")?.event).toBe("rollback-finished");
    expect(finishedRollbackOf([started("k1", "r1")], "r1")).toBeUndefined();
  });

  it("beforeStates of a named run: that run's records, not the last run's", () => {
    const entries = [recorded("r1", "a", "img-0"), recorded("r2", "b", "img-1")];
    expect([...beforeStates(entries, "r1").keys()]).toEqual(["dc1/a"]);
    expect([...beforeStates(entries).keys()]).toEqual(["dc1/b"]);
  });
});
