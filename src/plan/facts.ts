import type {
  DesiredInstance,
  DesiredSpec,
  FieldChange,
  FieldPath,
  ObservedInstance,
  PowerState,
  ProviderCapabilities,
  Reason,
} from "../model/index.js";
import { isAnnotationKey } from "../model/index.js";
import { desiredUserDataSha256, normalizeObservedSha } from "./fingerprint.js";
import { globMatcher } from "../model/globs.js";
import type { PlanInstanceInput } from "./plan-instance.js";
import { describeValue, imageChangeText, imageUnknownReason, shortSha, userDataDisplay } from "./wording.js";

export interface Unknown {
  readonly field: FieldPath;
  readonly reason: string;
}

/** Everything the rules decide on: what differs, what is unknown, what is refused. Computed once, read-only. */
export interface Facts {
  readonly input: PlanInstanceInput;
  readonly address: string;
  readonly spec: DesiredSpec;
  readonly observed: ObservedInstance;
  readonly caps: ProviderCapabilities;
  /** The desired image id (managed and resolved). */
  readonly imageId: string | undefined;
  readonly imageChanged: boolean;
  readonly keyPairChanged: boolean;
  /** A user_data change that asks for reprovisioning (not ignored by policy). */
  readonly userDataChanged: boolean;
  readonly userDataKnownEqual: boolean;
  readonly userDataUnknown: boolean;
  /** user_data differs but policy says ignore: never sent, never recorded. */
  readonly userDataIgnored: boolean;
  readonly metadataSet: Readonly<Record<string, string>>;
  readonly metadataRemove: readonly string[];
  readonly rebootPending: boolean;
  readonly rebootUnknown: boolean;
  readonly powerChanged: boolean;
  /** Power now: the observed state, or one inferred from the status when the cloud does not say. */
  readonly power: PowerState;
  /** Power the server should end in. */
  readonly wantPower: PowerState;
  readonly inError: boolean;
  readonly fields: readonly FieldChange[];
  readonly unknowns: readonly Unknown[];
  /** Refusals (policy `fail`, values the cloud rejects): the change becomes an `error`. */
  readonly errors: readonly Reason[];
  /** Decisions that are not changes but deserve a word (ignored by policy). */
  readonly notes: readonly Reason[];
}

interface Collector {
  readonly fields: FieldChange[];
  readonly unknowns: Unknown[];
  readonly errors: Reason[];
  readonly notes: Reason[];
}

export function gatherFacts(input: PlanInstanceInput): Facts {
  const { desired, observed, capabilities: caps } = input;
  const spec = desired.spec;
  const c: Collector = { fields: [], unknowns: [], errors: [], notes: [] };
  const image = imageFacts(input, c);
  const keyPairChanged = keyPairFacts(desired, observed, c);
  const userData = userDataFacts(desired, observed, c);
  const metadata = metadataFacts(desired, observed, caps, c);
  const reboot = rebootFacts(desired, observed, caps, c);
  const powerChanged = powerFacts(spec, observed, c);
  const power = effectivePower(observed);
  return {
    input,
    address: desired.address,
    spec,
    observed,
    caps,
    imageId: input.image?.id,
    imageChanged: image,
    keyPairChanged,
    userDataChanged: userData.changed,
    userDataKnownEqual: userData.knownEqual,
    userDataUnknown: userData.unknown,
    userDataIgnored: userData.ignored,
    metadataSet: metadata.set,
    metadataRemove: metadata.remove,
    rebootPending: reboot.pending,
    rebootUnknown: reboot.unknown,
    powerChanged,
    power,
    // An unknown power state is never acted on: the server ends as it is.
    wantPower: observed.power === "unknown" ? power : (spec.power ?? power),
    inError: observed.status === "error",
    ...c,
  };
}

/** The cloud does not always say whether a server runs: infer it from the status (only a stopped status means stopped). */
export function effectivePower(observed: ObservedInstance): PowerState {
  if (observed.power !== "unknown") return observed.power;
  return observed.status === "stopped" ? "stopped" : "running";
}

function imageFacts(input: PlanInstanceInput, c: Collector): boolean {
  const { desired, observed, image } = input;
  const ref = desired.spec.image;
  if (ref === undefined) return false;
  if (image === undefined) {
    const wanted = "id" in ref ? `id ${ref.id}` : `name ${ref.name}`;
    c.errors.push({ field: "image", message: `${desired.address}: image ${wanted} was not resolved to an image` });
    return false;
  }
  if (observed.imageId === "") {
    c.unknowns.push({ field: "image", reason: imageUnknownReason(observed) });
    return false;
  }
  if (observed.imageId === image.id) return false;
  const current = input.observedImage?.id === observed.imageId ? input.observedImage : undefined;
  const text = imageChangeText(current ?? observed.imageId, image);
  c.fields.push({ path: "image", before: current?.name ?? observed.imageId, after: image.name, sensitive: false });
  if (desired.spec.changePolicy.onImageChange === "fail") {
    c.errors.push({
      field: "image",
      message: `${desired.address}: image change ${text} refused by policy onImageChange: fail`,
    });
  }
  return true;
}

function keyPairFacts(desired: DesiredInstance, observed: ObservedInstance, c: Collector): boolean {
  const wanted = desired.spec.keyPair;
  if (wanted === undefined || wanted === observed.keyPair) return false;
  c.fields.push({ path: "keyPair", before: observed.keyPair, after: wanted, sensitive: false });
  if (desired.spec.changePolicy.onKeyPairChange === "fail") {
    const text = `${describeValue(observed.keyPair)} → ${describeValue(wanted)}`;
    c.errors.push({
      field: "keyPair",
      message: `${desired.address}: key pair change ${text} refused by policy onKeyPairChange: fail`,
    });
  }
  return true;
}

