import type { PlanDocument } from "./plan-document.js";

/** JSON with keys sorted at every level and 2-space indentation: the same plan always gives the same bytes. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.keys(value)
    .sort()
    .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])] as const);
  return Object.fromEntries(entries);
}

export function renderPlanJson(doc: PlanDocument): string {
  return stableStringify(doc);
}
