import type { InstanceChange, Reason, StepKind } from "../model/index.js";
import { formatLocation, isReprovisionStep } from "../model/index.js";
import { didYouMean } from "../model/suggest.js";

/** A key pair a change's reprovisioning step sends, and that step. */
export interface NamedKeyPair {
  readonly name: string;
  readonly step: StepKind;
}

/** The key pairs a change's steps send to the cloud (a key pair the fleet file sets; one kept from the server is not checked). */
export function keyPairsNamed(change: InstanceChange): NamedKeyPair[] {
  return change.steps.flatMap((step) =>
    isReprovisionStep(step) && typeof step.params.keyPair === "string"
      ? [{ name: step.params.keyPair, step: step.kind }]
      : [],
  );
}

/**
 * The reason a change cannot run: it names a key pair the cloud does not have for this caller; with the one meant when
 * the name is a likely typo of one of the caller's (`known`, when the cloud listed them).
 */
export function missingKeyPair(change: InstanceChange, missing: NamedKeyPair, known: readonly string[] = []): Reason {
  const what = `spec.keyPair of ${change.address}, needed by its ${missing.step}`;
  return {
    field: "keyPair",
    message: `${formatLocation(change.source)}: key pair "${missing.name}" does not exist on provider ${change.provider} (${what})${didYouMean(missing.name, known)}`,
  };
}
