import type { Impact, StepKind } from "./action.js";
import type { InstanceAddress } from "./address.js";
import type { SecretRef } from "./secret.js";
import type { SourceLocation } from "./source.js";

/** The clouds reform speaks to; `sim` is the embedded emulator. */
export type ProviderType = "openstack" | "huaweicloud" | "jdcloud" | "sim";

/** A named cloud connection from the fleet file. `options` are the type-specific keys, validated by the schema. */
export interface ProviderConfig {
  readonly name: string;
  readonly type: ProviderType;
  readonly options: Readonly<Record<string, unknown>>;
  readonly source: SourceLocation;
}

/** An image as the fleet file names it: by id, or by a name resolved to one id at plan time. */
export type ImageRef = { readonly id: string } | { readonly name: string };

/** user_data as the fleet file gives it, decoded; compared by digest. */
export interface UserDataSpec {
  /** Decoded content (UTF-8 text). Never rendered when `sensitive`. */
  readonly content: string;
  /** sha256 hex of the normalized content (see plan/user-data.ts). */
  readonly sha256: string;
  readonly sensitive: boolean;
  readonly origin: "inline" | "file" | "base64";
}

/** How a reboot is sent: an ACPI request (SOFT) or a power cycle (HARD). */
export type RebootType = "SOFT" | "HARD";

/** A reboot requested by a new token: the server is rebooted once per token change. */
export interface RebootSpec {
  readonly token: string;
  readonly type: RebootType;
}

/** Whether the server should run. */
export type PowerState = "running" | "stopped";

/** What to do when a change needs a reprovisioning step: do it, or fail the plan for that server. */
export interface ChangePolicy {
  /** @default "rebuild" */
  readonly onImageChange: "rebuild" | "fail";
  /** @default "rebuild" */
  readonly onKeyPairChange: "rebuild" | "fail";
  /** @default "rebuild" */
  readonly onUserDataChange: "rebuild" | "ignore" | "fail";
  /** The most disruptive action allowed: a change that needs more is a plan error. @default "reprovision" */
  readonly maxDisruption: Impact;
  /** A changed server gets at least this: `reboot` reboots it after a metadata-only change. @default "none" */
  readonly minDisruption: Exclude<Impact, "reprovision">;
  /** Never reprovisioned (Terraform's prevent_destroy): a plan that would is an error. @default false */
  readonly protect: boolean;
}

/**
 * What the fleet file asks of one server. A field that is `undefined` is not managed:
 * reform neither reads it as drift nor changes it.
 */
export interface DesiredSpec {
  readonly image?: ImageRef;
  /** `null` asks for no key pair. */
  readonly keyPair?: string | null;
  /** Managed keys and their values. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** @default "merge" (manage declared keys only); "exact" also removes undeclared keys. */
  readonly metadataPolicy: "merge" | "exact";
  /** Globs of metadata keys that are never removed nor reported (only meaningful with "exact"). */
  readonly ignoreMetadata: readonly string[];
  /** `null` asks for no user_data. */
  readonly userData?: UserDataSpec | null;
  readonly reboot?: RebootSpec;
  readonly power?: PowerState;
  /** Only a reference: resolved when a step needs it. */
  readonly password?: SecretRef;
  readonly changePolicy: ChangePolicy;
}

/** How a group's servers are rolled: how many at once, canaries, failure budget, pauses, gates, timeouts. */
export interface RolloutPolicy {
  /** Most steps in flight at once for this group. @default 10 */
  readonly parallelism: number;
  /** Most servers of the group in a downtime step at once: a count or "N%". @default "100%" */
  readonly maxUnavailable: number | string;
  /** Servers done first, alone, before the rest. @default 0 */
  readonly canary: number;
  /**
   * What a failure does: `halt` stops the rollout once the failure budget is spent; `continue` keeps going; `rollback`
   * halts like `halt`, then takes every server of the group this run changed back to its before-state. @default "halt"
   */
  readonly onFailure: "halt" | "continue" | "rollback";
  /**
   * Failures tolerated before the rollout halts: a count or "N%" of the group.
   * @default 0 under `onFailure: halt` and `rollback`, unlimited under `continue`
   */
  readonly maxFailures?: number | string;
  /** Time between batches (ms): with a pause, the group rolls in whole batches instead of a sliding window. @default 0 */
  readonly pauseMs?: number;
  /** "manual": after the canaries converge, start nothing more until the canaries are approved (`apply --continue`). @default "auto" */
  readonly canaryApproval?: "auto" | "manual";
  /** A check that must pass for a server after its steps before it counts as done (and before the next batch). */
  readonly gate?: ReadinessGate;
  /** Per step kind, and `wait` for servers busy at plan time (ms). @default DEFAULT_STEP_TIMEOUTS_MS of apply */
  readonly timeoutsMs?: Readonly<Partial<Record<TimeoutKind, number>>>;
  /**
   * Shares of the group ("10%", ascending): once that many servers of the group have finished, nothing more of the
   * group starts until the bake time has passed with every changed server still passing its gate. @default none
   */
  readonly checkpoints?: readonly string[];
  /** How long each checkpoint bakes (ms); the gate of every server the run changed in the group is re-run meanwhile. @default 0 */
  readonly bakeMs?: number;
  /**
   * Failed servers plus servers failing their gate during a bake, a count or "N%" of the group: reaching it stops
   * the rollout (nothing new starts, whatever `onFailure`). @default none
   */
  readonly maxUnhealthy?: number | string;
}

