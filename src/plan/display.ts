import type { Facts } from "./facts.js";
import { desiredUserDataDisplay, observedUserDataDisplay } from "./wording.js";

export interface DisplayRecords {
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
}

/**
 * Before (observed) and after (what the configuration asks) for the managed fields, for display and
 * for the JSON patch. Sensitive user_data is a marker on both sides; annotations are not shown.
 */
export function displayRecords(f: Facts): DisplayRecords {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const { spec, observed } = f;
  if (spec.image !== undefined) {
    const desiredImage = f.input.image?.id === observed.imageId ? f.input.image : undefined;
    const current = f.input.observedImage?.id === observed.imageId ? f.input.observedImage : desiredImage;
    before.image =
      observed.imageId === "" ? null : current ? { id: current.id, name: current.name } : { id: observed.imageId };
    after.image = f.input.image === undefined ? null : { id: f.input.image.id, name: f.input.image.name };
  }
  if (spec.keyPair !== undefined) {
    before.keyPair = observed.keyPair;
    after.keyPair = spec.keyPair;
  }
  if (spec.metadata !== undefined) {
    before.metadata = { ...observed.metadata };
    after.metadata = metadataAfter(before.metadata as Readonly<Record<string, string>>, f);
  }
  if (spec.userData !== undefined) {
    before.userData = observedUserDataDisplay(spec, observed);
    after.userData = desiredUserDataDisplay(spec);
  }
  if (spec.power !== undefined) {
    before.power = observed.power;
    after.power = spec.power;
  }
  if (spec.reboot !== undefined) {
    before.rebootToken = observed.annotations.rebootToken ?? null;
    after.rebootToken = spec.reboot.token;
  }
  return { before, after };
}

/** The metadata once the plan has run; the records share one object when nothing changes (most servers of a plan). */
function metadataAfter(
  before: Readonly<Record<string, string>>,
  f: Pick<Facts, "metadataSet" | "metadataRemove">,
): Readonly<Record<string, string>> {
  const set = Object.entries(f.metadataSet);
  if (set.length === 0 && f.metadataRemove.length === 0) return before;
  const removed = new Set(f.metadataRemove);
  return Object.fromEntries([...Object.entries(before).filter(([key]) => !removed.has(key)), ...set]);
}
