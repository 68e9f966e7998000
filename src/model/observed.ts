import type { PowerState } from "./desired.js";

/** Unknowable is explicit, never guessed. */
export type Observed<T> =
  { readonly known: true; readonly value: T } | { readonly known: false; readonly reason: string };

/** A server's status in reform's words; each cloud's normalizer maps its own (the raw word is kept beside). */
export type InstanceStatus =
  "active" | "stopped" | "building" | "rebuilding" | "rebooting" | "stopping" | "starting" | "error" | "unknown";

/** What reform wrote into the server's metadata at its last apply (see plan/annotations.ts). */
export interface Annotations {
  readonly userDataSha256?: string;
  readonly rebootToken?: string;
  /** Digest of the managed state reform last converged the server to: tells drift from unapplied config. */
  readonly appliedSha256?: string;
}

/**
 * The volume a volume-backed server boots from. Nova shows such a server's image as "": its image is the one the
 * root volume was created from (or last re-imaged with), read from the block storage API.
 */
export interface BootVolume {
  /** The root volume's id; undefined when it could not be found. */
  readonly id?: string;
  /** Why the image could not be read from the root volume; undefined when `imageId` holds it. */
  readonly unknownReason?: string;
}

/**
 * A server as a cloud shows it, in every cloud's same shape (the adapter's normalizer makes it): what the planner
 * compares with the fleet file, and what apply reads while it follows a step. Unknowable fields say so (`Observed`).
 */
export interface ObservedInstance {
  readonly id: string;
  readonly name: string;
  /** The provider's name in the fleet file. */
  readonly provider: string;
  readonly status: InstanceStatus;
  /** The cloud's own status word (e.g. Nova "REBUILD"), for messages. */
  readonly rawStatus: string;
  /** The cloud's task in progress (Nova task_state), or null when settled. */
  readonly task: string | null;
  /** Empty string when it is not known (a volume-backed server whose root volume could not be read: see `bootVolume`). */
  readonly imageId: string;
  /** Present when the server boots from a volume: `imageId` is then the root volume's image. @default undefined (boots from an image) */
  readonly bootVolume?: BootVolume;
  readonly keyPair: string | null;
  /** User metadata: annotations and cloud-owned system keys removed. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Cloud-owned metadata keys, kept so a full-set write never drops them. */
  readonly systemMetadata: Readonly<Record<string, string>>;
  readonly annotations: Annotations;
  /** sha256 of the normalized user_data, from the cloud itself or, failing that, the annotation. */
  readonly userDataSha256: Observed<string | null>;
  /** Decoded user_data content when the cloud returns it (for diffs); undefined otherwise. */
  readonly userData?: string | null;
  readonly power: PowerState | "unknown";
  readonly updatedAt: string;
  readonly locked: boolean;
  readonly fault?: { readonly message: string; readonly code?: number };
  /** IP addresses, for readiness gates. */
  readonly addresses: readonly string[];
  /**
   * false: metadata, annotations and user_data were not read (the listing was asked not to: `ListInstancesRequest`
   * `metadata: false`). `metadata` and `annotations` are then empty and `userDataSha256` unknown, which says nothing
   * about the server: workflow/plan.ts reads such a server again whole before it plans any step for it. @default read
   */
  readonly metadataRead?: false;
}

/** Statuses in which the server is in the middle of something: plan `wait`, never a second action. */
export function isBusy(instance: Pick<ObservedInstance, "status" | "task">): boolean {
  switch (instance.status) {
    case "building":
    case "rebuilding":
    case "rebooting":
    case "stopping":
    case "starting":
      return true;
    case "active":
    case "stopped":
    case "error":
    case "unknown":
      return instance.task !== null;
  }
}

/**
 * Settled: active, stopped or in error, with no task. Stricter than `!isBusy`: a status reform does not know is not
 * settled. Apply takes a step as done only on a stable server; adapters read a job only then.
 */
export function isStable(instance: Pick<ObservedInstance, "status" | "task">): boolean {
  return (
    instance.task === null &&
    (instance.status === "active" || instance.status === "stopped" || instance.status === "error")
  );
}
