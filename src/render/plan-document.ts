import jsonPatch from "fast-json-patch";
import type {
  Action,
  Blocked,
  ConsideredAction,
  FieldChange,
  FieldPath,
  Impact,
  InstanceChange,
  PLAN_FORMAT_VERSION,
  Plan,
  PlanLimits,
  ProviderType,
  ReadinessGate,
  RolloutPolicy,
  ServerRef,
  TimeoutKind,
} from "../model/index.js";
import { REDACTED, withoutCredentials } from "../model/index.js";
import type { StepDocument } from "./step-document.js";
import { stepDocument, stepFromDocument } from "./step-document.js";

export type { MetadataTargetDocument, ReprovisionParamsDocument, StepDocument } from "./step-document.js";

/** One RFC 6902 operation (fast-json-patch `compare` emits add, remove and replace). */
export interface PatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

export interface FieldDocument {
  /** `image`, `key_pair`, `user_data`, `reboot`, `power`, `status` or `metadata.<key>`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly sensitive: boolean;
}

export interface ChangeDocument extends ServerRef {
  readonly group: string;
  readonly action: Action;
  readonly impact: Impact;
  /** True when a step stops the server (reboot or reprovision impact). */
  readonly downtime: boolean;
  readonly steps: readonly StepDocument[];
  readonly fields: readonly FieldDocument[];
  /** Observed and desired values of the managed fields (snake_case keys, sensitive values replaced). */
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
  /** RFC 6902 patch from `before` to `after`. */
  readonly patch: readonly PatchOperation[];
  readonly reasons: readonly { readonly field?: string; readonly message: string }[];
  /** Cheaper actions considered, cheapest first, and why each cannot do the job (for humans only). Absent in older plans. */
  readonly considered?: readonly ConsideredAction[];
  /** The guardrail that refuses the change, when one does. */
  readonly blocked?: Blocked;
  readonly unknowns: readonly { readonly field: string; readonly reason: string }[];
  readonly fingerprint: string;
  readonly source: { readonly file: string; readonly line: number; readonly column: number };
}

/** A provider the plan read: where its requests went and who chose that (the fleet file, clouds.yaml, a default). */
export interface ProviderDocument {
  readonly name: string;
  readonly type: string;
  readonly endpoints: readonly { readonly service: string; readonly url: string; readonly source: string }[];
}

/** A readiness gate on the wire: durations in milliseconds; a URL as the fleet file wrote it (placeholders kept). */
export type GateDocument =
  | { readonly type: "tcp"; readonly port: number; readonly timeout_ms: number; readonly interval_ms: number }
  | {
      readonly type: "http";
      readonly url: string;
      readonly expect_status?: number;
      readonly timeout_ms: number;
      readonly interval_ms: number;
    };

/** A group's rollout policy, complete: `apply PLANFILE` runs with these and nothing else. */
export interface RolloutDocument {
  readonly parallelism: number;
  readonly max_unavailable: number | string;
  readonly canary: number;
  readonly on_failure: "halt" | "continue" | "rollback";
  /** Each of the following is absent when the fleet file leaves it to its default. Absent: 0 under halt, unlimited under continue. */
  readonly max_failures?: number | string;
  /** Absent: 0 (a sliding window, no pause between batches). */
  readonly pause_ms?: number;
  /** Absent: "auto". */
  readonly canary_approval?: "auto" | "manual";
  /** Absent: no gate. */
  readonly gate?: GateDocument;
  /** Per step kind and `wait`, those the fleet file sets. Absent: apply's defaults. */
  readonly timeouts_ms?: Readonly<Partial<Record<TimeoutKind, number>>>;
  /** Shares of the group after which the rollout bakes. Absent: none. */
  readonly checkpoints?: readonly string[];
  /** Bake time at each checkpoint. Absent: 0. */
  readonly bake_ms?: number;
  /** Failed plus gate-failing servers that stop the rollout. Absent: none. */
  readonly max_unhealthy?: number | string;
}

/** The one wire format of a plan (`--out FILE`, `--output json`, `show`): versioned, snake_case, secrets replaced. */
export interface PlanDocument {
  readonly format_version: typeof PLAN_FORMAT_VERSION;
  readonly created_at: string;
  readonly config: { readonly file: string; readonly sha256: string };
  readonly summary: Readonly<Record<Action, number>>;
  readonly applyable: boolean;
  readonly has_changes: boolean;
  readonly rollout: Readonly<Record<string, RolloutDocument>>;
  readonly changes: readonly ChangeDocument[];
  /** The run's limits and this plan's count against them; absent when none is set. */
  readonly limits?: LimitsDocument;
  /** Absent in plans saved before it was added. */
  readonly providers?: readonly ProviderDocument[];
}

/** `limits` on the wire: the same names (already one word each). */
export type LimitsDocument = PlanLimits;

