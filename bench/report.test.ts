import { describe, expect, it } from "vitest";
import type { LargeResults } from "./report.js";
import {
  GENERATED_MARKER,
  LARGE_MARKER,
  normalRoute,
  renderLargeReport,
  routes,
  withIntro,
  withLarge,
} from "./report.js";
import { requestsBetween } from "./emulator-host.js";
import { mergePoints, parsePoints, SERIES, seriesOf } from "./scaling.js";
import { scalingSvg } from "./svg.js";
import { median } from "./startup.js";

describe("withIntro", () => {
  it("keeps the hand-written part of the page and replaces everything after the marker", () => {
    const previous = `# Benchmarks\n\nHand-written method.\n\n${GENERATED_MARKER}\n\nold figures\n`;
    const page = withIntro(previous, "new figures\n");
    expect(page).toBe(`# Benchmarks\n\nHand-written method.\n\n${GENERATED_MARKER}\n\nnew figures\n`);
    expect(withIntro(page, "newer figures")).toBe(page.replace("new figures", "newer figures"));
  });

  it("starts a page with a default introduction when there is none", () => {
    const page = withIntro("", "figures");
    expect(page.startsWith("# Benchmarks")).toBe(true);
    expect(page.indexOf(GENERATED_MARKER)).toBeLessThan(page.indexOf("figures"));
  });
});

describe("withLarge", () => {
  const intro = `# Benchmarks\n\nHand-written method.\n\n${GENERATED_MARKER}\n\nfigures\n`;

  it("appends the large-run section after the page and replaces only that section on the next large run", () => {
    const page = withLarge(intro, "large figures\n");
    expect(page).toBe(`${intro}\n${LARGE_MARKER}\n\nlarge figures\n`);
    expect(withLarge(page, "newer large figures")).toBe(page.replace("large figures", "newer large figures"));
  });

  it("survives the regular run: withIntro rewrites the regular figures and keeps the large-run section as it was", () => {
    const page = withLarge(intro, "large figures");
    const rewritten = withIntro(page, "new figures");
    expect(rewritten).toBe(page.replace("\nfigures\n", "\nnew figures\n"));
    expect(rewritten.indexOf("new figures")).toBeLessThan(rewritten.indexOf(LARGE_MARKER));
  });
});

describe("renderLargeReport", () => {
  const plan = {
    servers: 100_000,
    latencyMs: 10,
    wallMs: 5500,
    exitCode: 2,
    requests: 106,
    listRequests: 101,
    byRoute: { "GET /compute/v2.1/servers/detail": 101 },
    maxRssMb: 800,
    plannerUsPerServer: 21.5,
  };
  const results: LargeResults = {
    machine: { date: "2026-12-02", cpus: 2, cpuModel: "cpu", memoryGb: 8, node: "v20", summary: "" },
    loadNote: "",
    totalMs: 1000,
    plan: { figures: plan, load: [9.5, 10.25] },
    clouds: [
      {
        figures: {
          cloud: "jdcloud",
          servers: 100_000,
          latencyMs: 10,
          wallMs: 60_000,
          requests: 11_005,
          byRoute: {},
          maxRssMb: 900,
        },
        load: [3, 4],
      },
    ],
  };

  it("judges each figure against DESIGN §12.6's 100,000-server targets and states the load with each figure", () => {
    const page = renderLargeReport(results);
    expect(page).toContain("| wall time | 5.50 s | ≤ 6 s | met |");
    expect(page).toContain("| API requests | 106 (101 server list pages) | ≤ ceil(N/1000) + 5 = 105 | **missed** |");
    expect(page).toContain("| 21.5 µs/server | ≤ 20 µs | **missed** |");
    expect(page).toContain("| 800 MB | ≤ 1 GB | met |");
    expect(page).toContain("Load 9.5 → 10.3.");
    expect(page).toContain("| JD Cloud VM | 60.00 s | 11,005 | 900 MB | 3.0 → 4.0 |");
    // No run on a fresh emulator in these figures: nothing said about one.
    expect(page).not.toContain("fresh emulator");
  });

  it("says the measured plan is the second on its emulator, and gives the first, where they were measured", () => {
    const page = renderLargeReport({
      ...results,
      plan: { figures: { ...plan, coldWallMs: 9100 }, load: [1, 1] },
      clouds: results.clouds.map((c) => ({ ...c, figures: { ...c.figures, coldWallMs: 70_000 } })),
    });
    expect(page).toContain("| wall time | 5.50 s | ≤ 6 s | met |");
    expect(page).toContain("The first, on the fresh emulator: 9.10 s.");
    expect(page).toContain("On the fresh emulator (jdcloud), the run before: 70.00 s.");
  });
});

