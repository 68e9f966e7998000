/** Nova's timestamps. `updated` carries microseconds so it can strictly increase within one millisecond. */

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** `2026-05-01T10:00:00.123456Z` from microseconds since the epoch. */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const base = new Date(ms).toISOString().slice(0, 19);
  return `${base}.${pad(micros % 1_000_000, 6)}Z`;
}

export function microsOf(iso: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z?$/.exec(iso);
  if (!match) return Date.parse(iso) * 1000;
  const seconds = Date.parse(`${match[1] as string}Z`);
  return seconds * 1000 + Number((match[2] ?? "0").padEnd(6, "0"));
}

/** The next `updated` value: the event time, but always after the previous one. */
export function nextUpdated(previous: string, atMs: number): string {
  return isoMicros(Math.max(Math.round(atMs * 1000), microsOf(previous) + 1));
}

/** `2026-05-01T10:00:00Z` (Nova's `created`). */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `2026-05-01T10:00:00.000000` (Nova's launched_at and instance-action times: no zone). */
export function isoNaive(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}
