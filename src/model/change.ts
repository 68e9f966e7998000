import type { InstanceAddress } from "./address.js";
import type { Action, Impact, Step } from "./action.js";
import type { SourceLocation } from "./source.js";

/** The fields reform compares. `metadata.<key>` for one metadata key. */
export type FieldPath = "image" | "keyPair" | "userData" | "reboot" | "power" | "status" | `metadata.${string}`;

/** One field where the server differs from the fleet file: observed `before`, desired `after`. */
export interface FieldChange {
  readonly path: FieldPath;
  readonly before: unknown;
  readonly after: unknown;
  /** Values are replaced by a marker in every rendering. */
  readonly sensitive: boolean;
}

/** For humans only: apply never reads it (Terraform's ActionReason). */
export interface Reason {
  readonly field?: FieldPath;
  readonly message: string;
}

/** A cheaper action the planner considered for a server, and why it cannot do the job. For humans only. */
export interface ConsideredAction {
  /** `update-metadata`, `reboot`, `rebuild with the same image`, `reinstall`, `rebuild`, `changeos`. */
  readonly action: string;
  readonly impact: Impact;
  readonly why: string;
}

/** A guardrail that refuses a server's change: the policy of the server, or the run's limit. */
export type Guardrail = "maxDisruption" | "protect" | "limits.reprovision";

/** Why a server's change may not run, and which guardrail says so. */
export interface Blocked {
  readonly by: Guardrail;
  readonly message: string;
}

/** Which server something is about: its address in the fleet file, its provider, and its cloud id and name. */
export interface ServerRef {
  readonly address: InstanceAddress;
  readonly provider: string;
  /** Cloud id; empty when the server was not found. */
  readonly id: string;
  readonly name: string;
}

/**
 * The plan for one server: its action and the ordered steps apply runs, the fields that differ, and for humans only
 * the reasons. Apply reads `steps` and `fingerprint`, never `reasons`.
 */
export interface InstanceChange extends ServerRef {
  readonly group: string;
  readonly action: Action;
  readonly impact: Impact;
  /** Ordered: what apply executes. */
  readonly steps: readonly Step[];
  readonly fields: readonly FieldChange[];
  readonly reasons: readonly Reason[];
  /** Cheaper actions considered and why each cannot do the job, cheapest first. @default [] (older plans) */
  readonly considered?: readonly ConsideredAction[];
  /** Set when a guardrail refuses the change: the plan is then not applyable. @default not blocked */
  readonly blocked?: Blocked;
  /** Fields that could not be observed, with why. */
  readonly unknowns: readonly { readonly field: FieldPath; readonly reason: string }[];
  /** Digest of the observed fields the decision was based on: checked again before the first step. */
  readonly fingerprint: string;
  /** Values for display: before (observed) and after (desired), sensitive ones replaced. */
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation;
}