/** What a timeout can be set for: each step kind, and `wait` (a server busy at plan time). */
export type TimeoutKind = StepKind | "wait";

/** A readiness probe on the server's address (`{address}` in a URL is replaced by it). */
export type ReadinessGate =
  | { readonly type: "tcp"; readonly port: number; readonly timeoutMs: number; readonly intervalMs: number }
  | {
      readonly type: "http";
      readonly url: string;
      readonly expectStatus?: number;
      readonly timeoutMs: number;
      readonly intervalMs: number;
    };

/** How an instance names its server: by cloud id or by name (unique within the provider). */
export type InstanceSelector = { readonly id: string } | { readonly name: string };

/** A spec as written in one place of the fleet file (defaults, a group, an instance): every field optional. */
export interface PartialSpec {
  readonly image?: ImageRef;
  readonly keyPair?: string | null;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly metadataPolicy?: "merge" | "exact";
  readonly ignoreMetadata?: readonly string[];
  readonly userData?: UserDataSpec | null;
  readonly reboot?: RebootSpec;
  readonly power?: PowerState;
  readonly password?: SecretRef;
  readonly changePolicy?: Partial<ChangePolicy>;
}

/** One layer of settings: `defaults`, a group, or an instance. */
export interface SpecLayer {
  readonly spec: PartialSpec;
  readonly rollout: Partial<RolloutPolicy>;
}

/** An instance as declared in the fleet file, before defaults and groups are merged in. */
export interface DeclaredInstance extends SpecLayer {
  readonly provider: string;
  readonly selector: InstanceSelector;
  readonly source: SourceLocation;
}

/** A group selects servers of a provider (or of every provider) by name glob and/or metadata. */
export interface DesiredGroup extends SpecLayer {
  readonly name: string;
  /** undefined: every provider. */
  readonly provider?: string;
  readonly match: { readonly name?: string; readonly metadata?: Readonly<Record<string, string>> };
  readonly source: SourceLocation;
}

/** The fleet file, loaded and validated. Groups are matched against live servers later (config/expand.ts). */
export interface DesiredFleet {
  /** Absolute path of the fleet file. */
  readonly file: string;
  /** sha256 hex of the file's bytes. */
  readonly sha256: string;
  readonly providers: readonly ProviderConfig[];
  readonly defaults: SpecLayer;
  readonly groups: readonly DesiredGroup[];
  readonly instances: readonly DeclaredInstance[];
  /** Limits per run (`limits:`). @default none */
  readonly limits?: FleetLimits;
  /** Absolute path of the apply journal. @default "<dir of fleet file>/.reform/journal.jsonl" */
  readonly journal: string;
  /** Where the fleet file's paths may lead: secret files are read through it again at apply. */
  readonly root: FleetRoot;
}

/** The groups that may select a provider's servers, in file order: those that name it and those that name none. */
export function groupsFor(fleet: Pick<DesiredFleet, "groups">, provider: string): DesiredGroup[] {
  return fleet.groups.filter((group) => group.provider === undefined || group.provider === provider);
}

/** `limits:` of the fleet file. */
export interface FleetLimits {
  /** Most servers one plan may reprovision: a count, or "P%" of the targeted servers (rounded down). @default no limit */
  readonly reprovision?: number | string;
}

/**
 * The directory a fleet file may reach (it comes from pull requests): every path it names resolves inside `root`
 * after symbolic links. Plain data, so a plan can carry it.
 */
export interface FleetRoot {
  /** Real path of the fleet file's directory: relative paths start here. */
  readonly baseDir: string;
  /** Real path of the directory nothing may leave: the fleet file's, or the pipeline's `--root`. */
  readonly root: string;
  /** How messages name the root: "the fleet file's directory" or "the --root directory". */
  readonly label: string;
}

/** One server's complete desired state: defaults, then matching groups in file order, then the instance's own values. */
export interface DesiredInstance {
  readonly address: InstanceAddress;
  readonly provider: string;
  readonly selector: InstanceSelector;
  readonly spec: DesiredSpec;
  /** Rollout group: the last matching fleet group's name, or "default". */
  readonly group: string;
  readonly rollout: RolloutPolicy;
  readonly source: SourceLocation;
}

/** Reprovision when needed, for every kind of change. */
export const DEFAULT_CHANGE_POLICY: ChangePolicy = {
  onImageChange: "rebuild",
  onKeyPairChange: "rebuild",
  onUserDataChange: "rebuild",
  maxDisruption: "reprovision",
  minDisruption: "none",
  protect: false,
};
/** 10 at a time, no canary, halt on the first failure. */
export const DEFAULT_ROLLOUT: RolloutPolicy = { parallelism: 10, maxUnavailable: "100%", canary: 0, onFailure: "halt" };
