import type { HistoryEntry, HistoryServer } from "../model/history.js";
import { describeIdentity } from "../model/history.js";

/** Past applies, newest first, one block each: who, when, which commit and plan, then each server's result with the cloud's ids. */
export function renderHistoryText(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return "No applies recorded in that time.\n";
  return entries.map(renderEntry).join("\n");
}

function renderEntry(entry: HistoryEntry): string {
  const end = entry.finishedAt
    ? `→ ${entry.finishedAt}  ${entry.outcome ?? ""}`
    : "→ no end recorded (killed, or its database connection was lost; a later apply followed what it left)";
  const head = [
    `Apply ${entry.id}  ${entry.startedAt} ${end}`.trimEnd(),
    `  by ${describeIdentity(entry.identity)}${entry.identity.url ? ` ${entry.identity.url}` : ""}`,
    `  commit ${entry.identity.commit ?? "unknown"} · plan ${entry.planDigest} · reform ${entry.reformVersion} · providers ${entry.scope.join(", ")}`,
  ];
  const servers = entry.servers.length === 0 ? ["  (no server changed)"] : entry.servers.map(renderServer);
  return `${[...head, ...servers].join("\n")}\n`;
}

function renderServer(s: HistoryServer): string {
  const what = s.resumedFrom
    ? `${(s.steps ?? []).join(" → ")} (started by interrupted run ${s.resumedFrom})`
    : [s.action, (s.steps ?? []).join(" → ")].filter((x) => x).join(": ");
  const ids = [...s.requestIds.map((id) => `request ${id}`), ...s.jobIds.map((id) => `job ${id}`)].join(", ");
  return `    ${s.address}  ${what}  ${s.result}${s.why ? `: ${s.why}` : ""}${ids ? `  (${ids})` : ""}`;
}

/** The JSON document of `reform history --output json`: `{ "applies": [...] }`, snake_case like reform's other documents. */
export function toHistoryDocument(entries: readonly HistoryEntry[]): unknown {
  return {
    applies: entries.map((e) => ({
      id: e.id,
      identity: {
        kind: e.identity.kind,
        user: e.identity.user,
        host: e.identity.host,
        ...(e.identity.runId ? { run_id: e.identity.runId } : {}),
        ...(e.identity.repository ? { repository: e.identity.repository } : {}),
        ...(e.identity.url ? { url: e.identity.url } : {}),
      },
      ...(e.identity.commit ? { commit: e.identity.commit } : {}),
      plan_digest: e.planDigest,
      reform_version: e.reformVersion,
      providers: e.scope,
      started_at: e.startedAt,
      ...(e.finishedAt ? { finished_at: e.finishedAt } : {}),
      ...(e.outcome ? { outcome: e.outcome } : {}),
      servers: e.servers.map((s) => ({
        address: s.address,
        ...(s.id ? { id: s.id } : {}),
        ...(s.action ? { action: s.action } : {}),
        ...(s.steps ? { steps: s.steps } : {}),
        result: s.result,
        ...(s.why ? { why: s.why } : {}),
        ...(s.resumedFrom ? { resumed_from_run: s.resumedFrom } : {}),
        request_ids: s.requestIds,
        job_ids: s.jobIds,
      })),
    })),
  };
}

/** The applies that touched `address`, each with only that server's lines. */
export function historyOfServer(entries: readonly HistoryEntry[], address: string): HistoryEntry[] {
  return entries.flatMap((e) => {
    const servers = e.servers.filter((s) => s.address === address);
    return servers.length > 0 ? [{ ...e, servers }] : [];
  });
}
