import pc from "picocolors";
import type { ServerRef } from "../model/change.js";
import type { DriftEntry, DriftReport, DriftStatus } from "../model/drift.js";
import { DRIFT_STATUSES } from "../model/drift.js";
import { fieldLine, formatValue } from "./format.js";
import { DEFAULT_MARKDOWN_LENGTH } from "./markdown.js";
import type { FieldDocument } from "./plan-document.js";
import { fieldDocument, fieldPathToDocument } from "./plan-document.js";

export const DRIFT_FORMAT_VERSION = "1.0";

export interface DriftEntryDocument extends ServerRef {
  readonly status: DriftStatus;
  readonly reason: string;
  /** What `reform plan` would do now. */
  readonly action: string;
  /** Live (before) → configuration (after); sensitive values replaced by the marker. */
  readonly fields: readonly FieldDocument[];
  readonly ignored_fields: readonly string[];
  readonly unknowns: readonly { readonly field: string; readonly reason: string }[];
}

/** The JSON drift report: versioned, snake_case, secrets replaced, like the plan document. */
export interface DriftDocument {
  readonly format_version: typeof DRIFT_FORMAT_VERSION;
  readonly created_at: string;
  readonly config: { readonly file: string };
  readonly summary: Readonly<Record<DriftStatus, number>>;
  readonly ignore: readonly string[];
  readonly servers: readonly DriftEntryDocument[];
}

/** The versioned JSON document every drift output renders (sensitive values replaced as in the plan document). */
export function toDriftDocument(report: DriftReport): DriftDocument {
  return {
    format_version: DRIFT_FORMAT_VERSION,
    created_at: report.createdAt,
    config: { file: report.configFile },
    summary: { ...report.summary },
    ignore: [...report.ignore],
    servers: report.entries.map(entryDocument),
  };
}

function entryDocument(e: DriftEntry): DriftEntryDocument {
  return {
    address: e.address,
    provider: e.provider,
    id: e.id,
    name: e.name,
    status: e.status,
    reason: e.reason,
    action: e.action,
    fields: e.fields.map(fieldDocument),
    ignored_fields: e.ignoredFields.map(fieldPathToDocument),
    unknowns: e.unknowns.map((u) => ({ field: fieldPathToDocument(u.field), reason: u.reason })),
  };
}

export function renderDriftJson(doc: DriftDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const HEADINGS: Readonly<Record<DriftStatus, string>> = {
  drift: "Drift: changed outside reform since the last apply",
  unapplied: "Unapplied: the configuration changed, the server still matches the last apply",
  unknown: "Unknown: never applied by reform",
  "in-sync": "In sync",
};

/** `Drift: 1 drifted, 2 unapplied, 3 in sync, 1 unknown.` */
export function driftSummaryLine(summary: Readonly<Record<DriftStatus, number>>): string {
  if (summary.drift === 0 && summary.unapplied === 0) {
    const unknown = summary.unknown > 0 ? ` (${summary.unknown} never applied by reform)` : "";
    return `No drift. ${summary["in-sync"]} server${summary["in-sync"] === 1 ? "" : "s"} in sync${unknown}.`;
  }
  return `Drift: ${summary.drift} drifted, ${summary.unapplied} unapplied, ${summary["in-sync"]} in sync, ${summary.unknown} unknown.`;
}

/** A terminal report: drifted servers first with their fields, then unapplied, then unknown; in-sync servers are counted only. */
export function renderDriftText(doc: DriftDocument, options: { readonly color: boolean }): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  for (const status of DRIFT_STATUSES) {
    if (status === "in-sync") continue;
    const servers = doc.servers.filter((s) => s.status === status);
    if (servers.length === 0) continue;
    const title = status === "drift" ? c.bold(c.red(HEADINGS[status])) : c.yellow(HEADINGS[status]);
    out.push(title, "");
    for (const s of servers) out.push(...entryLines(s), "");
  }
  if (doc.ignore.length > 0) out.push(c.dim(`Ignored: ${doc.ignore.join(", ")}`));
  out.push(c.bold(driftSummaryLine(doc.summary)));
  return `${out.join("\n")}\n`;
}

function entryLines(s: DriftEntryDocument): string[] {
  const lines = [`  ${s.address} (id ${s.id || "(none)"}): ${s.reason}`];
  for (const f of s.fields) lines.push(`      ${fieldLine(f)}`);
  if (s.ignored_fields.length > 0) lines.push(`      (ignored: ${s.ignored_fields.join(", ")})`);
  if (s.status !== "in-sync" && s.action !== "no-op") lines.push(`      plan: ${s.action}`);
  return lines;
}

const NOTICE_RESERVE = 160;

/** For an issue or a chat message: summary table, then one collapsible section per server to look at; under `maxLength`. */
export function renderDriftMarkdown(doc: DriftDocument, options: { readonly maxLength?: number } = {}): string {
  const maxLength = options.maxLength ?? DEFAULT_MARKDOWN_LENGTH;
  const rows = DRIFT_STATUSES.map((s) => `| ${s} | ${doc.summary[s]} |`);
  let out = [
    "## reform drift",
    "",
    `**${driftSummaryLine(doc.summary)}**`,
    "",
    "| Status | Servers |",
    "|---|---:|",
    ...rows,
    "",
  ].join("\n");
  if (doc.ignore.length > 0) out += `\nIgnored: ${doc.ignore.map(code).join(", ")}\n`;
  out += "\n";
  const listed = doc.servers.filter((s) => s.status !== "in-sync").sort((a, b) => rank(a.status) - rank(b.status));
  let shown = 0;
  for (const s of listed) {
    const text = markdownSection(s);
    if (out.length + text.length + NOTICE_RESERVE > maxLength) break;
    out += text;
    shown += 1;
  }
  const hidden = listed.length - shown;
  if (hidden > 0)
    out += `\n_… ${hidden} more server${hidden === 1 ? "" : "s"} not shown (comment size limit); run \`reform drift --output json\` for the full report._\n`;
  return out;
}

function rank(status: DriftStatus): number {
  return DRIFT_STATUSES.indexOf(status);
}

function markdownSection(s: DriftEntryDocument): string {
  const lines = [
    `<details><summary><b>${s.status}</b> <code>${html(s.address)}</code></summary>`,
    "",
    `${html(s.reason)}`,
    "",
  ];
  if (s.fields.length > 0) {
    lines.push("| Field | Live | Configuration |", "|---|---|---|");
    for (const f of s.fields)
      lines.push(`| ${code(f.path)} | ${code(formatValue(f.before))} | ${code(formatValue(f.after))} |`);
    lines.push("");
  }
  if (s.ignored_fields.length > 0) lines.push(`Ignored: ${s.ignored_fields.map(code).join(", ")}`, "");
  if (s.action !== "no-op") lines.push(`\`reform plan\` would: **${s.action}**`, "");
  lines.push("</details>", "", "");
  return lines.join("\n");
}

function code(text: string): string {
  const flat = text.replace(/\r?\n/g, "↵").replace(/\|/g, "\\|").replace(/`/g, "'");
  return `\`${flat}\``;
}

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r?\n/g, " ");
}
