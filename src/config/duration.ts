const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as the schema's `duration` allows it: "500ms", "30s", "1.5m", "1h30m", or a number of milliseconds
 * → milliseconds; undefined when it is not one (the schema has normally refused it already). The emulator's
 * `parseDuration` throws instead: its world files have no schema in front of them.
 */
export function tryParseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  const trimmed = value.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed) return undefined;
  return Math.round(parts.reduce((sum, part) => sum + Number(part[1]) * (UNITS[part[2] as string] as number), 0));
}
