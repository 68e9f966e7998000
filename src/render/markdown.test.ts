import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIONS } from "../model/index.js";
import { DEFAULT_MARKDOWN_LENGTH, MARKDOWN_MAX_LENGTH, renderPlanMarkdown } from "./markdown.js";
import type { PlanDocument } from "./plan-document.js";
import { toPlanDocument } from "./plan-document.js";
import { FIXTURE_SECRET, fixturePlan, largeFixturePlan } from "./test-fleet.js";

const doc = toPlanDocument(fixturePlan());

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

/** Every `<details>` closed, every fenced block closed: a truncated comment never breaks the rest of the page. */
function expectWellFormed(out: string): void {
  expect(count(out, /<details>/g)).toBe(count(out, /<\/details>/g));
  expect(count(out, /^```/gm) % 2).toBe(0);
}

/** The truncation notice's figures: shown in full, in one line, not listed. */
function noticeFigures(out: string): { full: number; oneLine: number; omitted: number; total: number } {
  const match =
    /\*\*Truncated\*\* to stay under [\d,]+ characters: (\d+) of (\d+) servers with changes shown in full(?:, (\d+) in one line)?(?:, (\d+) not listed)?/.exec(
      out,
    );
  expect(match).not.toBeNull();
  const [, full, total, oneLine, omitted] = match!;
  return { full: Number(full), total: Number(total), oneLine: Number(oneLine ?? 0), omitted: Number(omitted ?? 0) };
}

describe("renderPlanMarkdown on a 2,000-server plan", () => {
  const big = toPlanDocument(largeFixturePlan(2000));
  const out = renderPlanMarkdown(big);
  const withChanges = big.changes.filter((c) => c.action !== "no-op").length;

  it("stays under GitHub's 65,536-character limit and says it truncated, pointing at the JSON plan", () => {
    expect(out.length).toBeLessThanOrEqual(DEFAULT_MARKDOWN_LENGTH);
    expect(DEFAULT_MARKDOWN_LENGTH).toBeLessThan(MARKDOWN_MAX_LENGTH - 1000);
    expect(out.length).toBeGreaterThan(DEFAULT_MARKDOWN_LENGTH - 2000);
    expect(out).toMatch(/> \[!NOTE\]\n> \*\*Truncated\*\*/);
    expect(out).toContain(
      "The full plan is the JSON plan document (`reform plan --output json`, or `reform show PLANFILE --output json` for a saved plan).",
    );
    expectWellFormed(out);
  });

  it("accounts for every server with changes: in full, in one line, or counted as not listed", () => {
    const figures = noticeFigures(out);
    expect(figures.total).toBe(withChanges);
    expect(figures.full + figures.oneLine + figures.omitted).toBe(withChanges);
    expect(count(out, /^<details><summary>[^\n]*<code>/gm)).toBe(figures.full);
    expect(count(out, /^- [^\n]+`: [a-z-]+/gm)).toBeGreaterThanOrEqual(figures.oneLine);
    expect(figures.full).toBeGreaterThan(10);
    expect(figures.oneLine).toBeGreaterThan(100);
  });

  it("keeps the whole summary: every action's count and the reprovisioned servers, whatever was cut", () => {
    for (const action of ACTIONS) {
      const n = big.summary[action];
      if (n > 0) expect(out).toContain(`| ${action === "no-op" ? "unchanged" : action} | ${n} |`);
    }
    const reprovisioned = big.changes.filter((c) => c.impact === "reprovision").length;
    expect(out).toContain(`| reprovision: root disk wiped and re-created | ${reprovisioned} |`);
    expect(out).toContain(`**${reprovisioned} servers will be REPROVISIONED (root disk wiped and re-created):**`);
    expect(out).toContain(`and ${reprovisioned - 20} more`);
    expect(out).not.toContain(FIXTURE_SECRET);
  });
});

describe("renderPlanMarkdown size budget", () => {
  it("shows everything, with no notice, when it fits", () => {
    const out = renderPlanMarkdown(doc);
    expect(out).not.toContain("Truncated");
    expect(count(out, /^<details><summary>[^\n]*<code>/gm)).toBe(
      doc.changes.filter((c) => c.action !== "no-op").length,
    );
    expect(out).toContain("```diff\n@@ -1,5 +1,6 @@");
  });

  it("names where the full plan is when told", () => {
    const out = renderPlanMarkdown(toPlanDocument(largeFixturePlan(300)), {
      fullPlan: "the `plan.json` artifact of this run",
    });
    expect(out).toContain("> The full plan is the `plan.json` artifact of this run.");
  });

  it("puts a server whose section alone is too long in one line, and goes on with the others", () => {
    const huge =
      "#cloud-config\n" + Array.from({ length: 3000 }, (_, i) => `# line ${i} ${"x".repeat(40)}`).join("\n") + "\n";
    const web1 = doc.changes.find((c) => c.address === "dc1/web-1")!;
    const fields = web1.fields.map((f) => (f.path === "user_data" ? { ...f, after: huge } : f));
    const edited: PlanDocument = { ...doc, changes: doc.changes.map((c) => (c === web1 ? { ...c, fields } : c)) };
    const out = renderPlanMarkdown(edited, { maxLength: 30_000 });
    expect(out.length).toBeLessThanOrEqual(30_000);
    expectWellFormed(out);
    // The diff is capped in the section, so the section may still fit; if not, the server is one line.
    const inFull = out.includes("<code>dc1/web-1</code>");
    if (inFull) expect(out).toMatch(/… \d+ more diff lines not shown/);
    else
      expect(out).toMatch(
        /^- ± `dc1\/web-1`: rebuild, \*\*REPROVISION\*\* \(image, key_pair, user_data, metadata\.role\)$/m,
      );
    expect(out).toContain("<code>jd/vm-1</code>");
  });

  it("caps a long user_data diff at 200 lines", () => {
    const huge = "#cloud-config\n" + Array.from({ length: 1000 }, (_, i) => `# line ${i}`).join("\n") + "\n";
    const web1 = doc.changes.find((c) => c.address === "dc1/web-1")!;
    const fields = web1.fields.map((f) => (f.path === "user_data" ? { ...f, after: huge } : f));
    const out = renderPlanMarkdown({ ...doc, changes: [{ ...web1, fields }] });
    const diff = /```diff\n([\s\S]*?)\n```/.exec(out)![1]!.split("\n");
    expect(diff).toHaveLength(201);
    expect(diff[200]).toMatch(/^… \d+ more diff lines not shown \(the JSON plan has both texts\)$/);
  });

  it("never exceeds the limit, never leaves a tag or fence open, and never loses count of a server (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 3_000, max: 70_000 }), (servers, maxLength) => {
        const plan = toPlanDocument(largeFixturePlan(servers));
        const out = renderPlanMarkdown(plan, { maxLength });
        expect(out.length).toBeLessThanOrEqual(maxLength);
        expectWellFormed(out);
        const withChanges = plan.changes.filter((c) => c.action !== "no-op").length;
        if (out.includes("**Truncated**")) {
          const f = noticeFigures(out);
          expect(f.full + f.oneLine + f.omitted).toBe(withChanges);
        } else {
          expect(count(out, /^<details><summary>[^\n]*<code>/gm)).toBe(withChanges);
        }
      }),
      { numRuns: 40 },
    );
  });
});
