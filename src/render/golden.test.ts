import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderPlanMarkdown } from "./markdown.js";
import { toPlanDocument } from "./plan-document.js";
import { fixturePlan } from "./test-fleet.js";
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

  it("markdown", () => {
    golden("plan.md", renderPlanMarkdown(doc));
  });
});
