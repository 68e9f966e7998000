/** One measured point of a series: a figure left out was not measured at that size. */
export interface SeriesPoint {
  readonly servers: number;
  readonly seconds?: number;
  readonly requests?: number;
  readonly rssMb?: number;
}

/** One line of the plot: reform's plan or apply, or a peer measured on the same worlds. */
export interface ScalingSeries {
  readonly label: string;
  readonly colour: string;
  /** Drawn dashed: a peer, not reform. */
  readonly peer?: boolean;
  readonly points: readonly SeriesPoint[];
}

interface Panel {
  readonly title: string;
  readonly value: (p: SeriesPoint) => number | undefined;
}

const PANELS: readonly Panel[] = [
  { title: "wall time (s)", value: (p) => p.seconds },
  { title: "API requests", value: (p) => p.requests },
  { title: "peak RSS (MB)", value: (p) => p.rssMb },
];

const W = 300;
const H = 220;
const PAD = { left: 48, right: 12, top: 28, bottom: 36 };

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Log-scale position of v in [lo, hi] over `length` pixels. */
function logPos(v: number, lo: number, hi: number, length: number): number {
  const l = Math.log10(Math.max(v, lo)) - Math.log10(lo);
  const span = Math.log10(hi) - Math.log10(lo) || 1;
  return (l / span) * length;
}

function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function measured(series: ScalingSeries, value: Panel["value"]): { servers: number; value: number }[] {
  return series.points.flatMap((pt) => {
    const v = value(pt);
    return v !== undefined && v > 0 ? [{ servers: pt.servers, value: v }] : [];
  });
}

function panel(p: Panel, series: readonly ScalingSeries[], x0: number): string {
  const drawn = series.map((line) => ({ line, points: measured(line, p.value) }));
  const all = drawn.flatMap((d) => d.points);
  const values = all.map((pt) => pt.value);
  const sizes = series.flatMap((line) => line.points.map((pt) => pt.servers));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const nLo = 10 ** Math.floor(Math.log10(Math.min(...sizes)));
  const nHi = 10 ** Math.ceil(Math.log10(Math.max(...sizes)));
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (n: number) => x0 + PAD.left + logPos(n, nLo, nHi, pw);
  const y = (v: number) => PAD.top + ph - logPos(v, lo, hi, ph);
  const parts: string[] = [
    `<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`,
  ];
  parts.push(`<rect x="${x0 + PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const d of decades(lo, hi))
    parts.push(
      `<text x="${x0 + PAD.left - 4}" y="${y(d) + 4}" text-anchor="end">${d >= 1 ? d : d.toPrecision(1)}</text>`,
    );
  for (const n of decades(nLo, nHi))
    parts.push(`<text x="${x(n)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${n}</text>`);
  parts.push(`<text x="${x0 + PAD.left + pw / 2}" y="${H - 6}" text-anchor="middle">servers (log)</text>`);
  for (const { line, points } of drawn) {
    if (points.length === 0) continue;
    const coords = points.map((pt) => `${x(pt.servers).toFixed(1)},${y(pt.value).toFixed(1)}`);
    const dash = line.peer ? ` stroke-dasharray="5,3"` : "";
    parts.push(`<polyline points="${coords.join(" ")}" fill="none" stroke="${line.colour}" stroke-width="2"${dash}/>`);
    for (const c of coords)
      parts.push(`<circle cx="${c.split(",")[0]}" cy="${c.split(",")[1]}" r="3" fill="${line.colour}"/>`);
  }
  return parts.join("\n");
}

/** The scaling curve as a standalone SVG: three log-log panels (time, requests, memory), one line per series. */
export function scalingSvg(series: readonly ScalingSeries[], caption: string): string {
  const width = W * PANELS.length;
  const height = H + 48;
  const body = PANELS.map((p, i) => panel(p, series, i * W)).join("\n");
  const legend = series
    .map((line) => `<tspan fill="${line.colour}">${line.peer ? "- -" : "●"} ${escapeXml(line.label)}</tspan>`)
    .join("  ");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    `<text x="10" y="${height - 26}">${legend}</text>`,
    `<text x="10" y="${height - 8}">${escapeXml(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
