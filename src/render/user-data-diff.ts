import { structuredPatch } from "diff";
import { REDACTED } from "../model/index.js";

/**
 * A unified line diff (hunks only, no file headers) of two user_data texts; `null` is no user_data.
 * Sensitive content is never diffed: the marker is returned instead.
 */
export function userDataDiff(
  before: string | null,
  after: string | null,
  options: { readonly sensitive: boolean; readonly context?: number },
): string {
  if (options.sensitive) return REDACTED;
  const patch = structuredPatch("before", "after", before ?? "", after ?? "", undefined, undefined, {
    context: options.context ?? 3,
  });
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    // Unified-diff convention: an empty side starts at line 0.
    const oldStart = hunk.oldLines === 0 ? hunk.oldStart - 1 : hunk.oldStart;
    const newStart = hunk.newLines === 0 ? hunk.newStart - 1 : hunk.newStart;
    lines.push(`@@ -${oldStart},${hunk.oldLines} +${newStart},${hunk.newLines} @@`);
    lines.push(...hunk.lines);
  }
  return lines.join("\n");
}

/** The text a displayed user_data value stands for: content, `null` (none), or undefined when only a digest or nothing is known. */
export function userDataText(value: unknown): string | null | undefined {
  if (value === null || typeof value === "string") return value;
  return undefined;
}