const RECORD_KEYS: Readonly<Record<string, string>> = {
  keyPair: "key_pair",
  userData: "user_data",
  rebootToken: "reboot_token",
};
const RECORD_KEYS_BACK: Readonly<Record<string, string>> = invert(RECORD_KEYS);

function invert(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [v, k]));
}

/** Field paths on the wire: `keyPair` → `key_pair`, `userData` → `user_data`; metadata keys are the user's and stay as they are. */
export function fieldPathToDocument(path: FieldPath): string {
  if (path.startsWith("metadata.")) return path;
  return RECORD_KEYS[path] ?? path;
}

export function fieldPathFromDocument(path: string): FieldPath {
  if (path.startsWith("metadata.")) return path as FieldPath;
  return (RECORD_KEYS_BACK[path] ?? path) as FieldPath;
}

function renameKeys(
  record: Readonly<Record<string, unknown>>,
  names: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [names[key] ?? key, value]));
}

/** A field on the wire: its path renamed, a sensitive value replaced by the marker (the one redaction of field values). */
export function fieldDocument(field: FieldChange): FieldDocument {
  return {
    path: fieldPathToDocument(field.path),
    before: field.sensitive ? REDACTED : field.before,
    after: field.sensitive ? REDACTED : field.after,
    sensitive: field.sensitive,
  };
}

/** Belt and braces: a record value for a field marked sensitive is replaced even if the planner forgot. */
function redactRecord(
  record: Readonly<Record<string, unknown>>,
  sensitive: ReadonlySet<string>,
): Record<string, unknown> {
  const out = renameKeys(record, RECORD_KEYS);
  for (const key of Object.keys(out)) if (sensitive.has(key)) out[key] = REDACTED;
  return out;
}

export function changeDocument(change: InstanceChange): ChangeDocument {
  const sensitive = new Set(change.fields.filter((f) => f.sensitive).map((f) => fieldPathToDocument(f.path)));
  const before = redactRecord(change.before, sensitive);
  const after = redactRecord(change.after, sensitive);
  return {
    address: change.address,
    provider: change.provider,
    id: change.id,
    name: change.name,
    group: change.group,
    action: change.action,
    impact: change.impact,
    downtime: change.impact !== "none",
    steps: change.steps.map(stepDocument),
    fields: change.fields.map(fieldDocument),
    before,
    after,
    patch: jsonPatch.compare(before, after) as PatchOperation[],
    reasons: change.reasons.map((r) =>
      r.field === undefined ? { message: r.message } : { field: fieldPathToDocument(r.field), message: r.message },
    ),
    considered: (change.considered ?? []).map((c) => ({ action: c.action, impact: c.impact, why: c.why })),
    ...(change.blocked === undefined ? {} : { blocked: { by: change.blocked.by, message: change.blocked.message } }),
    unknowns: change.unknowns.map((u) => ({ field: fieldPathToDocument(u.field), reason: u.reason })),
    fingerprint: change.fingerprint,
    source: { file: change.source.file, line: change.source.line, column: change.source.column },
  };
}

function gateDocument(gate: ReadinessGate): GateDocument {
  if (gate.type === "tcp")
    return { type: "tcp", port: gate.port, timeout_ms: gate.timeoutMs, interval_ms: gate.intervalMs };
  return {
    type: "http",
    // A gate that logs in keeps its credentials in the fleet file: the plan shows a marker instead.
    url: withoutCredentials(gate.url, REDACTED),
    ...(gate.expectStatus === undefined ? {} : { expect_status: gate.expectStatus }),
    timeout_ms: gate.timeoutMs,
    interval_ms: gate.intervalMs,
  };
}

function gateFromDocument(gate: GateDocument): ReadinessGate {
  if (gate.type === "tcp")
    return { type: "tcp", port: gate.port, timeoutMs: gate.timeout_ms, intervalMs: gate.interval_ms };
  return {
    type: "http",
    url: gate.url,
    ...(gate.expect_status === undefined ? {} : { expectStatus: gate.expect_status }),
    timeoutMs: gate.timeout_ms,
    intervalMs: gate.interval_ms,
  };
}

/** A group's rollout policy on the wire; the one form saved and fresh policies are compared in. */
export function rolloutDocument(policy: RolloutPolicy): RolloutDocument {
  return {
    parallelism: policy.parallelism,
    max_unavailable: policy.maxUnavailable,
    canary: policy.canary,
    on_failure: policy.onFailure,
    ...(policy.maxFailures === undefined ? {} : { max_failures: policy.maxFailures }),
    ...(policy.pauseMs === undefined ? {} : { pause_ms: policy.pauseMs }),
    ...(policy.canaryApproval === undefined ? {} : { canary_approval: policy.canaryApproval }),
    ...(policy.gate ? { gate: gateDocument(policy.gate) } : {}),
    ...(policy.timeoutsMs === undefined ? {} : { timeouts_ms: { ...policy.timeoutsMs } }),
    ...(policy.checkpoints === undefined ? {} : { checkpoints: [...policy.checkpoints] }),
    ...(policy.bakeMs === undefined ? {} : { bake_ms: policy.bakeMs }),
    ...(policy.maxUnhealthy === undefined ? {} : { max_unhealthy: policy.maxUnhealthy }),
  };
}

