import type { ChangePolicy, ImageRef, PowerState, RebootType, RolloutPolicy } from "../model/desired.js";
import type { SecretRef } from "../model/secret.js";

/** The fleet file's data once it passed the schema (and interpolation): the shapes the schema guarantees. */
export type RawUserData =
  | null
  | { readonly inline: string; readonly sensitive?: boolean }
  | { readonly file: string; readonly sensitive?: boolean }
  | { readonly base64: string; readonly sensitive?: boolean };

export interface RawSpec {
  readonly image?: ImageRef;
  readonly keyPair?: string | null;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly metadataPolicy?: "merge" | "exact";
  readonly ignoreMetadata?: readonly string[];
  readonly userData?: RawUserData;
  readonly reboot?: { readonly token: string; readonly type?: RebootType };
  readonly power?: PowerState;
  readonly password?: SecretRef;
}

/** `rollout:` as written: durations are text ("30s"), converted to milliseconds by config/rollout.ts. */
export interface RawRollout extends Partial<
  Pick<
    RolloutPolicy,
    | "parallelism"
    | "maxUnavailable"
    | "canary"
    | "onFailure"
    | "maxFailures"
    | "canaryApproval"
    | "checkpoints"
    | "maxUnhealthy"
  >
> {
  readonly pause?: RawDuration;
  readonly bake?: RawDuration;
  readonly gate?: RawGate;
  readonly timeouts?: Readonly<Record<string, RawDuration>>;
}

export interface RawGate {
  readonly tcp?: number;
  readonly http?: string;
  readonly status?: number;
  readonly timeout?: RawDuration;
  readonly interval?: RawDuration;
}

/** "30s", "5m", or a number of milliseconds. */
export type RawDuration = string | number;

export interface RawLayer {
  readonly spec?: RawSpec;
  readonly policy?: Partial<ChangePolicy>;
  readonly rollout?: RawRollout;
}

export interface RawGroup extends RawLayer {
  readonly name: string;
  readonly provider?: string;
  readonly match: { readonly name?: string; readonly metadata?: Readonly<Record<string, string>> };
}

export interface RawInstance {
  readonly provider: string;
  readonly name?: string;
  readonly id?: string;
  readonly spec?: RawSpec;
  readonly policy?: Partial<ChangePolicy>;
}

export interface RawFleet {
  readonly providers: Readonly<Record<string, { readonly type: string } & Readonly<Record<string, unknown>>>>;
  readonly journal?: string;
  readonly limits?: { readonly reprovision?: number | string };
  readonly defaults?: RawLayer;
  readonly groups?: readonly RawGroup[];
  readonly instances?: readonly RawInstance[];
}
