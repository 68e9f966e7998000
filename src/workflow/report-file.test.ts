import { describe, expect, it } from "vitest";
import { toApplyReportDocument } from "../render/apply-report.js";
import type { DriftDocument } from "../render/drift.js";
import { toPlanDocument } from "../render/plan-document.js";
import { fixturePlan } from "../render/test-fleet.js";
import { parseShowableText } from "./report-file.js";

const applyReport = toApplyReportDocument({
  startedAt: "2026-11-22T10:00:00.000Z",
  finishedAt: "2026-11-22T10:05:00.000Z",
  results: [
    {
      address: "dc1/web-1",
      id: "s1",
      action: "rebuild",
      result: { type: "converged" },
      steps: ["rebuild"],
      durationMs: 61_500,
    },
    {
      address: "dc1/web-2",
      id: "s2",
      action: "rebuild",
      result: { type: "failed", why: "server ended in ERROR", step: "rebuild", requestId: "req-42" },
      steps: ["rebuild"],
      durationMs: 3_000,
    },
  ],
});

const driftReport: DriftDocument = {
  format_version: "1.0",
  created_at: "2026-11-22T03:17:00.000Z",
  config: { file: "fleet.yaml" },
  summary: { drift: 1, unapplied: 0, "in-sync": 0, unknown: 0 },
  ignore: [],
  servers: [
    {
      address: "dc1/web-1",
      provider: "dc1",
      id: "s1",
      name: "web-1",
      status: "drift",
      reason: "image changed outside reform",
      action: "rebuild",
      fields: [{ path: "image", before: "a", after: "b", sensitive: false }],
      ignored_fields: [],
      unknowns: [],
    },
  ],
};

const text = (value: unknown) => JSON.stringify(value, null, 2);

describe("parseShowableText", () => {
  it("recognizes the apply report (with the extras apply adds) and the drift report, instead of calling them broken plans", () => {
    expect(parseShowableText(text({ ...applyReport, resumed: [] }), "report.json")).toEqual({
      type: "apply-report",
      document: { ...applyReport, resumed: [] },
    });
    expect(parseShowableText(text(driftReport), "drift.json")).toEqual({ type: "drift-report", document: driftReport });
  });

  it("reads a saved plan as a plan", () => {
    const plan = toPlanDocument(fixturePlan());
    expect(parseShowableText(text(plan), "plan.json")).toEqual({ type: "plan", document: plan });
  });

  it("names a damaged report for what it is, with where it is damaged", () => {
    const damaged = { ...driftReport, servers: [{ ...driftReport.servers[0], status: "sideways" }] };
    expect(() => parseShowableText(text(damaged), "drift.json")).toThrow(
      /^drift\.json is a drift report \(`reform drift --output json`\), but not one reform can read \(corrupted or edited by hand\):\n {2}\/servers\/0\/status: must be equal to one of the allowed values/,
    );
    const noWhy = { ...applyReport, results: [{ ...applyReport.results[1], result: { type: "failed" } }] };
    expect(() => parseShowableText(text(noWhy), "report.json")).toThrow(
      /report\.json is an apply report .*\n {2}\/results\/0\/result: must have required property 'why'/,
    );
  });

  it("leaves a broken plan a broken plan: a report's fields alongside `changes` do not make it a report", () => {
    expect(() => parseShowableText(text({ changes: "x", results: [], started_at: "t" }), "plan.json")).toThrow(
      /plan\.json is not a valid reform plan/,
    );
    expect(() => parseShowableText("{", "plan.json")).toThrow(/plan\.json is not a reform plan: invalid JSON/);
  });
});
