import type { InstanceAddress } from "../model/address.js";
import type { InstanceChange, Reason } from "../model/change.js";
import type { DesiredInstance, FleetRoot } from "../model/desired.js";
import type { ProviderAdapter, ProviderCapabilities } from "../model/provider.js";
import { keyPairsNamed, missingKeyPair } from "../plan/key-pairs.js";
import type { PlanInputSources } from "./step-inputs.js";
import { checkStepInputs } from "./step-inputs.js";

/**
 * The plan-time preflight, for every change that would run steps: the secrets and user_data its steps send must
 * resolve (values dropped at once) and the key pairs they name must exist (asked of each cloud, once per name,
 * where key pairs belong to the project rather than to the calling user).
 * Returns the problems per server; the planner's own checks (images, states) have been made already.
 */
export async function preflightChanges(
  changes: readonly InstanceChange[],
  desired: ReadonlyMap<InstanceAddress, DesiredInstance>,
  context: {
    readonly adapters: ReadonlyMap<string, ProviderAdapter>;
    readonly capabilities: ReadonlyMap<string, ProviderCapabilities>;
    readonly sources: PlanInputSources;
    readonly root: FleetRoot;
    readonly signal: AbortSignal;
  },
): Promise<Map<InstanceAddress, Reason[]>> {
  const problems = await checkStepInputs(changes, desired, context.sources, context.root);
  // Key pairs of the caller: the planning user is not always the applying one, so apply looks them up (as that user).
  const sharedKeyPairs = changes.filter((c) => context.capabilities.get(c.provider)?.keyPairsOfCaller !== true);
  for (const [address, reasons] of await checkKeyPairs(sharedKeyPairs, context.adapters, context.signal)) {
    problems.set(address, [...(problems.get(address) ?? []), ...reasons]);
  }
  return problems;
}

/**
 * Key pairs the steps name that the cloud does not have. A provider whose key pairs cannot be listed (a role without
 * that permission) is not checked: the cloud's refusal then stops the step, and apply starts a stopped server again.
 */
async function checkKeyPairs(
  changes: readonly InstanceChange[],
  adapters: ReadonlyMap<string, ProviderAdapter>,
  signal: AbortSignal,
): Promise<Map<InstanceAddress, Reason[]>> {
  const names = new Map<string, Set<string>>();
  for (const change of changes)
    for (const named of keyPairsNamed(change))
      names.set(change.provider, (names.get(change.provider) ?? new Set()).add(named.name));
  const existing = new Map<string, ReadonlySet<string>>();
  const known = new Map<string, readonly string[]>();
  for (const [provider, wanted] of names) {
    const adapter = adapters.get(provider);
    const found = await adapter?.findKeyPairs([...wanted].sort(), signal).catch(() => undefined);
    if (found) existing.set(provider, found);
    // Only when one is missing: the caller's key pairs, for the message to name the one meant.
    if (found && [...wanted].some((name) => !found.has(name)))
      known.set(provider, (await adapter?.keyPairNames?.(signal).catch(() => undefined)) ?? []);
  }
  const problems = new Map<InstanceAddress, Reason[]>();
  for (const change of changes) {
    const found = existing.get(change.provider);
    const missing = found ? keyPairsNamed(change).filter((k) => !found.has(k.name)) : [];
    if (missing.length > 0)
      problems.set(
        change.address,
        missing.map((k) => missingKeyPair(change, k, known.get(change.provider))),
      );
  }
  return problems;
}
