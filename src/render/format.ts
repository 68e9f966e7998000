import type { Action } from "../model/index.js";
import { ACTIONS, REDACTED } from "../model/index.js";
import type { ChangeDocument, FieldDocument } from "./plan-document.js";

export type Tone = "reprovision" | "reboot" | "update" | "adopt" | "wait" | "unsupported" | "error" | "none";

export interface ActionWords {
  readonly symbol: string;
  readonly headline: string;
  readonly tone: Tone;
}

/** What reprovisioning does to the server: re-creates its root disk, or re-images its root volume (a volume-backed server). */
export function reprovisionWords(change: Pick<ChangeDocument, "steps">): string {
  const volume = change.steps.some(
    (s) =>
      (s.kind === "rebuild" || s.kind === "reinstall" || s.kind === "changeos") &&
      s.params.root_volume_id !== undefined,
  );
  return volume ? "root volume re-imaged; its data is lost" : "root disk re-created";
}

/** How each action is announced. Reprovisioning says so in words, not only in colour. */
export function actionWords(change: Pick<ChangeDocument, "action" | "steps">): ActionWords {
  switch (change.action) {
    case "rebuild":
      return {
        symbol: "±",
        headline: `will be rebuilt in place (REPROVISION: ${reprovisionWords(change)})`,
        tone: "reprovision",
      };
    case "reinstall":
      return {
        symbol: "±",
        headline: `will be reinstalled in place (REPROVISION: ${reprovisionWords(change)})`,
        tone: "reprovision",
      };
    case "reboot": {
      const step = change.steps.find((s) => s.kind === "reboot");
      const type = step?.kind === "reboot" ? ` (${step.params.type})` : "";
      return { symbol: "↻", headline: `will be rebooted${type}`, tone: "reboot" };
    }
    case "stop":
      return { symbol: "↓", headline: "will be stopped", tone: "reboot" };
    case "start":
      return { symbol: "↑", headline: "will be started", tone: "reboot" };
    case "update-metadata":
      return { symbol: "~", headline: "will have its metadata updated in place (no downtime)", tone: "update" };
    case "adopt":
      return { symbol: "=", headline: "will be adopted (annotations recorded, server untouched)", tone: "adopt" };
    case "wait":
      return { symbol: "…", headline: "is busy: nothing planned, waiting", tone: "wait" };
    case "unsupported":
      return { symbol: "⊘", headline: "cannot be changed in place (UNSUPPORTED)", tone: "unsupported" };
    case "error":
      return { symbol: "✗", headline: "has an error (the plan cannot be applied)", tone: "error" };
    case "no-op":
      return { symbol: " ", headline: "is unchanged", tone: "none" };
  }
}

export function downtimeText(change: Pick<ChangeDocument, "impact" | "steps">): string {
  switch (change.impact) {
    case "reprovision":
      return reprovisionWords(change) === "root disk re-created"
        ? "yes (reprovision: root disk wiped and re-created)"
        : `yes (reprovision: ${reprovisionWords(change)})`;
    case "reboot":
      return "yes (reboot)";
    case "none":
      return "no";
  }
}

/** A displayed value: strings quoted, null as (none), digests and unknowns described. */
/**
 * Longest single value a rendering shows, in characters (a metadata value, a line of a user_data diff). Whoever
 * writes a pull request writes the fleet file: the plan comment must not become a carrier for large content.
 */
export const MAX_SHOWN_VALUE = 500;

/** `text`, cut to `max` characters with a note of what was left out. */
export function bounded(text: string, max: number = MAX_SHOWN_VALUE): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${(text.length - max).toLocaleString("en-US")} more characters not shown)`;
}

export function formatValue(value: unknown): string {
  return bounded(formatFullValue(value));
}

function formatFullValue(value: unknown): string {
  if (value === REDACTED) return REDACTED;
  if (value === null || value === undefined) return "(none)";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.sha256 === "string") return `(not readable; sha256 ${v.sha256.slice(0, 12)}…)`;
    if (typeof v.unknown === "string") return "(unknown)";
    if (typeof v.id === "string" && typeof v.name === "string") return `${JSON.stringify(v.name)} (${v.id})`;
    if (typeof v.id === "string") return JSON.stringify(v.id);
  }
  return JSON.stringify(value);
}

/** `+` added, `-` removed, `~` changed. */
export function fieldSymbol(field: FieldDocument): string {
  if (field.path.startsWith("metadata.")) {
    if (field.before === null) return "+";
    if (field.after === null) return "-";
  }
  return "~";
}

export function fieldLine(field: FieldDocument): string {
  if (field.sensitive) return `${fieldSymbol(field)} ${field.path}: ${REDACTED}`;
  const symbol = fieldSymbol(field);
  if (symbol === "+") return `+ ${field.path}: ${formatValue(field.after)}`;
  if (symbol === "-") return `- ${field.path}: ${formatValue(field.before)}`;
  return `~ ${field.path}: ${formatValue(field.before)} → ${formatValue(field.after)}`;
}

const SUMMARY_WORDS: Readonly<Record<Action, string>> = {
  rebuild: "rebuild",
  reinstall: "reinstall",
  reboot: "reboot",
  stop: "stop",
  start: "start",
  "update-metadata": "update-metadata",
  adopt: "adopt",
  wait: "wait",
  unsupported: "unsupported",
  error: "error",
  "no-op": "unchanged",
};

/** `Plan: 3 rebuild, 1 reinstall, 90 unchanged.` (non-zero counts only), or the no-changes sentence. */
export function summaryLine(summary: Readonly<Record<Action, number>>): string {
  const parts = ACTIONS.filter((action) => summary[action] > 0).map(
    (action) => `${summary[action]} ${SUMMARY_WORDS[action]}`,
  );
  const onlyUnchanged = ACTIONS.every((action) => action === "no-op" || summary[action] === 0);
  if (onlyUnchanged) return "No changes. Your servers match the configuration.";
  return `Plan: ${parts.join(", ")}.`;
}

/** Steps in execution order: `stop → rebuild → start`. */
export function stepsLine(change: Pick<ChangeDocument, "steps">): string {
  return change.steps.map((s) => (s.kind === "reboot" ? `reboot (${s.params.type})` : s.kind)).join(" → ");
}

/** Word-wraps `text` to `width` columns; continuation lines get `indent`. */
export function wrap(text: string, width: number, firstPrefix: string, indent: string): string[] {
  const words = text.split(/ +/);
  const lines: string[] = [];
  let line = firstPrefix;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
