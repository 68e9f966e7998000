/** One measured point of the scaling curve. */
export interface ScalingPoint {
  readonly servers: number;
  readonly planSeconds: number;
  readonly planRequests: number;
  readonly planRssMb: number;
  readonly applySeconds: number;
  readonly applyRequests: number;
  readonly applyRssMb: number;
}

interface Panel {
  readonly title: string;
  readonly plan: (p: ScalingPoint) => number;
  readonly apply: (p: ScalingPoint) => number;
}

const PANELS: readonly Panel[] = [
  { title: "wall time (s)", plan: (p) => p.planSeconds, apply: (p) => p.applySeconds },
  { title: "API requests", plan: (p) => p.planRequests, apply: (p) => p.applyRequests },
  { title: "peak RSS (MB)", plan: (p) => p.planRssMb, apply: (p) => p.applyRssMb },
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

function panel(p: Panel, points: readonly ScalingPoint[], x0: number): string {
  const values = points.flatMap((pt) => [p.plan(pt), p.apply(pt)]).filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const nLo = 10 ** Math.floor(Math.log10(Math.min(...points.map((pt) => pt.servers))));
  const nHi = 10 ** Math.ceil(Math.log10(Math.max(...points.map((pt) => pt.servers))));
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
  for (const [series, colour] of [
    [p.plan, "#1f77b4"],
    [p.apply, "#d62728"],
  ] as const) {
    const coords = points.map((pt) => `${x(pt.servers).toFixed(1)},${y(series(pt)).toFixed(1)}`);
    parts.push(`<polyline points="${coords.join(" ")}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const c of coords)
      parts.push(`<circle cx="${c.split(",")[0]}" cy="${c.split(",")[1]}" r="3" fill="${colour}"/>`);
  }
  return parts.join("\n");
}

/** The scaling curve as a standalone SVG: three log-log panels (time, requests, memory), plan in blue, apply in red. */
export function scalingSvg(points: readonly ScalingPoint[], caption: string): string {
  const width = W * PANELS.length;
  const height = H + 30;
  const body = PANELS.map((p, i) => panel(p, points, i * W)).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    body,
    `<text x="10" y="${height - 8}"><tspan fill="#1f77b4">● plan</tspan>  <tspan fill="#d62728">● apply (rebuild every server)</tspan>  ${escapeXml(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
