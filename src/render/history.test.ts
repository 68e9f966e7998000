import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../model/history.js";
import { historyOfServer, renderHistoryText, toHistoryDocument } from "./history.js";

const finished: HistoryEntry = {
  id: "a1",
  identity: {
    kind: "github",
    runId: "42",
    repository: "octo/fleet",
    url: "https://github.com/octo/fleet/actions/runs/42",
    user: "runner",
    host: "runner-7",
    commit: "abc123",
  },
  scope: ["dc1"],
  planDigest: "sha256:ff",
  reformVersion: "0.1.0",
  startedAt: "2026-12-01T10:00:00.000Z",
  finishedAt: "2026-12-01T10:05:00.000Z",
  outcome: "failed",
  servers: [
    {
      address: "dc1/web-1",
      id: "i-1",
      action: "rebuild",
      steps: ["rebuild"],
      result: "converged",
      requestIds: ["req-1"],
      jobIds: [],
    },
    {
      address: "dc1/web-2",
      id: "i-2",
      action: "rebuild",
      steps: ["stop", "rebuild"],
      result: "failed",
      why: "rebuild failed: no valid host",
      requestIds: ["req-2", "req-3"],
      jobIds: ["job-9"],
    },
  ],
};
const killed: HistoryEntry = {
  id: "a0",
  identity: { kind: "local", user: "alice", host: "laptop" },
  scope: ["dc1", "dc2"],
  planDigest: "sha256:ee",
  reformVersion: "0.1.0",
  startedAt: "2026-12-01T09:00:00.000Z",
  servers: [],
};

describe("reform history's rendering", () => {
  it("says who, when, which commit and plan, then each server with the cloud's ids", () => {
    expect(renderHistoryText([finished, killed])).toBe(
      [
        "Apply a1  2026-12-01T10:00:00.000Z → 2026-12-01T10:05:00.000Z  failed",
        "  by GitHub Actions run 42 (octo/fleet) on runner-7 https://github.com/octo/fleet/actions/runs/42",
        "  commit abc123 · plan sha256:ff · reform 0.1.0 · providers dc1",
        "    dc1/web-1  rebuild: rebuild  converged  (request req-1)",
        "    dc1/web-2  rebuild: stop → rebuild  failed: rebuild failed: no valid host  (request req-2, request req-3, job job-9)",
        "",
        "Apply a0  2026-12-01T09:00:00.000Z → no end recorded (killed, or its database connection was lost; a later apply followed what it left)",
        "  by alice@laptop",
        "  commit unknown · plan sha256:ee · reform 0.1.0 · providers dc1, dc2",
        "  (no server changed)",
        "",
      ].join("\n"),
    );
    expect(renderHistoryText([])).toBe("No applies recorded in that time.\n");
  });

  it("keeps, for --server, the applies that touched it and only its lines", () => {
    expect(historyOfServer([finished, killed], "dc1/web-2")).toEqual([{ ...finished, servers: [finished.servers[1]] }]);
    expect(historyOfServer([finished], "dc1/web-9")).toEqual([]);
  });

  it("writes the JSON document in snake_case, optional fields left out", () => {
    const doc = toHistoryDocument([killed]) as { applies: Record<string, unknown>[] };
    expect(doc.applies[0]).toEqual({
      id: "a0",
      identity: { kind: "local", user: "alice", host: "laptop" },
      plan_digest: "sha256:ee",
      reform_version: "0.1.0",
      providers: ["dc1", "dc2"],
      started_at: "2026-12-01T09:00:00.000Z",
      servers: [],
    });
  });
});
