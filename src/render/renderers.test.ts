import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT, REDACTED } from "../model/index.js";
import type { ApplyReport } from "../model/report.js";
import { renderApplyReportText, toApplyReportDocument } from "./apply-report.js";
import { renderPlanJson } from "./json.js";
import type { PlanDocument } from "./plan-document.js";
import { toPlanDocument } from "./plan-document.js";
import { planFleet } from "../plan/plan-fleet.js";
import { IMAGES, desired, input, observed } from "../plan/test-builders.js";
import { renderPlanMarkdown } from "./markdown.js";
import type { StepDocument } from "./step-document.js";
import { stepFromDocument } from "./step-document.js";
import { fixturePlan } from "./test-fleet.js";
import { renderPlanText } from "./text.js";
import { userDataDiff } from "./user-data-diff.js";

const doc = toPlanDocument(fixturePlan());

describe("renderPlanText", () => {
  it("says there is nothing to do", () => {
    const empty: PlanDocument = {
      ...doc,
      changes: [],
      summary: { ...doc.summary, ...Object.fromEntries(Object.keys(doc.summary).map((k) => [k, 0])) },
      applyable: true,
    };
    expect(renderPlanText(empty, { color: false, width: 100 })).toBe(
      "No changes. Your servers match the configuration.",
    );
  });

  it("paints reprovisioning red and bold, and only with colour on", () => {
    const coloured = renderPlanText(doc, { color: true, width: 100 });
    expect(coloured).toContain(
      "\u001b[1m\u001b[31m  # dc1/web-1 will be rebuilt in place (REPROVISION: root disk re-created)",
    );
    expect(renderPlanText(doc, { color: false, width: 100 })).not.toContain("\u001b[");
  });

  it("says a volume-backed server's root volume is re-imaged and its data lost, in text, markdown and JSON", () => {
    const volume = input(
      { ...desired({ image: { name: IMAGES.noble.name } }, "db-1"), address: "dc1/db-1" },
      observed({ id: "dc1-db-1", name: "db-1", bootVolume: { id: "vol-root" } }),
    );
    const plan = toPlanDocument(
      planFleet({
        inputs: [volume],
        createdAt: "2026-11-22T10:00:00.000Z",
        configFile: "/work/fleet.yaml",
        configSha256: "0".repeat(64),
        rollout: { web: DEFAULT_ROLLOUT },
      }),
    );
    expect(plan.changes[0]?.steps[0]).toMatchObject({
      kind: "rebuild",
      impact: "reprovision",
      params: { root_volume_id: "vol-root" },
    });
    const text = renderPlanText(plan, { color: false, width: 200 });
    expect(text).toContain(
      "# dc1/db-1 will be rebuilt in place (REPROVISION: root volume re-imaged; its data is lost)",
    );
    expect(text).toContain("downtime: yes (reprovision: root volume re-imaged; its data is lost)");
    expect(renderPlanMarkdown(plan)).toContain("<b>rebuild: REPROVISION (root volume re-imaged; its data is lost)</b>");
    const step = stepFromDocument(plan.changes[0]?.steps[0] as StepDocument);
    expect(step.kind === "rebuild" && step.params.rootVolumeId).toBe("vol-root");
  });

  it("wraps reasons to the width", () => {
    const lines = renderPlanText(doc, { color: false, width: 60 })
      .split("\n")
      .filter((l) => l.includes("reason:"));
    expect(lines.every((l) => l.length <= 60 || !l.slice(0, 60).includes(" "))).toBe(true);
  });
});

describe("userDataDiff", () => {
  it("is a unified line diff of the two texts", () => {
    expect(userDataDiff("a\nb\nc\n", "a\nB\nc\n", { sensitive: false })).toBe("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c");
  });

  it("diffs from and to no user_data", () => {
    expect(userDataDiff(null, "x\n", { sensitive: false })).toBe("@@ -0,0 +1,1 @@\n+x");
    expect(userDataDiff("x\n", null, { sensitive: false })).toBe("@@ -1,1 +0,0 @@\n-x");
  });

  it("is only the marker when sensitive", () => {
    expect(userDataDiff("secret-a\n", "secret-b\n", { sensitive: true })).toBe(REDACTED);
  });
});

