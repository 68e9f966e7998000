import type { Action, Impact } from "../model/index.js";
import { ACTIONS, worstImpact } from "../model/index.js";
import type { ChangeDocument, FieldDocument, PlanDocument } from "./plan-document.js";
import { actionWords, downtimeText, formatValue, stepsLine, summaryLine } from "./format.js";
import { userDataDiff, userDataText } from "./user-data-diff.js";

export interface MarkdownOptions {
  /** Longest output, in characters (GitHub's comment limit). @default 65536 */
  readonly maxLength?: number;
}

const LISTED_REPROVISIONS = 20;
const NOTICE_RESERVE = 120;

/** A pull-request comment: summary table, then one collapsible section per server, truncated whole sections at a time. */
export function renderPlanMarkdown(doc: PlanDocument, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? 65536;
  const head = header(doc);
  const sections = doc.changes.filter((c) => c.action !== "no-op").map(section);
  const quiet = unknownSection(doc);
  let out = head;
  let shown = 0;
  for (const text of sections) {
    if (out.length + text.length + NOTICE_RESERVE > maxLength) break;
    out += text;
    shown += 1;
  }
  const hidden = sections.length - shown;
  if (hidden > 0) return `${out}\n_… ${hidden} more server${hidden === 1 ? "" : "s"} not shown; see the JSON plan._\n`;
  if (quiet !== "" && out.length + quiet.length <= maxLength) out += quiet;
  return out;
}

function header(doc: PlanDocument): string {
  const lines = ["## reform plan", "", `**${summaryLine(doc.summary)}**`, ""];
  if (!doc.applyable) lines.push("> [!CAUTION]", "> The plan has errors: it cannot be applied.", "");
  const reprovisioned = doc.changes.filter((c) => c.impact === "reprovision");
  if (reprovisioned.length > 0) {
    const names = reprovisioned.slice(0, LISTED_REPROVISIONS).map((c) => code(c.address));
    const more = reprovisioned.length - names.length;
    lines.push(
      "> [!WARNING]",
      `> **${reprovisioned.length} server${reprovisioned.length === 1 ? "" : "s"} will be REPROVISIONED (root disk wiped and re-created):** ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`,
      "",
    );
  }
  lines.push("| Action | Servers | Impact | Downtime |", "|---|---:|---|---|");
  for (const action of ACTIONS) {
    const count = doc.summary[action];
    if (count === 0) continue;
    const impact = impactOf(doc, action);
    lines.push(`| ${action === "no-op" ? "unchanged" : action} | ${count} | ${impact} | ${impact === "none" ? "no" : "yes"} |`);
  }
  return `${lines.join("\n")}\n\n`;
}

function impactOf(doc: PlanDocument, action: Action): Impact {
  return worstImpact(doc.changes.filter((c) => c.action === action).map((c) => c.impact));
}

function section(change: ChangeDocument): string {
  const words = actionWords(change);
  const label = change.impact === "reprovision" ? `<b>${change.action}: REPROVISION (root disk re-created)</b>` : change.action;
  const lines = [
    `<details><summary>${words.symbol} <code>${html(change.address)}</code>: ${label}${change.downtime ? ", downtime" : ""}</summary>`,
    "",
    `- **Server:** ${code(change.id || "(none)")} (group ${code(change.group)})`,
    `- **Downtime:** ${downtimeText(change)}`,
  ];
  if (change.steps.length > 0) lines.push(`- **Steps:** ${stepsLine(change)}`);
  lines.push("", ...fieldTable(change.fields), ...userDataBlock(change.fields));
  if (change.reasons.length > 0) lines.push("**Reasons**", "", ...change.reasons.map((r) => `- ${escapeText(r.message)}`), "");
  if (change.unknowns.length > 0) lines.push("**Unknown**", "", ...change.unknowns.map((u) => `- ${code(u.field)}: ${escapeText(u.reason)}`), "");
  lines.push("</details>", "", "");
  return lines.join("\n");
}

function fieldTable(fields: readonly FieldDocument[]): string[] {
  const rows = fields.filter((f) => !(f.path === "user_data" && !f.sensitive && userDataText(f.after) !== undefined));
  if (rows.length === 0) return [];
  const lines = ["| | Field | Before | After |", "|---|---|---|---|"];
  for (const f of rows) {
    const symbol = f.path.startsWith("metadata.") && f.before === null ? "+" : f.path.startsWith("metadata.") && f.after === null ? "-" : "~";
    lines.push(`| ${symbol} | ${code(f.path)} | ${code(formatValue(f.before))} | ${code(formatValue(f.after))} |`);
  }
  return [...lines, ""];
}

function userDataBlock(fields: readonly FieldDocument[]): string[] {
  const field = fields.find((f) => f.path === "user_data" && !f.sensitive);
  if (field === undefined) return [];
  const after = userDataText(field.after);
  if (after === undefined) return [];
  const before = userDataText(field.before);
  const title = before === undefined ? `**user_data** (was ${escapeText(formatValue(field.before))}; new content):` : "**user_data**:";
  const diff = userDataDiff(before ?? null, after, { sensitive: false });
  const fence = "`".repeat(Math.max(3, longestRun(diff, "`") + 1));
  return [title, "", `${fence}diff`, diff, fence, ""];
}

function unknownSection(doc: PlanDocument): string {
  const quiet = doc.changes.filter((c) => c.action === "no-op" && c.unknowns.length > 0);
  if (quiet.length === 0) return "";
  const items = quiet.flatMap((c) => c.unknowns.map((u) => `- ${code(c.address)} ${code(u.field)}: ${escapeText(u.reason)}`));
  return [`<details><summary>Not observable on ${quiet.length} unchanged server${quiet.length === 1 ? "" : "s"}</summary>`, "", ...items, "", "</details>", ""].join("\n");
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const ch of text) {
    run = ch === char ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/** Inline code that survives backticks, pipes (tables) and newlines in the value. */
function code(text: string): string {
  const flat = text.replace(/\r?\n/g, "↵").replace(/\|/g, "\\|");
  const ticks = "`".repeat(longestRun(flat, "`") + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeText(text: string): string {
  return html(text).replace(/\r?\n/g, " ");
}
