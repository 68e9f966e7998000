import type { FieldPath } from "../model/change.js";
import type { DesiredSpec } from "../model/desired.js";
import { DEFAULT_CHANGE_POLICY } from "../model/desired.js";
import { effectivePower } from "../plan/facts.js";
import { appliedSha256Of, desiredUserDataSha256, normalizeObservedSha } from "../plan/fingerprint.js";
import type { DriftInput } from "./drift.js";

/** Most candidate digests tried per server: the search is bounded whatever the fleet file holds. */
const MAX_CANDIDATES = 4096;

const ABSENT = Symbol("absent");
type Value = unknown;

interface Slot {
  readonly key: string;
  readonly options: readonly Value[];
}

/**
 * Could the server, as observed, be exactly what reform last applied? The annotation digests the managed
 * state of the configuration at that apply, which is gone; what is known is that values the configuration
 * changed since then are, without drift, still the observed ones. What is not known is which fields were
 * managed then, and the values of fields silenced by `--ignore`: every plausible combination is digested
 * and compared with the annotation (bounded by MAX_CANDIDATES).
 */
export function appliedCandidatesMatch(input: DriftInput, applied: string): boolean {
  const slots = candidateSlots(input);
  let tried = 0;
  const visit = (index: number, chosen: Map<string, Value>): boolean => {
    if (tried >= MAX_CANDIDATES) return false;
    const slot = slots[index];
    if (slot === undefined) {
      tried += 1;
      return digest(chosen) === applied;
    }
    for (const option of slot.options) {
      chosen.set(slot.key, option);
      if (visit(index + 1, chosen)) return true;
    }
    chosen.delete(slot.key);
    return false;
  };
  return visit(0, new Map());
}

function candidateSlots(input: DriftInput): Slot[] {
  const { desired, observed, change } = input;
  const spec = desired.spec;
  const differs = new Set<FieldPath>(change.fields.map((f) => f.path));
  const ignored = (path: FieldPath) => input.ignore.field(path);
  const seenUserData = observed.userDataSha256.known
    ? normalizeObservedSha(observed.userDataSha256.value)
    : (observed.annotations.userDataSha256 ?? desiredUserDataSha256(spec));
  const slots: Slot[] = [
    topSlot(
      "image",
      spec.image !== undefined,
      observed.imageId === "" ? input.imageId : observed.imageId,
      ignored("image") ? input.imageId : ABSENT,
    ),
    topSlot("keyPair", spec.keyPair !== undefined, observed.keyPair, ignored("keyPair") ? spec.keyPair : ABSENT),
    topSlot(
      "userData",
      spec.userData !== undefined,
      seenUserData,
      ignored("userData") ? desiredUserDataSha256(spec) : ABSENT,
    ),
    topSlot("power", spec.power !== undefined, effectivePower(observed), ignored("power") ? spec.power : ABSENT),
  ];
  return [...slots, ...metadataSlots(input, differs)];
}

/**
 * The metadata map may have been managed at the last apply even if it is not now, and then with keys the
 * configuration no longer names: without drift those keys are still on the server with the applied values.
 * Keys managed now are tried first as seen, keys only seen on the server first as not managed.
 */
function metadataSlots(input: DriftInput, differs: ReadonlySet<FieldPath>): Slot[] {
  const { observed, change } = input;
  const managed = input.desired.spec.metadata;
  const slots: Slot[] = [{ key: "metadata", options: managed === undefined ? [ABSENT, true] : [true, ABSENT] }];
  const removed = change.fields
    .filter((f) => f.path.startsWith("metadata.") && f.after === null)
    .map((f) => f.path.slice("metadata.".length));
  const keys = [...new Set([...Object.keys(managed ?? {}), ...removed, ...Object.keys(observed.metadata)])].sort();
  for (const key of keys) {
    const path: FieldPath = `metadata.${key}`;
    const seen = Object.hasOwn(observed.metadata, key) ? observed.metadata[key] : ABSENT;
    const managedNow = managed !== undefined && Object.hasOwn(managed, key);
    const options: Value[] = managedNow || removed.includes(key) ? [seen] : [ABSENT, seen];
    if (differs.has(path) || removed.includes(key)) options.push(ABSENT);
    if (input.ignore.field(path) && managed && managedNow) options.push(managed[key]);
    slots.push({ key: path, options: unique(options) });
  }
  return slots;
}

/** A top-level field: its observed value, or not managed at the last apply; plus the desired value when ignored. */
function topSlot(key: string, managedNow: boolean, seen: Value, ignoredValue: Value): Slot {
  const options = managedNow ? [seen, ABSENT] : [ABSENT, seen];
  if (ignoredValue !== ABSENT && ignoredValue !== undefined) options.push(ignoredValue);
  return { key, options: unique(options) };
}

function unique(values: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of values) if (!out.some((o) => o === v)) out.push(v);
  return out;
}

/** The candidate as a spec, digested with the very function that wrote the annotation. */
function digest(chosen: ReadonlyMap<string, Value>): string {
  const present = (key: string) => chosen.has(key) && chosen.get(key) !== ABSENT && chosen.get(key) !== undefined;
  const metadata: Record<string, string> = {};
  for (const [key, value] of chosen) {
    if (key.startsWith("metadata.") && typeof value === "string") metadata[key.slice("metadata.".length)] = value;
  }
  const imageId = present("image") ? String(chosen.get("image")) : undefined;
  const userData = chosen.get("userData");
  const spec: DesiredSpec = {
    metadataPolicy: "merge",
    ignoreMetadata: [],
    changePolicy: DEFAULT_CHANGE_POLICY,
    ...(imageId !== undefined ? { image: { id: imageId } } : {}),
    ...(chosen.has("keyPair") && chosen.get("keyPair") !== ABSENT
      ? { keyPair: chosen.get("keyPair") as string | null }
      : {}),
    ...(present("metadata") ? { metadata } : {}),
    ...(present("userData")
      ? { userData: { content: "", sha256: String(userData), sensitive: false, origin: "inline" as const } }
      : {}),
    ...(present("power") ? { power: chosen.get("power") as "running" | "stopped" } : {}),
  };
  return appliedSha256Of(spec, imageId);
}
