import type { Action } from "./action.js";
import type { FieldChange, FieldPath, ServerRef } from "./change.js";

/**
 * - `drift`: the live state moved away from what reform last applied;
 * - `unapplied`: the configuration changed since the last apply and the server still matches what was applied;
 * - `in-sync`: nothing to report;
 * - `unknown`: reform never applied this server (no `reform.applied.sha256` annotation): reported apart, never drift.
 */
export type DriftStatus = "drift" | "unapplied" | "in-sync" | "unknown";

/** Report order: what needs a look first. */
export const DRIFT_STATUSES: readonly DriftStatus[] = ["drift", "unapplied", "unknown", "in-sync"];

/** One server's drift status and what it rests on. */
export interface DriftEntry extends ServerRef {
  readonly status: DriftStatus;
  /** One sentence: why this status. */
  readonly reason: string;
  /** Where live and configuration differ (observed → desired), ignored fields removed. Sensitive values are marked. */
  readonly fields: readonly FieldChange[];
  /** Fields that differ but were silenced by `--ignore`. */
  readonly ignoredFields: readonly FieldPath[];
  readonly unknowns: readonly { readonly field: FieldPath; readonly reason: string }[];
  /** What `reform plan` would do to this server now. */
  readonly action: Action;
}

/** What `drift` returns: every server's status, counted. Rendered by src/render/drift.ts. */
export interface DriftReport {
  /** ISO 8601, from the injected clock. */
  readonly createdAt: string;
  readonly configFile: string;
  readonly entries: readonly DriftEntry[];
  readonly summary: Readonly<Record<DriftStatus, number>>;
  /** The `--ignore` list as given. */
  readonly ignore: readonly string[];
  /** `--target` and `--ignore` values that select nothing: for stderr, not part of the report. */
  readonly warnings: readonly string[];
}
