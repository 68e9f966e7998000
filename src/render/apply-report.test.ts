import { describe, expect, it } from "vitest";
import type { ApplyReport } from "../model/report.js";
import { fromApplyReportDocument, renderApplyReportText, toApplyReportDocument } from "./apply-report.js";

const REASON = "maxUnhealthy 1 reached in group web (1 server failed or went unhealthy): dc1/web-1 converged, but …";
const report: ApplyReport = {
  startedAt: "2026-12-01T10:00:00.000Z",
  finishedAt: "2026-12-01T10:01:00.000Z",
  results: [
    {
      address: "dc1/web-1",
      id: "s1",
      action: "rebuild",
      steps: ["rebuild"],
      durationMs: 4200,
      result: {
        type: "rolled-back",
        why: REASON,
        forward: "failed: converged, but readiness gate … did not pass",
        steps: ["rebuild"],
        notRestored: ["user_data: it could not be read before this run (admins only), so the rollback sent none"],
      },
    },
    {
      address: "dc1/web-2",
      id: "s2",
      action: "rebuild",
      steps: ["rebuild"],
      durationMs: 100,
      result: {
        type: "failed",
        why: `rollback failed: rebuild failed: No valid host; before it: converged; rollback triggered by: ${REASON}`,
        step: "rebuild",
        requestId: "req-1",
      },
    },
    {
      address: "dc1/web-3",
      id: "s3",
      action: "rebuild",
      steps: [],
      durationMs: 0,
      result: { type: "skipped", why: "not started" },
    },
  ],
  rollback: { reason: REASON, run: "r1", rolledBack: ["dc1/web-1"], notRolledBack: ["dc1/web-2"] },
};

describe("the apply report with a rollback", () => {
  it("text: `rolled back` per server with what was not restored, the reason once, and the count in the summary", () => {
    const text = renderApplyReportText(report, { color: false });
    expect(text.split("\n")).toEqual([
      "↩ dc1/web-1: rolled back [rebuild] (4.2s); before it: failed: converged, but readiness gate … did not pass",
      "    not restored: user_data: it could not be read before this run (admins only), so the rollback sent none",
      `✗ dc1/web-2: failed during rebuild: rollback failed: rebuild failed: No valid host; before it: converged; rollback triggered by: ${REASON} [request req-1] (rebuild [rebuild], 0.1s)`,
      "- dc1/web-3: skipped: not started",
      `Rolled back: ${REASON}`,
      "Apply: 0 converged, 1 failed, 1 skipped, 1 rolled back.",
    ]);
  });

  it("JSON: the rolled-back result's fields and the rollback section, read back by `reform show` as they were", () => {
    const doc = toApplyReportDocument(report);
    expect(doc.summary).toEqual({ converged: 0, failed: 1, skipped: 1, rolled_back: 1 });
    expect(doc.rollback).toEqual({
      reason: REASON,
      run: "r1",
      rolled_back: ["dc1/web-1"],
      not_rolled_back: ["dc1/web-2"],
    });
    expect(doc.results[0]?.result).toEqual({
      type: "rolled-back",
      why: REASON,
      forward: "failed: converged, but readiness gate … did not pass",
      rollback_steps: ["rebuild"],
      not_restored: ["user_data: it could not be read before this run (admins only), so the rollback sent none"],
    });
    const back = fromApplyReportDocument(JSON.parse(JSON.stringify(doc)) as typeof doc);
    expect(back.rollback).toEqual(report.rollback);
    expect(back.results[0]?.result).toEqual(report.results[0]?.result);
  });

  it("a report without a rollback keeps its summary as before (no rolled_back count)", () => {
    const { rollback: _r, ...plain } = report;
    const doc = toApplyReportDocument({ ...plain, results: plain.results.slice(2) });
    expect(doc.summary).toEqual({ converged: 0, failed: 0, skipped: 1 });
    expect("rollback" in doc).toBe(false);
  });
});
