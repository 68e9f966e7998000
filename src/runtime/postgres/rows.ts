import { randomUUID } from "node:crypto";
import type { JournalEntry } from "../../apply/journal.js";
import type { JournalRow } from "./fallback.js";

/** The providers a record is about: its provider, its address's or addresses' providers, else the whole locked scope. */
export function scopeOfRecord(record: Record<string, unknown>, lockScope: readonly string[]): string[] {
  if (typeof record["provider"] === "string") return [record["provider"]];
  const providerOf = (address: unknown) =>
    typeof address === "string" && address.includes("/") ? address.slice(0, address.indexOf("/")) : undefined;
  const fromAddress = providerOf(record["address"]);
  if (fromAddress !== undefined) return [fromAddress];
  const many = Array.isArray(record["addresses"])
    ? [...new Set(record["addresses"].map(providerOf).filter((p): p is string => p !== undefined))]
    : [];
  return many.length > 0 ? many : [...lockScope];
}

/** A record as a row: whole, as JSONB, with its kind (`event`, or `kind` for a record that names itself so) beside it. */
export function rowOf(entry: JournalEntry, lockScope: readonly string[], now: number): JournalRow {
  const record = entry as unknown as Record<string, unknown>;
  const kind =
    typeof record["event"] === "string"
      ? record["event"]
      : typeof record["kind"] === "string"
        ? record["kind"]
        : "record";
  const time = typeof record["time"] === "string" ? record["time"] : new Date(now).toISOString();
  return {
    id: randomUUID(),
    run: typeof record["run"] === "string" ? record["run"] : "",
    scope: scopeOfRecord(record, lockScope),
    kind,
    address: typeof record["address"] === "string" ? record["address"] : null,
    recordedAt: time,
    record,
  };
}
