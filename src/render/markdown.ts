import type { Action, Impact } from "../model/index.js";
import { ACTIONS, describeOverLimit, overLimit, worstImpact } from "../model/index.js";
import type { ChangeDocument, FieldDocument, PlanDocument } from "./plan-document.js";
import { actionWords, bounded, downtimeText, formatValue, reprovisionWords, stepsLine, summaryLine } from "./format.js";
import { userDataDiff, userDataText } from "./user-data-diff.js";

export interface MarkdownOptions {
  /** Longest output, in characters. @default 64000 (GitHub's 65,536 less room for a marker and a footer a CI job adds) */
  readonly maxLength?: number;
  /** Where the full plan is, named in the truncation notice. @default the `plan --output json` / `show PLANFILE --output json` commands */
  readonly fullPlan?: string;
}

/** GitHub refuses comments and issue bodies longer than this. */
export const MARKDOWN_MAX_LENGTH = 65536;

/** The default budget: under GitHub's limit with room for what a workflow wraps around the rendering. */
export const DEFAULT_MARKDOWN_LENGTH = 64000;

const DEFAULT_FULL_PLAN =
  "the JSON plan document (`reform plan --output json`, or `reform show PLANFILE --output json` for a saved plan)";
const LISTED_SERVERS = 20;
const NOTICE_RESERVE = 600;
const MAX_DIFF_LINES = 200;

/**
 * A pull-request comment, rendered from the plan document: a summary (counts per action and per impact,
 * reprovisioned and refused servers named), then one collapsible section per server with something to say.
 * Longer than `maxLength`: whole sections while they fit, one line per remaining server while those fit,
 * then a notice that says what was left out and where the full plan is.
 */
export function renderPlanMarkdown(doc: PlanDocument, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? DEFAULT_MARKDOWN_LENGTH;
  const head = header(doc);
  const changes = doc.changes.filter((c) => c.action !== "no-op");
  const sections = changes.map(section);
  const quiet = unknownSection(doc);
  const whole = head + sections.join("") + quiet;
  if (whole.length <= maxLength) return whole;
  const budget = maxLength - NOTICE_RESERVE;
  const lineTexts = changes.map((c) => `${oneLine(c)}\n`);
  // Room kept for one line per server not shown in full: at most 40% of the budget.
  const reserve = Math.min(
    lineTexts.reduce((sum, l) => sum + l.length, 120),
    Math.floor(budget * 0.4),
  );
  let out = head;
  let full = 0;
  while (full < sections.length && out.length + (sections[full] ?? "").length <= budget - reserve)
    out += sections[full++];
  const lines: string[] = [];
  let used = out.length + 120;
  for (const line of lineTexts.slice(full)) {
    if (used + line.length > budget) break;
    lines.push(line);
    used += line.length;
  }
  if (lines.length > 0) {
    out += `<details><summary>${lines.length} more server${lines.length === 1 ? "" : "s"}, one line each</summary>\n\n${lines.join("")}\n</details>\n\n`;
  }
  return (
    out +
    truncationNotice(doc, {
      full,
      oneLine: lines.length,
      total: changes.length,
      maxLength,
      where: options.fullPlan ?? DEFAULT_FULL_PLAN,
    })
  );
}

function truncationNotice(
  doc: PlanDocument,
  n: { full: number; oneLine: number; total: number; maxLength: number; where: string },
): string {
  const omitted = n.total - n.full - n.oneLine;
  const quiet = doc.changes.filter((c) => c.action === "no-op" && c.unknowns.length > 0).length;
  const parts = [`${n.full} of ${n.total} servers with changes shown in full`];
  if (n.oneLine > 0) parts.push(`${n.oneLine} in one line`);
  if (omitted > 0) parts.push(`${omitted} not listed`);
  if (quiet > 0) parts.push(`the unobservable fields of ${quiet} unchanged server${quiet === 1 ? "" : "s"} left out`);
  return [
    "> [!NOTE]",
    `> **Truncated** to stay under ${n.maxLength.toLocaleString("en-US")} characters: ${parts.join(", ")}.`,
    `> The full plan is ${n.where}.`,
    "",
  ].join("\n");
}

