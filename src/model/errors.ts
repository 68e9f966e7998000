import type { InstanceAddress } from "./address.js";
import type { StepKind } from "./action.js";
import type { SourceLocation } from "./source.js";
import { formatLocation } from "./source.js";

/** A problem in the user's input, located. Collected, not thrown one by one. */
export interface Diagnostic {
  readonly location?: SourceLocation;
  readonly message: string;
}

/** `fleet.yaml:12:5: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return d.location ? `${formatLocation(d.location)}: ${d.message}` : d.message;
}

/** The stable code of every ReformError: the CLI maps it to an exit code and callers may branch on it. */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "PLAN_INVALID"
  | "PLAN_STALE"
  /** A guardrail (policy maxDisruption or protect, the run's reprovision limit) refuses the plan. */
  | "PLAN_REFUSED"
  | "LOCKED"
  | "BACKEND"
  | "CLOUD_ERROR"
  | "AUTH_ERROR"
  | "AMBIGUOUS"
  | "TIMEOUT"
  | "USAGE"
  | "ABORTED";

/** Every error reform raises on purpose. The CLI maps them to messages and exit codes in one place. */
export class ReformError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReformError";
    this.code = code;
  }
}

/** Bad input: all problems at once, each located. */
export class ConfigError extends ReformError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], options?: { cause?: unknown }) {
    const n = diagnostics.length;
    super(
      "CONFIG_INVALID",
      `${n} error${n === 1 ? "" : "s"} in configuration:\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
      options,
    );
    this.name = "ConfigError";
    this.diagnostics = diagnostics;
  }
}

/**
 * An error's message on one line, for a result or a progress line: a ConfigError's diagnostics joined with "; "
 * (its message puts each on a line of its own, under an "N errors in configuration:" heading).
 */
export function describeError(error: unknown): string {
  if (error instanceof ConfigError) return error.diagnostics.map(formatDiagnostic).join("; ");
  return error instanceof Error ? error.message : String(error);
}

/** What a cloud error carries: which provider and call, the cloud's own words and code, and its request id. */
export interface CloudErrorDetails {
  readonly provider: string;
  /** HTTP method and path (no query secrets). */
  readonly operation: string;
  readonly status?: number;
  /** The cloud's own message. */
  readonly cloudMessage: string;
  /** The cloud's error code (e.g. "conflictingRequest", "Ecs.0100"). */
  readonly cloudCode?: string;
  readonly requestId?: string;
  readonly address?: InstanceAddress;
  readonly step?: StepKind;
  /** What to check, when the provider can tell (which credential, which setting, what it should look like). */
  readonly hint?: string;
}

/** The cloud said no. Carries what a human needs to follow up: its message and request id. */
export class CloudError extends ReformError {
  readonly details: CloudErrorDetails;

  constructor(details: CloudErrorDetails, options?: { cause?: unknown }) {
    super(details.status === 401 ? "AUTH_ERROR" : "CLOUD_ERROR", describeCloudError(details), options);
    this.name = "CloudError";
    this.details = details;
  }

  withContext(context: { address: InstanceAddress; step?: StepKind }): CloudError {
    return new CloudError({ ...this.details, ...context }, { cause: this.cause });
  }
}

function describeCloudError(d: CloudErrorDetails): string {
  const who = d.address ? `${d.address}${d.step ? ` (${d.step})` : ""}: ` : "";
  const status = d.status === undefined ? "" : ` ${d.status}`;
  const code = d.cloudCode ? ` ${d.cloudCode}` : "";
  const rid = d.requestId ? ` [request ${d.requestId}]` : "";
  const hint = d.hint ? `\n  ${d.hint}` : "";
  return `${who}${d.provider}: ${d.operation} failed${status}${code}: ${d.cloudMessage}${rid}${hint}`;
}

/** A mutating call whose outcome is unknown (timeout, reset): re-read before deciding, never retry blindly. */
export class AmbiguousError extends ReformError {
  readonly operation: string;

  constructor(operation: string, options?: { cause?: unknown }) {
    super("AMBIGUOUS", `${operation}: no answer from the cloud; the outcome is unknown`, options);
    this.name = "AmbiguousError";
    this.operation = operation;
  }
}
