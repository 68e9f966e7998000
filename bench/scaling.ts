/**
 * The points of the scaling plot, kept in bench/scaling-points.json so that the regular run (up to 10,000
 * servers) and the large run (100,000) each replace their own sizes and the plot shows both.
 */
import type { ScalingSeries, SeriesPoint } from "./svg.js";

export const SERIES = {
  plan: { label: "reform plan", colour: "#1f77b4" },
  apply: { label: "reform apply (rebuild every server)", colour: "#d62728" },
  openstackclient: { label: "openstack server list --long (listing only)", colour: "#2ca02c", peer: true },
  terraform: { label: "Terraform-style refresh (GET per server)", colour: "#9467bd", peer: true },
} as const;

export type SeriesKey = keyof typeof SERIES;
export type ScalingData = Partial<Record<SeriesKey, readonly SeriesPoint[]>>;

/** The kept points with `fresh` ones replacing those of the same series and size; sizes in order. */
export function mergePoints(kept: ScalingData, fresh: ScalingData): ScalingData {
  const out: ScalingData = {};
  for (const key of Object.keys(SERIES) as SeriesKey[]) {
    const bySize = new Map<number, SeriesPoint>();
    for (const point of [...(kept[key] ?? []), ...(fresh[key] ?? [])]) bySize.set(point.servers, point);
    if (bySize.size > 0) out[key] = [...bySize.values()].sort((a, b) => a.servers - b.servers);
  }
  return out;
}

/** The kept points from the JSON text (empty when there is none or it does not parse). */
export function parsePoints(text: string | undefined): ScalingData {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as ScalingData) : {};
  } catch {
    return {};
  }
}

export function seriesOf(data: ScalingData): ScalingSeries[] {
  return (Object.keys(SERIES) as SeriesKey[]).flatMap((key) =>
    data[key] && data[key].length > 0 ? [{ ...SERIES[key], points: data[key] }] : [],
  );
}
