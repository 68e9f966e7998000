import { describe, expect, it } from "vitest";
import { GENERATED_MARKER, withIntro } from "./report.js";
import { requestsBetween } from "./emulator-host.js";
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

describe("requestsBetween", () => {
  it("counts what the emulator served between two snapshots, per route", () => {
    const before = { type: "stats" as const, requests: 10, byRoute: { a: 4, b: 6 }, actions: 0, rss: 0 };
    const after = { type: "stats" as const, requests: 25, byRoute: { a: 4, b: 9, c: 12 }, actions: 0, rss: 0 };
    expect(requestsBetween(before, after)).toEqual({ total: 15, byRoute: { b: 3, c: 12 } });
  });
});

describe("scalingSvg", () => {
  it("draws one point per size for plan and apply in each of the three panels, and escapes the caption", () => {
    const points = [100, 1000, 10_000].map((n) => ({ servers: n, planSeconds: n / 5000, planRequests: 5 + n / 1000, planRssMb: 100 + n / 100, applySeconds: n / 50, applyRequests: n, applyRssMb: 120 + n / 100 }));
    const svg = scalingSvg(points, "<load> & more");
    expect(svg.match(/<polyline /g)).toHaveLength(6);
    expect(svg.match(/<circle /g)).toHaveLength(18);
    expect(svg).toContain("&lt;load&gt; &amp; more");
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