/** `- ± \`dc1/web-1\`: rebuild, REPROVISION (image, key_pair)`: for servers past the size budget. */
function oneLine(change: ChangeDocument): string {
  const impact = change.impact === "reprovision" ? ", **REPROVISION**" : change.impact === "reboot" ? ", downtime" : "";
  const paths = change.fields.map((f) => f.path);
  const listed = paths.length > 4 ? [...paths.slice(0, 4), `${paths.length - 4} more`] : paths;
  return `- ${actionWords(change).symbol} ${code(change.address)}: ${change.action}${impact}${listed.length > 0 ? ` (${escapeText(listed.join(", "))})` : ""}`;
}

function header(doc: PlanDocument): string {
  const lines = ["## reform plan", "", `**${summaryLine(doc.summary)}**`, ""];
  const refused = doc.changes.filter((c) => c.action === "error");
  const limit = doc.limits?.reprovision;
  const over =
    limit !== undefined && overLimit(limit)
      ? describeOverLimit(
          limit,
          doc.changes.filter((c) => c.impact === "reprovision").map((c) => c.address),
        )
      : undefined;
  if (!doc.applyable) {
    const why = [
      refused.length > 0 ? ` Refused: ${listed(refused)}` : "",
      over === undefined ? "" : ` Over the limit: ${escapeText(bounded(over))}.`,
    ].join("");
    lines.push(
      "> [!CAUTION]",
      `> **The plan ${refused.length > 0 ? "has errors" : "is refused"}: it cannot be applied.**${why}`,
      "",
    );
  }
  const reprovisioned = doc.changes.filter((c) => c.impact === "reprovision");
  if (reprovisioned.length > 0) {
    lines.push(
      "> [!WARNING]",
      `> **${reprovisioned.length} server${reprovisioned.length === 1 ? "" : "s"} will be REPROVISIONED (root disk wiped and re-created):** ${listed(reprovisioned)}`,
      "",
    );
  }
  lines.push("| Action | Servers | Impact | Downtime |", "|---|---:|---|---|");
  for (const action of ACTIONS) {
    const count = doc.summary[action];
    if (count === 0) continue;
    const impact = impactOf(doc, action);
    lines.push(
      `| ${action === "no-op" ? "unchanged" : action} | ${count} | ${impact} | ${impact === "none" ? "no" : "yes"} |`,
    );
  }
  lines.push("", "| Impact | Servers |", "|---|---:|");
  for (const impact of IMPACTS) {
    const count = doc.changes.filter((c) => c.impact === impact).length;
    if (count > 0) lines.push(`| ${IMPACT_WORDS[impact]} | ${count} |`);
  }
  return `${lines.join("\n")}\n\n${providerSection(doc)}`;
}

/**
 * Where each provider's requests go and who chose that, collapsed: a reviewer sees at once when a pull request
 * points a provider at a new host.
 */
function providerSection(doc: PlanDocument): string {
  const providers = doc.providers ?? [];
  const rows = providers.flatMap((p) =>
    p.endpoints.map(
      (e) => `| ${code(p.name)} | ${p.type} | ${e.service} | ${code(bounded(e.url))} | ${escapeText(e.source)} |`,
    ),
  );
  if (rows.length === 0) return "";
  const byFleet = providers
    .filter((p) => p.endpoints.some((e) => e.source.startsWith("fleet file")))
    .map((p) => code(p.name));
  const note = byFleet.length > 0 ? `: the fleet file chooses endpoints of ${byFleet.join(", ")}` : "";
  return [
    `<details><summary>Providers and endpoints (${providers.length})${note}</summary>`,
    "",
    "| Provider | Type | Service | URL | Chosen by |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "</details>",
    "",
    "",
  ].join("\n");
}

const IMPACTS: readonly Impact[] = ["reprovision", "reboot", "none"];

const IMPACT_WORDS: Readonly<Record<Impact, string>> = {
  reprovision: "reprovision: root disk wiped and re-created",
  reboot: "reboot: downtime, disk kept",
  none: "none: no downtime",
};