function rolloutFromDocument(doc: RolloutDocument): RolloutPolicy {
  return {
    parallelism: doc.parallelism,
    maxUnavailable: doc.max_unavailable,
    canary: doc.canary,
    onFailure: doc.on_failure,
    ...(doc.max_failures === undefined ? {} : { maxFailures: doc.max_failures }),
    ...(doc.pause_ms === undefined ? {} : { pauseMs: doc.pause_ms }),
    ...(doc.canary_approval === undefined ? {} : { canaryApproval: doc.canary_approval }),
    ...(doc.gate ? { gate: gateFromDocument(doc.gate) } : {}),
    ...(doc.timeouts_ms === undefined ? {} : { timeoutsMs: { ...doc.timeouts_ms } }),
    ...(doc.checkpoints === undefined ? {} : { checkpoints: [...doc.checkpoints] }),
    ...(doc.bake_ms === undefined ? {} : { bakeMs: doc.bake_ms }),
    ...(doc.max_unhealthy === undefined ? {} : { maxUnhealthy: doc.max_unhealthy }),
  };
}

/**
 * The plan's document. `keep` leaves the other changes out, for a renderer that shows only some servers and counts
 * the rest from `summary` (the text's `shownInText`): at 100,000 servers, most of them unchanged, building a document
 * per server is most of the rendering. Such a document is for rendering only, never saved.
 */
export function toPlanDocument(plan: Plan, keep?: (change: InstanceChange) => boolean): PlanDocument {
  return {
    format_version: plan.formatVersion,
    created_at: plan.createdAt,
    config: { file: plan.configFile, sha256: plan.configSha256 },
    summary: { ...plan.summary },
    applyable: plan.applyable,
    has_changes: plan.hasChanges,
    rollout: Object.fromEntries(
      Object.entries(plan.rollout).map(([group, policy]) => [group, rolloutDocument(policy)]),
    ),
    changes: (keep ? plan.changes.filter(keep) : plan.changes).map(changeDocument),
    ...(plan.limits?.reprovision === undefined ? {} : { limits: { reprovision: { ...plan.limits.reprovision } } }),
    providers: (plan.providers ?? []).map((p) => ({
      name: p.name,
      type: p.type,
      endpoints: p.endpoints.map((e) => ({ service: e.service, url: e.url, source: e.source })),
    })),
  };
}

function changeFromDocument(doc: ChangeDocument): InstanceChange {
  return {
    address: doc.address,
    provider: doc.provider,
    id: doc.id,
    name: doc.name,
    group: doc.group,
    action: doc.action,
    impact: doc.impact,
    steps: doc.steps.map(stepFromDocument),
    fields: doc.fields.map((f) => ({
      path: fieldPathFromDocument(f.path),
      before: f.before,
      after: f.after,
      sensitive: f.sensitive,
    })),
    reasons: doc.reasons.map((r) =>
      r.field === undefined ? { message: r.message } : { field: fieldPathFromDocument(r.field), message: r.message },
    ),
    considered: (doc.considered ?? []).map((c) => ({ ...c })),
    ...(doc.blocked === undefined ? {} : { blocked: { ...doc.blocked } }),
    unknowns: doc.unknowns.map((u) => ({ field: fieldPathFromDocument(u.field), reason: u.reason })),
    fingerprint: doc.fingerprint,
    before: renameKeys(doc.before, RECORD_KEYS_BACK),
    after: renameKeys(doc.after, RECORD_KEYS_BACK),
    source: { ...doc.source },
  };
}

/**
 * The inverse of `toPlanDocument`, for `reform show` and `reform apply PLANFILE`.
 * The caller validates the document against `schemas/plan.schema.json` first.
 */
export function fromPlanDocument(doc: PlanDocument): Plan {
  return {
    formatVersion: doc.format_version,
    createdAt: doc.created_at,
    configFile: doc.config.file,
    configSha256: doc.config.sha256,
    changes: doc.changes.map(changeFromDocument),
    summary: { ...doc.summary },
    rollout: Object.fromEntries(Object.entries(doc.rollout).map(([group, p]) => [group, rolloutFromDocument(p)])),
    applyable: doc.applyable,
    hasChanges: doc.has_changes,
    ...(doc.limits?.reprovision === undefined ? {} : { limits: { reprovision: { ...doc.limits.reprovision } } }),
    providers: (doc.providers ?? []).map((p) => ({
      name: p.name,
      type: p.type as ProviderType,
      endpoints: p.endpoints.map((e) => ({ ...e })),
    })),
  };
}
