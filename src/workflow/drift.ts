import type { InstanceChange } from "../model/change.js";
import type { Clock } from "../model/clock.js";
import type { DesiredFleet, DesiredInstance, ImageRef } from "../model/desired.js";
import type { DriftEntry, DriftReport, DriftStatus } from "../model/drift.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ProviderAdapter } from "../model/provider.js";
import { appliedSha256Of } from "../plan/fingerprint.js";
import { appliedCandidatesMatch } from "./drift-applied.js";
import { imageRefKey, resolveFleetImages } from "./observe.js";
import type { DriftIgnore } from "./patterns.js";
import { ignoreWarnings, parseIgnores } from "./patterns.js";
import { plan } from "./plan.js";

export interface DriftInput {
  readonly desired: DesiredInstance;
  readonly observed: ObservedInstance;
  /** The plan of this server, from the same observation. */
  readonly change: InstanceChange;
  /** The desired image id, resolved; undefined when the spec does not manage the image. */
  readonly imageId: string | undefined;
  readonly ignore: DriftIgnore;
}

/** Pure: one server's drift status from its plan, its observed state and the `reform.applied.sha256` annotation. */
export function classifyDrift(input: DriftInput): DriftEntry {
  const { change, observed, desired } = input;
  const ignoredFields = change.fields.filter((f) => input.ignore.field(f.path)).map((f) => f.path);
  const fields = change.fields.filter((f) => !input.ignore.field(f.path));
  const entry = (status: DriftStatus, reason: string): DriftEntry => ({
    address: change.address,
    provider: change.provider,
    id: change.id,
    name: change.name,
    status,
    reason,
    fields,
    ignoredFields,
    unknowns: change.unknowns,
    action: change.action,
  });
  // A changed reboot token is a request in the configuration, never something the server did.
  const live = fields.filter((f) => f.path !== "reboot");
  const tokenOnly = fields.length > live.length;
  const applied = observed.annotations.appliedSha256;
  if (applied === undefined) {
    return entry(
      "unknown",
      "never applied by reform (no reform.applied.sha256 annotation): not compared with a last apply",
    );
  }
  if (observed.status === "error" && !input.ignore.field("status")) {
    const fault = observed.fault ? `: ${observed.fault.message}` : "";
    return entry("drift", `the server is in ERROR${fault}`);
  }
  const names = live.map((f) => f.path).join(", ");
  if (applied === appliedSha256Of(desired.spec, input.imageId)) {
    if (live.length > 0)
      return entry(
        "drift",
        `reform converged this server to the current configuration; since then ${names} changed outside reform`,
      );
    if (tokenOnly) return entry("unapplied", "the reboot token changed in the configuration; not applied yet");
    return entry("in-sync", "matches what reform last applied, which is the current configuration");
  }
  if (live.length === 0) {
    if (tokenOnly) return entry("unapplied", "the reboot token changed in the configuration; not applied yet");
    return entry(
      "in-sync",
      "matches the current configuration (the configuration changed since the last apply without needing any action)",
    );
  }
  if (appliedCandidatesMatch(input, applied)) {
    return entry(
      "unapplied",
      `the configuration changed since the last apply (${names}); the server still matches what reform applied`,
    );
  }
  return entry(
    "drift",
    `the server no longer matches what reform last applied (${names} differ; the configuration changed since, too)`,
  );
}

export function summarizeDrift(entries: readonly DriftEntry[]): Record<DriftStatus, number> {
  const summary: Record<DriftStatus, number> = { drift: 0, unapplied: 0, "in-sync": 0, unknown: 0 };
  for (const e of entries) summary[e.status] += 1;
  return summary;
}

/** DESIGN §4: 0 in sync, 2 drift, 3 unapplied configuration changes only. (1, error, is the CLI's.) */
export function driftExitCode(report: Pick<DriftReport, "summary">): 0 | 2 | 3 {
  if (report.summary.drift > 0) return 2;
  if (report.summary.unapplied > 0) return 3;
  return 0;
}

export interface DriftRequest {
  readonly fleet: DesiredFleet;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** `--ignore` values. @default [] */
  readonly ignore?: readonly string[];
  /** Address globs; empty: every server. @default [] */
  readonly targets?: readonly string[];
}

/**
 * The shell: read-only by construction. It plans (capabilities, listInstances, resolveImages) and
 * resolves the desired images once more; it never starts a step.
 */
export async function drift(request: DriftRequest): Promise<DriftReport> {
  const ignoreList = request.ignore ?? [];
  const ignore = parseIgnores(ignoreList);
  const planned = await plan({
    fleet: request.fleet,
    adapters: request.adapters,
    clock: request.clock,
    signal: request.signal,
    targets: request.targets ?? [],
    wholeServers: true, // the applied digest (an annotation) is what drift compares with
  });
  const refs = new Map<string, ImageRef[]>();
  for (const d of planned.desired.values())
    if (d.spec.image) refs.set(d.provider, [...(refs.get(d.provider) ?? []), d.spec.image]);
  const images = await resolveFleetImages(refs, request.adapters, request.signal);
  const entries: DriftEntry[] = [];
  for (const change of planned.plan.changes) {
    if (ignore.address(change.address)) continue;
    const desired = planned.desired.get(change.address);
    const observed = planned.observed.get(change.address);
    if (!desired || !observed) continue;
    const found = desired.spec.image
      ? images.get(desired.provider)?.get(imageRefKey(desired.spec.image))?.result
      : undefined;
    const imageId = found?.type === "found" ? found.id : undefined;
    entries.push(classifyDrift({ desired, observed, change, imageId, ignore }));
  }
  entries.sort((a, b) => a.address.localeCompare(b.address));
  const warnings = [...planned.warnings, ...ignoreWarnings(ignoreList, [...planned.desired.keys()])];
  return {
    createdAt: planned.plan.createdAt,
    configFile: planned.plan.configFile,
    entries,
    summary: summarizeDrift(entries),
    ignore: [...ignoreList],
    warnings,
  };
}
