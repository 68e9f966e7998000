import type { InstanceAddress } from "../model/address.js";
import type { DesiredInstance, RolloutPolicy } from "../model/desired.js";
import { canonicalJson, sha256Hex } from "../model/canonical-json.js";
import { desiredUserDataSha256 } from "../plan/fingerprint.js";
import type { JournalEntry } from "./journal.js";
import { canaryRecords } from "./journal.js";

/**
 * Digest of what a group asks of its servers: the distinct desired specs (user_data by digest, secrets by reference).
 * Canaries approved for one configuration are approved for it only; a changed spec needs new canaries.
 */
export function groupConfigDigest(members: readonly DesiredInstance[]): string {
  const specs = new Set(
    members.map((d) =>
      canonicalJson({
        image: d.spec.image,
        keyPair: d.spec.keyPair,
        metadata: d.spec.metadata,
        metadataPolicy: d.spec.metadataPolicy,
        userData: desiredUserDataSha256(d.spec),
        reboot: d.spec.reboot,
        power: d.spec.power,
      }),
    ),
  );
  return sha256Hex(canonicalJson([...specs].sort()));
}

/** How this run treats each group under `canaryApproval: manual`. */
export interface CanaryPlan {
  /** Policies to schedule with: no new canaries where earlier ones passed. */
  readonly policies: Readonly<Record<string, RolloutPolicy>>;
  /** Approved groups (earlier, or now by `--continue`). */
  readonly approved: Set<string>;
  /** Groups whose canaries passed earlier and wait for approval. */
  readonly held: ReadonlySet<string>;
  /** Group → configuration digest. */
  readonly configs: ReadonlyMap<string, string>;
  /** Approvals given by `--continue` now, to record. */
  readonly newlyApproved: readonly string[];
}

/**
 * Reads the journal's canary records for the groups this run changes: a group whose canaries passed for this same
 * configuration gets no new canaries; it is approved if a user approved it (now with `--continue`, or before), else held.
 */
export function planCanaries(
  policies: Readonly<Record<string, RolloutPolicy>>,
  groups: ReadonlyMap<string, readonly DesiredInstance[]>,
  journal: readonly JournalEntry[],
  approveNow: boolean,
): CanaryPlan {
  const records = canaryRecords(journal);
  const effective: Record<string, RolloutPolicy> = { ...policies };
  const approved = new Set<string>();
  const held = new Set<string>();
  const configs = new Map<string, string>();
  const newlyApproved: string[] = [];
  for (const [group, members] of groups) {
    const policy = policies[group] ?? policies["default"];
    if (!policy || policy.canaryApproval !== "manual" || policy.canary === 0) continue;
    const config = groupConfigDigest(members);
    configs.set(group, config);
    const key = `${group}|${config}`;
    if (!records.passed.has(key) && !records.approved.has(key)) continue;
    effective[group] = { ...policy, canary: 0 };
    if (records.approved.has(key)) approved.add(group);
    else if (approveNow) {
      approved.add(group);
      newlyApproved.push(group);
    } else held.add(group);
  }
  return { policies: effective, approved, held, configs, newlyApproved };
}

/** The canaries of a group: its first `canary` servers in plan order. */
export function canariesOf(addresses: readonly InstanceAddress[], policy: RolloutPolicy): InstanceAddress[] {
  return addresses.slice(0, policy.canary);
}