function userDataFacts(
  desired: DesiredInstance,
  observed: ObservedInstance,
  c: Collector,
): { readonly changed: boolean; readonly knownEqual: boolean; readonly unknown: boolean; readonly ignored: boolean } {
  const none = { changed: false, knownEqual: false, unknown: false, ignored: false };
  const wanted = desiredUserDataSha256(desired.spec);
  if (wanted === undefined) return none;
  const seen = observed.userDataSha256;
  if (!seen.known) {
    c.unknowns.push({ field: "userData", reason: seen.reason });
    return { ...none, unknown: true };
  }
  const before = normalizeObservedSha(seen.value);
  if (before === wanted) return { ...none, knownEqual: true };
  // A digest of sensitive content could be brute-forced from a known template: not shown in messages.
  const shas =
    desired.spec.userData?.sensitive === true ? "sensitive" : `sha256 ${shortSha(before)} → ${shortSha(wanted)}`;
  switch (desired.spec.changePolicy.onUserDataChange) {
    case "ignore":
      c.notes.push({
        field: "userData",
        message: `user_data differs (${shas}) but is ignored by policy onUserDataChange: ignore`,
      });
      return { ...none, ignored: true };
    case "fail":
      c.fields.push(userDataDisplay(desired.spec, observed));
      c.errors.push({
        field: "userData",
        message: `${desired.address}: user_data change (${shas}) refused by policy onUserDataChange: fail`,
      });
      return { ...none, changed: true };
    case "rebuild":
      c.fields.push(userDataDisplay(desired.spec, observed));
      return { ...none, changed: true };
  }
}

function metadataFacts(
  desired: DesiredInstance,
  observed: ObservedInstance,
  caps: ProviderCapabilities,
  c: Collector,
): { readonly set: Readonly<Record<string, string>>; readonly remove: readonly string[] } {
  const managed = desired.spec.metadata;
  if (managed === undefined) return { set: {}, remove: [] };
  const set: [string, string][] = [];
  for (const [key, value] of Object.entries(managed)) {
    if (isAnnotationKey(key)) {
      c.errors.push({
        field: `metadata.${key}`,
        message: `${desired.address}: metadata key "${key}" is reserved for reform's annotations`,
      });
      continue;
    }
    const before = Object.hasOwn(observed.metadata, key) ? observed.metadata[key] : undefined;
    if (before === value) continue;
    set.push([key, value]);
    c.fields.push({ path: `metadata.${key}`, before: before ?? null, after: value, sensitive: false });
    if (value.length > caps.maxMetadataValueLength) {
      const message = `${desired.address}: metadata "${key}" is ${value.length} characters long; the cloud accepts at most ${caps.maxMetadataValueLength}`;
      c.errors.push({ field: `metadata.${key}`, message });
    }
  }
  return { set: Object.fromEntries(set), remove: metadataRemovals(desired, observed, caps, c) };
}

function metadataRemovals(
  desired: DesiredInstance,
  observed: ObservedInstance,
  caps: ProviderCapabilities,
  c: Collector,
): string[] {
  const managed = desired.spec.metadata ?? {};
  if (desired.spec.metadataPolicy !== "exact") return [];
  const ignored = globMatcher(desired.spec.ignoreMetadata);
  const system = globMatcher(caps.systemMetadataKeys);
  const remove: string[] = [];
  for (const [key, value] of Object.entries(observed.metadata)) {
    if (Object.hasOwn(managed, key) || isAnnotationKey(key) || ignored(key) || system(key)) continue;
    remove.push(key);
    c.fields.push({ path: `metadata.${key}`, before: value, after: null, sensitive: false });
  }
  return remove.sort();
}

function rebootFacts(
  desired: DesiredInstance,
  observed: ObservedInstance,
  caps: ProviderCapabilities,
  c: Collector,
): { readonly pending: boolean; readonly unknown: boolean } {
  const reboot = desired.spec.reboot;
  if (reboot === undefined) return { pending: false, unknown: false };
  if (reboot.token.length > caps.maxMetadataValueLength) {
    const message = `${desired.address}: the reboot token is ${reboot.token.length} characters long; the cloud's metadata accepts at most ${caps.maxMetadataValueLength}`;
    c.errors.push({ field: "reboot", message });
  }
  const recorded = observed.annotations.rebootToken;
  if (recorded === undefined) {
    const reason =
      "no reboot token recorded yet; the next step that touches the server records it, `apply --adopt` records it alone";
    c.unknowns.push({ field: "reboot", reason });
    return { pending: false, unknown: true };
  }
  if (recorded === reboot.token) return { pending: false, unknown: false };
  c.fields.push({ path: "reboot", before: recorded, after: reboot.token, sensitive: false });
  return { pending: true, unknown: false };
}

function powerFacts(spec: DesiredSpec, observed: ObservedInstance, c: Collector): boolean {
  if (spec.power === undefined) return false;
  if (observed.power === "unknown") {
    c.unknowns.push({
      field: "power",
      reason: `the cloud does not report the power state (status ${observed.rawStatus})`,
    });
    return false;
  }
  if (observed.power === spec.power) return false;
  c.fields.push({ path: "power", before: observed.power, after: spec.power, sensitive: false });
  return true;
}
