import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ACTIONS } from "../model/index.js";
import type { Impact } from "../model/index.js";
import { renderPlanMarkdown } from "./markdown.js";
import { toPlanDocument } from "./plan-document.js";
import { FIXTURE_SECRET, fixturePlan } from "./test-fleet.js";
import { renderPlanText } from "./text.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "test", "fixtures", "render");

/** Compares in full with the golden file; REFORM_UPDATE_GOLDEN=1 rewrites it (then read the diff by eye). */
function golden(name: string, actual: string): void {
  const path = join(FIXTURES, name);
  if (process.env.REFORM_UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("golden renderings of a fleet that mixes every action", () => {
  const doc = toPlanDocument(fixturePlan());

  it("text, no colour, width 100", () => {
    golden("plan.txt", `${renderPlanText(doc, { color: false, width: 100 })}\n`);
  });

  it("text with -v: the cheaper actions considered", () => {
    golden("plan-verbose.txt", `${renderPlanText(doc, { color: false, width: 100, verbose: true })}\n`);
  });

  it("markdown", () => {
    golden("plan.md", renderPlanMarkdown(doc));
  });

  it("the fixture really mixes every action, impact, step kind, unknown and sensitive value", () => {
    for (const action of ACTIONS) expect(doc.summary[action], action).toBeGreaterThan(0);
    for (const impact of ["none", "reboot", "reprovision"] satisfies Impact[])
      expect(
        doc.changes.some((c) => c.impact === impact),
        impact,
      ).toBe(true);
    const kinds = new Set(doc.changes.flatMap((c) => c.steps.map((s) => s.kind)));
    expect([...kinds].sort()).toEqual([
      "changeos",
      "reboot",
      "rebuild",
      "reinstall",
      "start",
      "stop",
      "update-metadata",
    ]);
    expect(doc.changes.some((c) => c.action !== "no-op" && c.unknowns.length > 0)).toBe(true);
    expect(doc.changes.some((c) => c.action === "no-op" && c.unknowns.length > 0)).toBe(true);
    expect(doc.changes.some((c) => c.fields.some((f) => f.sensitive))).toBe(true);
    const paths = new Set(doc.changes.flatMap((c) => c.fields.map((f) => f.path.replace(/^metadata\..*/, "metadata"))));
    expect([...paths].sort()).toEqual(["image", "key_pair", "metadata", "power", "reboot", "user_data"]);
  });

  it("keeps the sensitive user_data out of both golden files", () => {
    for (const name of ["plan.txt", "plan-verbose.txt", "plan.md"]) {
      const text = readFileSync(join(FIXTURES, name), "utf8");
      expect(text).not.toContain(FIXTURE_SECRET);
      expect(text).toContain("(sensitive)");
    }
  });
});
