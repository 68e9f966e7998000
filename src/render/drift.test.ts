import { describe, expect, it } from "vitest";
import type { DriftReport } from "../model/drift.js";
import type { DriftDocument, DriftEntryDocument } from "./drift.js";
import { renderDriftMarkdown, renderDriftText, toDriftDocument } from "./drift.js";
import { DEFAULT_MARKDOWN_LENGTH } from "./markdown.js";

function entry(i: number, status: DriftEntryDocument["status"]): DriftEntryDocument {
  return {
    address: `dc1/web-${String(i).padStart(4, "0")}`,
    provider: "dc1",
    id: `id-${i}`,
    name: `web-${i}`,
    status,
    reason:
      status === "drift"
        ? "reform converged this server to the current configuration; since then image, user_data changed outside reform"
        : "matches",
    action: status === "drift" ? "rebuild" : "no-op",
    fields: [
      { path: "image", before: "ubuntu-22.04", after: "ubuntu-24.04", sensitive: false },
      { path: "user_data", before: "(sensitive)", after: "(sensitive)", sensitive: true },
    ],
    ignored_fields: ["metadata.last-backup"],
    unknowns: [],
  };
}

function report(n: number): DriftDocument {
  const servers = Array.from({ length: n }, (_, i) => entry(i, i % 3 === 0 ? "in-sync" : "drift"));
  const drift = servers.filter((s) => s.status === "drift").length;
  return {
    format_version: "1.0",
    created_at: "2026-11-22T10:00:00.000Z",
    config: { file: "/work/fleet.yaml" },
    summary: { drift, unapplied: 0, "in-sync": n - drift, unknown: 0 },
    ignore: ["metadata.last-backup"],
    servers,
  };
}

describe("renderDriftMarkdown", () => {
  it("a 3,000-server report stays under the budget, keeps the counts and says how many servers it left out", () => {
    const doc = report(3000);
    const out = renderDriftMarkdown(doc);
    expect(out.length).toBeLessThanOrEqual(DEFAULT_MARKDOWN_LENGTH);
    expect(out).toContain(`| drift | ${doc.summary.drift} |`);
    const shown = (out.match(/<details>/g) ?? []).length;
    expect((out.match(/<\/details>/g) ?? []).length).toBe(shown);
    expect(out).toContain(
      `_… ${doc.summary.drift - shown} more servers not shown (comment size limit); run \`reform drift --output json\` for the full report._`,
    );
  });

  it("lists drifted servers with live → configuration values, sensitive ones as the marker, and the ignore list", () => {
    const out = renderDriftMarkdown(report(3));
    expect(out).toContain("Ignored: `metadata.last-backup`");
    expect(out).toContain('| `image` | `"ubuntu-22.04"` | `"ubuntu-24.04"` |');
    expect(out).toContain("| `user_data` | `(sensitive)` | `(sensitive)` |");
    expect(out).toContain("`reform plan` would: **rebuild**");
    expect(out).not.toContain("<code>dc1/web-0000</code>");
  });

  it("text: drifted servers first, in-sync ones only counted", () => {
    const out = renderDriftText(report(3), { color: false });
    expect(out).toMatch(/^Drift: changed outside reform since the last apply\n\n {2}dc1\/web-0001 \(id id-1\)/);
    expect(out).toContain("~ user_data: (sensitive)");
    expect(out).not.toContain("web-0000");
    expect(out.trimEnd().split("\n").at(-1)).toBe("Drift: 2 drifted, 0 unapplied, 1 in sync, 0 unknown.");
  });
});

describe("toDriftDocument", () => {
  it("maps a drift report to the wire: snake_case paths, sensitive values replaced by the marker as in the plan document", () => {
    const secret = "#!/bin/sh\necho top-secret\n";
    const report: DriftReport = {
      createdAt: "2026-11-22T10:00:00.000Z",
      configFile: "/work/fleet.yaml",
      summary: { drift: 1, unapplied: 0, "in-sync": 0, unknown: 0 },
      ignore: ["metadata.last-backup"],
      warnings: [],
      entries: [
        {
          address: "dc1/web-1",
          provider: "dc1",
          id: "id-1",
          name: "web-1",
          status: "drift",
          reason: "changed outside reform",
          action: "rebuild",
          fields: [
            { path: "keyPair", before: "ops-1", after: "ops-2", sensitive: false },
            { path: "userData", before: secret, after: "#!/bin/sh\n", sensitive: true },
          ],
          ignoredFields: ["metadata.last-backup"],
          unknowns: [{ field: "userData", reason: "not returned" }],
        },
      ],
    };
    const doc = toDriftDocument(report);
    const { fields, ignored_fields, unknowns, ...server } = doc.servers[0]!;
    expect(server).toEqual({
      address: "dc1/web-1",
      provider: "dc1",
      id: "id-1",
      name: "web-1",
      status: "drift",
      reason: "changed outside reform",
      action: "rebuild",
    });
    expect(fields).toEqual([
      { path: "key_pair", before: "ops-1", after: "ops-2", sensitive: false },
      { path: "user_data", before: "(sensitive)", after: "(sensitive)", sensitive: true },
    ]);
    expect([ignored_fields, unknowns]).toEqual([
      ["metadata.last-backup"],
      [{ field: "user_data", reason: "not returned" }],
    ]);
    expect(JSON.stringify(doc)).not.toContain("top-secret");
  });
});
