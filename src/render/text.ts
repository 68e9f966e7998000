import pc from "picocolors";
import { describeOverLimit, overLimit } from "../model/index.js";
import type { ChangeDocument, FieldDocument, PlanDocument } from "./plan-document.js";
import type { Tone } from "./format.js";
import { actionWords, downtimeText, fieldLine, formatValue, stepsLine, summaryLine, wrap } from "./format.js";
import { userDataDiff, userDataText } from "./user-data-diff.js";

export interface TextOptions {
  /** ANSI colours. */
  readonly color: boolean;
  /** Terminal width, for wrapping reasons. */
  readonly width: number;
  /** `plan -v`: also the cheaper actions considered for each server and why each cannot do the job. @default false */
  readonly verbose?: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const INDENT = "      ";

/**
 * The servers the text reads: those with something to say (an action, something unknown, an impact); the others are
 * only counted, from the summary. `toPlanDocument(plan, shownInText)` renders the same text as the whole document.
 */
export function shownInText(change: Pick<ChangeDocument, "action" | "impact" | "unknowns">): boolean {
  return change.action !== "no-op" || change.unknowns.length > 0 || change.impact !== "none";
}

/** A Terraform-like terminal rendering of a plan document: one block per server with something to say, then the summary. */
export function renderPlanText(doc: PlanDocument, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const width = Math.max(40, options.width);
  const shown = doc.changes.filter((change) => change.action !== "no-op");
  const out: string[] = [];
  if (shown.length > 0) {
    out.push("reform will perform the following actions:", "");
    for (const change of shown) out.push(...changeBlock(change, c, width, options.verbose ?? false), "");
  }
  out.push(...unknownSection(doc, width));
  out.push(...footer(doc, c));
  return out.join("\n");
}

function paint(c: Colors, tone: Tone, text: string): string {
  switch (tone) {
    case "reprovision":
      return c.bold(c.red(text));
    case "reboot":
      return c.yellow(text);
    case "update":
      return c.yellow(text);
    case "adopt":
      return c.cyan(text);
    case "wait":
      return c.dim(text);
    case "unsupported":
      return c.magenta(text);
    case "error":
      return c.bold(c.red(text));
    case "none":
      return text;
  }
}

function changeBlock(change: ChangeDocument, c: Colors, width: number, verbose: boolean): string[] {
  const words = actionWords(change);
  const lines = [
    paint(c, words.tone, `  # ${change.address} ${words.headline}`),
    `  ${paint(c, words.tone, words.symbol)} ${c.bold(change.address)} (id ${change.id || "(none)"}, group ${change.group})`,
    `${INDENT}downtime: ${change.downtime ? paint(c, words.tone, downtimeText(change)) : downtimeText(change)}`,
  ];
  if (change.steps.length > 0) lines.push(`${INDENT}steps: ${stepsLine(change)}`);
  for (const field of change.fields) lines.push(...fieldLines(field, c));
  const blocked = change.blocked;
  if (blocked)
    lines.push(
      ...wrap(blocked.message, width, `${INDENT}blocked by ${blocked.by}: `, `${INDENT}        `).map((l) =>
        c.bold(c.red(l)),
      ),
    );
  for (const reason of change.reasons) {
    if (reason.message !== blocked?.message)
      lines.push(...wrap(reason.message, width, `${INDENT}reason: `, `${INDENT}        `));
  }
  if (verbose) {
    for (const one of change.considered ?? [])
      lines.push(
        ...wrap(`${one.action} (${one.impact}): ${one.why}`, width, `${INDENT}considered: `, `${INDENT}            `),
      );
  }
  for (const unknown of change.unknowns) {
    lines.push(
      ...wrap(`${unknown.field}: ${unknown.reason}`, width, `${INDENT}unknown: `, `${INDENT}         `).map((l) =>
        c.dim(l),
      ),
    );
  }
  return lines;
}

function fieldLines(field: FieldDocument, c: Colors): string[] {
  const color = (line: string): string =>
    line.startsWith("+") ? c.green(line) : line.startsWith("-") ? c.red(line) : c.yellow(line);
  if (field.path !== "user_data" || field.sensitive) return [INDENT + color(fieldLine(field))];
  const before = userDataText(field.before);
  const after = userDataText(field.after);
  // No diff without text on both sides or a removal of known text: a digest → (none) is one line.
  if (after === undefined || (after === null && before === undefined)) return [INDENT + color(fieldLine(field))];
  const head = before === undefined ? `~ user_data: ${formatValue(field.before)} → new content:` : "~ user_data:";
  const diff = userDataDiff(before ?? null, after, { sensitive: false }).split("\n");
  return [INDENT + c.yellow(head), ...diff.map((line) => `${INDENT}    ${diffColor(line, c)}`)];
}

function diffColor(line: string, c: Colors): string {
  if (line.startsWith("@@")) return c.cyan(line);
  if (line.startsWith("+")) return c.green(line);
  if (line.startsWith("-")) return c.red(line);
  return line;
}

function unknownSection(doc: PlanDocument, width: number): string[] {
  const quiet = doc.changes.filter((change) => change.action === "no-op" && change.unknowns.length > 0);
  if (quiet.length === 0) return [];
  const head = `Not observable on ${quiet.length} unchanged server${quiet.length === 1 ? "" : "s"} (never a reason to act; \`reform apply --adopt\` records what annotations can):`;
  const lines = wrap(head, width, "", "");
  for (const change of quiet) {
    for (const unknown of change.unknowns)
      lines.push(...wrap(`${change.address}: ${unknown.field}: ${unknown.reason}`, width, "  ", "    "));
  }
  return [...lines, ""];
}

function footer(doc: PlanDocument, c: Colors): string[] {
  const lines: string[] = [];
  const reprovisioned = doc.changes.filter((change) => change.impact === "reprovision").length;
  if (reprovisioned > 0) {
    lines.push(
      c.bold(
        c.red(
          `${reprovisioned} server${reprovisioned === 1 ? "" : "s"} will be REPROVISIONED: root disks wiped and re-created.`,
        ),
      ),
    );
  }
  lines.push(c.bold(summaryLine(doc.summary)));
  const limit = doc.limits?.reprovision;
  if (limit !== undefined && overLimit(limit)) {
    const addresses = doc.changes.filter((change) => change.impact === "reprovision").map((change) => change.address);
    lines.push(c.bold(c.red(`Refused: ${describeOverLimit(limit, addresses)}.`)));
  }
  if (!doc.applyable) {
    const errors = doc.changes.some((change) => change.action === "error");
    lines.push(
      c.red(
        errors
          ? "The plan has errors: it is shown, but it cannot be applied."
          : "The plan is refused: it is shown, but it cannot be applied.",
      ),
    );
  }
  return lines;
}