describe("renderPlanJson", () => {
  it("sorts keys at every level, whatever the insertion order", () => {
    const reversed = JSON.parse(JSON.stringify(doc, Object.keys(doc).reverse())) as PlanDocument;
    expect(renderPlanJson({ ...reversed, ...doc })).toBe(renderPlanJson(doc));
  });
});

describe("apply report", () => {
  const report: ApplyReport = {
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
        result: { type: "failed", why: "server ended in ERROR: No valid host", step: "rebuild", requestId: "req-42" },
        steps: ["rebuild"],
        durationMs: 3_000,
      },
      {
        address: "dc1/web-3",
        id: "s3",
        action: "reboot",
        result: { type: "skipped", why: "changed since the plan" },
        steps: [],
        durationMs: 0,
      },
    ],
  };

  it("renders one line per server and the totals", () => {
    expect(renderApplyReportText(report, { color: false })).toBe(
      [
        "✓ dc1/web-1: converged (rebuild [rebuild], 61.5s)",
        "✗ dc1/web-2: failed during rebuild: server ended in ERROR: No valid host [request req-42] (rebuild [rebuild], 3.0s)",
        "- dc1/web-3: skipped: changed since the plan",
        "Apply: 1 converged, 1 failed, 1 skipped.",
      ].join("\n"),
    );
  });

  it("names a request id once, also when the cloud's message already carries it", () => {
    const why =
      "dc1/web-2 (rebuild): dc1: POST /servers/{id}/action rebuild failed 400 badRequest: Invalid key_name provided. [request req-7]";
    const text = renderApplyReportText(
      {
        ...report,
        results: [{ ...report.results[1]!, result: { type: "failed", why, step: "rebuild", requestId: "req-7" } }],
      },
      { color: false },
    );
    expect(text.match(/req-7/g)).toHaveLength(1);
    expect(text).toContain(`failed during rebuild: ${why} (rebuild [rebuild], 3.0s)`);
  });

  it("maps to a snake_case document with a summary", () => {
    const d = toApplyReportDocument(report);
    expect(d.summary).toEqual({ converged: 1, failed: 1, skipped: 1 });
    expect(d.results[1]).toEqual({
      address: "dc1/web-2",
      id: "s2",
      action: "rebuild",
      result: { type: "failed", why: "server ended in ERROR: No valid host", step: "rebuild", request_id: "req-42" },
      steps: ["rebuild"],
      duration_ms: 3000,
    });
  });
});

describe("a plan over its reprovision limit", () => {
  const over = toPlanDocument(
    planFleet({
      inputs: ["web-1", "web-2"].map((name, i) =>
        input(desired({ image: { name: IMAGES.noble.name } }, name), observed({ id: `srv-${i}`, name })),
      ),
      createdAt: "2026-11-22T10:00:00.000Z",
      configFile: "/fleet.yaml",
      configSha256: "0".repeat(64),
      rollout: { web: DEFAULT_ROLLOUT },
      reprovisionLimit: { limit: 1, source: "--max-reprovisions" },
    }),
  );

  it("text: each server says it is blocked, the footer says why the plan is refused", () => {
    const text = renderPlanText(over, { color: false, width: 200 });
    expect(text).toContain(
      "      blocked by limits.reprovision: the plan reprovisions 2 servers, over the limit of 1 (--max-reprovisions): dc1/web-1, dc1/web-2",
    );
    expect(text.split("\n").slice(-2)).toEqual([
      "Refused: the plan reprovisions 2 servers, over the limit of 1 (--max-reprovisions): dc1/web-1, dc1/web-2.",
      "The plan is refused: it is shown, but it cannot be applied.",
    ]);
  });

  it("markdown: a caution with the count, the limit and the servers, and the block in each section", () => {
    const markdown = renderPlanMarkdown(over);
    expect(markdown).toContain(
      "> **The plan is refused: it cannot be applied.** Over the limit: the plan reprovisions 2 servers, over the limit of 1 (--max-reprovisions): dc1/web-1, dc1/web-2.",
    );
    expect(markdown.match(/\*\*Blocked by `limits\.reprovision`:\*\*/g)).toHaveLength(2);
  });
});