function listed(changes: readonly ChangeDocument[]): string {
  const names = changes.slice(0, LISTED_SERVERS).map((c) => code(c.address));
  const more = changes.length - names.length;
  return `${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function impactOf(doc: PlanDocument, action: Action): Impact {
  return worstImpact(doc.changes.filter((c) => c.action === action).map((c) => c.impact));
}

function section(change: ChangeDocument): string {
  const words = actionWords(change);
  const label =
    change.impact === "reprovision"
      ? `<b>${change.action}: REPROVISION (${reprovisionWords(change)})</b>`
      : change.action;
  const lines = [
    `<details><summary>${words.symbol} <code>${html(change.address)}</code>: ${label}${change.downtime ? ", downtime" : ""}</summary>`,
    "",
    `- **Server:** ${code(change.id || "(none)")} (group ${code(change.group)})`,
    `- **Downtime:** ${downtimeText(change)}`,
  ];
  if (change.steps.length > 0) lines.push(`- **Steps:** ${stepsLine(change)}`);
  lines.push("", ...fieldTable(change.fields), ...userDataBlock(change.fields));
  if (change.blocked) lines.push(`**Blocked by \`${change.blocked.by}\`:** ${escapeText(change.blocked.message)}`, "");
  const reasons = change.reasons.filter((r) => r.message !== change.blocked?.message);
  if (reasons.length > 0) lines.push("**Reasons**", "", ...reasons.map((r) => `- ${escapeText(r.message)}`), "");
  const considered = change.considered ?? [];
  if (considered.length > 0)
    lines.push(
      "**Cheaper actions considered**",
      "",
      ...considered.map((o) => `- ${code(o.action)} (${o.impact}): ${escapeText(o.why)}`),
      "",
    );
  if (change.unknowns.length > 0)
    lines.push("**Unknown**", "", ...change.unknowns.map((u) => `- ${code(u.field)}: ${escapeText(u.reason)}`), "");
  lines.push("</details>", "", "");
  return lines.join("\n");
}

function fieldTable(fields: readonly FieldDocument[]): string[] {
  const rows = fields.filter((f) => !(f.path === "user_data" && diffable(f)));
  if (rows.length === 0) return [];
  const lines = ["| | Field | Before | After |", "|---|---|---|---|"];
  for (const f of rows) {
    const symbol =
      f.path.startsWith("metadata.") && f.before === null
        ? "+"
        : f.path.startsWith("metadata.") && f.after === null
          ? "-"
          : "~";
    lines.push(`| ${symbol} | ${code(f.path)} | ${code(formatValue(f.before))} | ${code(formatValue(f.after))} |`);
  }
  return [...lines, ""];
}

function userDataBlock(fields: readonly FieldDocument[]): string[] {
  const field = fields.find((f) => f.path === "user_data" && diffable(f));
  const after = field === undefined ? undefined : userDataText(field.after);
  if (field === undefined || after === undefined) return [];
  const before = userDataText(field.before);
  const title =
    before === undefined
      ? `**user_data** (was ${escapeText(formatValue(field.before))}; new content):`
      : "**user_data**:";
  const diff = capLines(userDataDiff(before ?? null, after, { sensitive: false }), MAX_DIFF_LINES)
    .split("\n")
    .map((line) => bounded(line))
    .join("\n");
  const fence = "`".repeat(Math.max(3, longestRun(diff, "`") + 1));
  return [title, "", `${fence}diff`, diff, fence, ""];
}

/** A user_data change shown as a line diff: not sensitive, new text (or none) known, and something to diff from. */
function diffable(field: FieldDocument): boolean {
  if (field.sensitive) return false;
  const after = userDataText(field.after);
  if (after === undefined) return false;
  return after !== null || userDataText(field.before) !== undefined;
}

function capLines(text: string, max: number): string {
  const lines = text.split("\n");
  if (lines.length <= max) return text;
  return [
    ...lines.slice(0, max),
    `… ${lines.length - max} more diff lines not shown (the JSON plan has both texts)`,
  ].join("\n");
}

function unknownSection(doc: PlanDocument): string {
  const quiet = doc.changes.filter((c) => c.action === "no-op" && c.unknowns.length > 0);
  if (quiet.length === 0) return "";
  const items = quiet.flatMap((c) =>
    c.unknowns.map((u) => `- ${code(c.address)} ${code(u.field)}: ${escapeText(u.reason)}`),
  );
  return [
    `<details><summary>Not observable on ${quiet.length} unchanged server${quiet.length === 1 ? "" : "s"}</summary>`,
    "",
    ...items,
    "",
    "</details>",
    "",
  ].join("\n");
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
