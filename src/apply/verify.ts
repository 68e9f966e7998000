import type { InstanceChange } from "../model/change.js";
import type { DesiredInstance } from "../model/desired.js";
import type { InstanceResult } from "../model/events.js";
import type { ObservedInstance } from "../model/observed.js";
import { isBusy } from "../model/observed.js";
import type { MetadataTarget } from "../model/action.js";
import { isReprovisionStep, powerAfter } from "../model/action.js";
import { annotationEntries } from "../model/annotations.js";

/**
 * Verify outcomes, not acceptance: compares a server read back after its last step with what the plan
 * set out to make true. A 202 or a job SUCCESS is necessary, never sufficient (Nova writes metadata and key
 * before a rebuild runs and does not roll them back, so status, task and image are checked too).
 */
export function verifyInstance(input: {
  readonly desired: DesiredInstance;
  readonly change: InstanceChange;
  readonly before: ObservedInstance;
  readonly after: ObservedInstance;
}): InstanceResult {
  const problems = [...statusProblems(input.after), ...specProblems(input)];
  return problems.length === 0
    ? { type: "converged" }
    : { type: "failed", why: `verification failed: ${problems.join("; ")}` };
}

function statusProblems(after: ObservedInstance): string[] {
  if (after.status === "error") return [`server is in ERROR${after.fault ? `: ${after.fault.message}` : ""}`];
  if (isBusy(after)) return [`server is still ${after.rawStatus}${after.task ? ` (task ${after.task})` : ""}`];
  if (after.status !== "active" && after.status !== "stopped") return [`server status is ${after.rawStatus}`];
  return [];
}

function specProblems(input: {
  desired: DesiredInstance;
  change: InstanceChange;
  before: ObservedInstance;
  after: ObservedInstance;
}): string[] {
  const { desired, change, before, after } = input;
  const spec = desired.spec;
  const problems: string[] = [];
  const reprovision = change.steps.find(isReprovisionStep);
  if (
    reprovision &&
    reprovision.params.imageId &&
    after.imageId !== "" &&
    after.imageId !== reprovision.params.imageId
  ) {
    problems.push(`image is ${after.imageId}, expected ${reprovision.params.imageId}`);
  }
  const rootVolume = reprovision?.params.rootVolumeId;
  if (rootVolume !== undefined && after.imageId === "") {
    problems.push(
      `the image of root volume ${rootVolume} could not be read back (${after.bootVolume?.unknownReason ?? "the server shows no image"})`,
    );
  } else if (rootVolume !== undefined && after.bootVolume?.id !== undefined && after.bootVolume.id !== rootVolume) {
    problems.push(
      `the server now boots from volume ${after.bootVolume.id}, not the re-imaged root volume ${rootVolume}`,
    );
  }
  if (reprovision && spec.keyPair !== undefined && after.keyPair !== spec.keyPair) {
    problems.push(`key pair is ${String(after.keyPair)}, expected ${String(spec.keyPair)}`);
  }
  if (reprovision && reprovision.params.userDataSha256 !== undefined && after.userDataSha256.known) {
    if (after.userDataSha256.value !== reprovision.params.userDataSha256)
      problems.push("user_data digest differs from the desired one");
  }
  const expectedPower = spec.power ?? (before.power === "unknown" ? undefined : powerAfter(change.steps, before.power));
  if (expectedPower !== undefined && after.power !== expectedPower)
    problems.push(`power is ${after.power}, expected ${expectedPower}`);
  problems.push(
    ...metadataProblems(
      { ...spec.metadata, ...lastMetadataTarget(change)?.set },
      lastMetadataTarget(change)?.remove ?? [],
      after,
    ),
  );
  return problems;
}

/** The metadata a change meant to write: the last step that writes metadata (managed keys are checked as well). */
function lastMetadataTarget(change: InstanceChange): MetadataTarget | undefined {
  let target: MetadataTarget | undefined;
  for (const step of change.steps) {
    if (
      step.kind === "update-metadata" ||
      step.kind === "rebuild" ||
      step.kind === "reinstall" ||
      step.kind === "changeos"
    ) {
      target = step.params.metadata;
    } else if (step.kind === "reboot" && step.params.metadata) {
      target = step.params.metadata;
    }
  }
  return target;
}

function metadataProblems(
  expected: Readonly<Record<string, string>>,
  removed: readonly string[],
  after: ObservedInstance,
): string[] {
  const actual: Record<string, string> = { ...after.metadata, ...annotationEntries(after.annotations) };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (actual[key] !== value)
      problems.push(`metadata ${key} is ${JSON.stringify(actual[key] ?? null)}, expected ${JSON.stringify(value)}`);
  }
  for (const key of removed) {
    if (key in actual) problems.push(`metadata ${key} should have been removed`);
  }
  return problems;
}