describe("requestsBetween", () => {
  it("counts what the emulator served between two snapshots, per route", () => {
    const before = { type: "stats" as const, requests: 10, byRoute: { a: 4, b: 6 }, actions: 0, rss: 0, cpuMicros: 0 };
    const after = {
      type: "stats" as const,
      requests: 25,
      byRoute: { a: 4, b: 9, c: 12 },
      actions: 0,
      rss: 0,
      cpuMicros: 0,
    };
    expect(requestsBetween(before, after)).toEqual({ total: 15, byRoute: { b: 3, c: 12 } });
  });
});

describe("scalingSvg", () => {
  it("draws each series in the panels where it was measured, peers dashed, and escapes the caption", () => {
    const sizes = [100, 1000, 10_000];
    const series = [
      {
        label: "plan",
        colour: "#1f77b4",
        points: sizes.map((n) => ({ servers: n, seconds: n / 5000, requests: 5 + n / 1000, rssMb: 100 + n / 100 })),
      },
      {
        label: "apply",
        colour: "#d62728",
        points: sizes.map((n) => ({ servers: n, seconds: n / 50, requests: n, rssMb: 120 + n / 100 })),
      },
      {
        label: "openstack <server list>",
        colour: "#2ca02c",
        peer: true,
        points: [1000, 10_000].map((n) => ({ servers: n, seconds: n / 500, requests: n / 1000 + 3 })),
      },
    ];
    const svg = scalingSvg(series, "<load> & more");
    // plan and apply in all three panels, the peer in two (no RSS measured)
    expect(svg.match(/<polyline /g)).toHaveLength(8);
    expect(svg.match(/<circle /g)).toHaveLength(3 * 3 + 3 * 3 + 2 * 2);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain("&lt;load&gt; &amp; more");
    expect(svg).toContain("openstack &lt;server list&gt;");
    expect(svg).not.toMatch(/NaN|Infinity/);
  });
});

describe("median", () => {
  it("is the middle value, or the mean of the two middle ones, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 4, 3])).toBe(3.5);
    expect(() => median([])).toThrow();
  });
});

describe("mergePoints", () => {
  it("replaces the points of the same series and size, keeps the others, and orders sizes", () => {
    const kept = {
      plan: [
        { servers: 100, seconds: 1 },
        { servers: 100_000, seconds: 50 },
      ],
      openstackclient: [{ servers: 100_000, seconds: 200 }],
    };
    const merged = mergePoints(kept, {
      plan: [
        { servers: 10_000, seconds: 8 },
        { servers: 100, seconds: 2 },
      ],
    });
    expect(merged.plan).toEqual([
      { servers: 100, seconds: 2 },
      { servers: 10_000, seconds: 8 },
      { servers: 100_000, seconds: 50 },
    ]);
    expect(merged.openstackclient).toEqual(kept.openstackclient);
    expect(seriesOf(merged).map((s) => s.label)).toEqual([SERIES.plan.label, SERIES.openstackclient.label]);
    expect(parsePoints("not json")).toEqual({});
    expect(parsePoints(JSON.stringify(merged))).toEqual(merged);
  });
});

describe("routes", () => {
  it("shows routes normalised: key pair names and Huawei's project id become placeholders, counts merge", () => {
    expect(
      routes({
        "GET /compute/v2.1/os-keypairs/ops-2025": 1,
        "GET /compute/v2.1/os-keypairs/ops-2026": 2,
        "GET /huaweicloud/v1/{id}/cloudservers/detail": 100,
        "GET /compute/v2.1/servers/{id}/os-instance-actions/{request-id}": 10000,
      }),
    ).toBe(
      "`GET /compute/v2.1/os-keypairs/{name}` 3, `GET /huaweicloud/v1/{project_id}/cloudservers/detail` 100, `GET /compute/v2.1/servers/{id}/os-instance-actions/{request-id}` 10,000",
    );
    expect(normalRoute("GET /compute/v2.1/servers/detail")).toBe("GET /compute/v2.1/servers/detail");
  });
});
