import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../../apply/journal.js";
import { rowOf, scopeOfRecord } from "./rows.js";

describe("a journal record as a database row", () => {
  const started: JournalEntry = {
    time: "2026-12-01T10:00:00.000Z",
    run: "r1",
    address: "dc1/web-1",
    id: "i-1",
    step: "rebuild",
    event: "started",
    op: "r1:dc1/web-1:0",
    provider: "dc1",
    requestId: "req-1",
  };

  it("keeps the record whole, with its kind, run, address, time and providers beside it", () => {
    const row = rowOf(started, ["dc1", "dc2"], 0);
    expect(row).toMatchObject({
      run: "r1",
      kind: "started",
      address: "dc1/web-1",
      scope: ["dc1"],
      recordedAt: "2026-12-01T10:00:00.000Z",
      record: started,
    });
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("stores a kind of record it has never seen (e.g. a server's before-state) without any change", () => {
    const before = {
      time: "2026-12-01T10:00:00.000Z",
      run: "r1",
      kind: "before-state",
      address: "dc2/db-1",
      state: { image: "img-1" },
    } as unknown as JournalEntry;
    expect(rowOf(before, ["dc1", "dc2"], 0)).toMatchObject({ kind: "before-state", scope: ["dc2"], record: before });
  });

  it("scopes a finished record by its address, a canary record by its servers' providers, else by the whole lock", () => {
    expect(scopeOfRecord({ address: "dc2/web-9", event: "finished" }, ["dc1", "dc2"])).toEqual(["dc2"]);
    expect(
      scopeOfRecord({ event: "canaries-passed", addresses: ["dc1/a", "dc2/b", "dc1/c"] }, ["dc1", "dc2", "dc3"]),
    ).toEqual(["dc1", "dc2"]);
    expect(scopeOfRecord({ event: "canaries-approved", addresses: [] }, ["dc1", "dc2"])).toEqual(["dc1", "dc2"]);
  });

  it("dates a record without a time by the clock", () => {
    const untimed = { run: "r1", kind: "note" } as unknown as JournalEntry;
    expect(rowOf(untimed, ["dc1"], Date.UTC(2026, 0, 2))).toMatchObject({
      recordedAt: "2026-01-02T00:00:00.000Z",
      address: null,
      scope: ["dc1"],
    });
  });
});
