import type { Clock } from "./clock.js";
import type { ReprovisionParams, Step } from "./action.js";
import type { ImageRef, InstanceSelector, ProviderType } from "./desired.js";
import type { ObservedInstance } from "./observed.js";
import type { OperationHandle, OperationObservation, OperationQuery, OperationRules } from "./operation.js";
import type { Secret } from "./secret.js";

/**
 * What a cloud can do, declared by its adapter. The planner branches on these, never on a cloud's name.
 */
export interface ProviderCapabilities {
  /** The reprovisioning step used when the image changes. */
  readonly imageChangeStep: "rebuild" | "changeos";
  /** The step for a key pair or user_data change on the same image; null when the cloud has none. */
  readonly sameImageStep: "rebuild" | "reinstall" | null;
  /** The reprovisioning step can set the key pair (Nova >= 2.54). */
  readonly reprovisionSetsKeyPair: boolean;
  /** The reprovisioning step can set user_data (Nova >= 2.57). */
  readonly reprovisionSetsUserData: boolean;
  /** The reprovisioning step can remove the key pair (key_name: null). */
  readonly reprovisionRemovesKeyPair: boolean;
  /** The reprovisioning step writes metadata (and replaces the whole set). */
  readonly reprovisionSetsMetadata: boolean;
  /** Reprovisioning refuses a running server: stop first (JD Cloud). */
  readonly reprovisionRequiresStopped: boolean;
  /** After reprovisioning the server is left stopped (JD Cloud): start it if it should run. */
  readonly reprovisionLeavesStopped: boolean;
  /** Reprovisioning a stopped server leaves it running (then stop it again if it should stay stopped). */
  readonly reprovisionStartsStopped: boolean;
  /**
   * The reprovisioning step re-images the root volume of a server that boots from a volume (Nova >= 2.93); without it
   * such a server cannot be reprovisioned. @default false
   */
  readonly reprovisionsBootVolume?: boolean;
  /** Reprovisioning needs a password when no key pair is given (JD Cloud). */
  readonly reprovisionNeedsPassword: boolean;
  /** Metadata can be changed without downtime. */
  readonly metadataUpdate: boolean;
  /** Metadata can be changed while the server is in error (Nova: no, 409). */
  readonly metadataUpdateInError: boolean;
  /** Reprovisioning is accepted from the error state (Nova: yes, if the server launched once). */
  readonly reprovisionInError: boolean;
  /** The cloud returns user_data on reads to this caller. */
  readonly readsUserData: boolean;
  /** Globs of metadata keys the cloud owns: never drift, never removed. */
  readonly systemMetadataKeys: readonly string[];
  /** The reboot types the cloud offers. */
  readonly rebootTypes: readonly ("SOFT" | "HARD")[];
  /** A soft reboot needs a running server. */
  readonly softRebootRequiresRunning: boolean;
  /** Largest metadata value the cloud accepts. */
  readonly maxMetadataValueLength: number;
  /** Free text shown in `plan` output (e.g. "compute microversion 2.93"). */
  readonly description: string;
  /** The reprovisioning API variant depends on the target image (Huawei: v2 with Cloud-Init, v1 without). @default one API for every image */
  readonly reprovisionVariants?: ReprovisionVariants;
  /**
   * Key pairs belong to the calling user (Nova, Huawei ECS), so another user (a read-only CI user planning) cannot
   * see the applying user's: plan does not look them up then, apply (as the applying user) does. @default false
   */
  readonly keyPairsOfCaller?: boolean;
}

/** One API variant of the reprovisioning step. */
export interface ReprovisionVariant {
  /** Sent to the adapter as `ReprovisionParams.variant` and named in the plan's reason (e.g. "v2"). */
  readonly name: string;
  /** This variant can set user_data (else a user_data change is `unsupported`, and managed user_data is not sent). */
  readonly setsUserData: boolean;
  /** What the variant means, for the plan's reason (e.g. "the image has Cloud-Init: user_data is carried"). */
  readonly description: string;
}

/** How the adapter picks the variant: from one property of the image the step installs, or the same for every image. */
export interface ReprovisionVariants {
  /** The image property that selects the variant (e.g. "__support_cloudinit"); undefined: `otherwise` for every image. */
  readonly imageProperty?: string;
  /** The variant per value of the property. @default {} */
  readonly byValue?: Readonly<Record<string, ReprovisionVariant>>;
  /** The variant for any other value, or when the image does not carry the property. */
  readonly otherwise: ReprovisionVariant;
}

/** An image reference and what it resolved to: one image, or why not. */
export interface ImageResolution {
  readonly ref: ImageRef;
  /**
   * Resolved id, or an error message (not found, ambiguous). A name not found comes with the names of images the cloud
   * has (`known`, as many as one listing gave), so the plan can say which one was meant. @default known: none
   */
  readonly result:
    | {
        readonly type: "found";
        readonly id: string;
        readonly name: string;
        readonly properties: Readonly<Record<string, string>>;
      }
    | { readonly type: "error"; readonly message: string; readonly known?: readonly string[] };
}

/** Which servers a listing must return. */
export interface ListInstancesRequest {
  /** Servers to read. An adapter may read more (a whole page) and filter. Empty: every server of the project. */
  readonly selectors: readonly InstanceSelector[];
  /**
   * Whether the caller needs each server's metadata, user_data and reform's annotations. false lets an adapter whose
   * cloud returns them only through a separate, costly call (JD's `describeInstancesCustomData`, 10 servers per
   * request) skip that call; the servers it returns are then marked `metadataRead: false`. @default true
   */
  readonly metadata?: boolean;
  /**
   * Sees the servers of each page as the adapter reads them, before `listInstances` resolves, so that a caller can
   * start on them while the next page is read (the plan of a large fleet overlaps its listing). The resolved list is
   * what counts: it may hold other objects for some servers (a volume-backed server once its volume is read). An
   * adapter may not call it at all. It must not throw. @default none
   */
  readonly onPage?: (servers: readonly ObservedInstance[]) => void;
}

/** What a step needs that the plan does not carry: secrets and content, resolved at apply. */
export interface StepInputs {
  /** user_data content, when the step sets it. */
  readonly userData?: string | null;
  /** Admin password for clouds that need one. */
  readonly password?: Secret;
}

/** One step to send: the server as apply last read it, the step, and its secrets and content. */
export interface StartStepRequest {
  readonly instance: ObservedInstance;
  readonly step: Step;
  readonly inputs: StepInputs;
}

/**
 * Where a provider sends requests, and who chose that: a plan shows it to reviewers, so a pull request that points
 * a provider at a new host is seen.
 */
export interface ProviderEndpoint {
  /** `identity`, `compute`, `image`, `ecs`, `ims`, `iam`, `vm` or `simulator`. */
  readonly service: string;
  /** The base URL, or how it is found (`from the identity service's catalog`). */
  readonly url: string;
  /** `fleet file (identityEndpoint)`, `cloud "dc1" in /etc/openstack/clouds.yaml`, `default for region cn-north-4`, … */
  readonly source: string;
}

/** `fleet file (KEY)` when the fleet file's provider options set KEY: the `source` of an endpoint it chose. */
export function chosenByFleet(options: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined {
  const value = options?.[key];
  return typeof value === "string" && value !== "" ? `fleet file (${key})` : undefined;
}

/**
 * One cloud account as reform sees it: what it can do, its images and servers, and its steps. An adapter translates
 * and keeps no state about operations: apply follows them (src/apply/poller.ts) and decides when each is done
 * (src/apply/completion.ts) from what `pollOperations` shows and the `operationRules` declared here.
 */
export interface ProviderAdapter {
  /** The provider's name in the fleet file. */
  readonly name: string;
  readonly type: ProviderType;
  /** How often apply should poll this provider's operations, when the caller does not say. @default 2000 */
  readonly pollIntervalMs?: number;
  /** How apply tells this cloud's steps are done (settle time, grace, limit). @default {} */
  readonly operationRules?: OperationRules;
  /** What the cloud can do, for the planner (it may ask the cloud once, e.g. Nova's microversion). */
  capabilities(signal: AbortSignal): Promise<ProviderCapabilities>;
  /** Each reference resolved to one image with its properties, or why not (missing, ambiguous): one result per ref. */
  resolveImages(refs: readonly ImageRef[], signal: AbortSignal): Promise<readonly ImageResolution[]>;
  /**
   * The key pairs among `names` that exist for this caller (a reprovisioning step naming another is refused by the
   * cloud, on JD after the VM was stopped). Reads only; never one call per server.
   */
  findKeyPairs(names: readonly string[], signal: AbortSignal): Promise<ReadonlySet<string>>;
  /**
   * The names of the key pairs this caller has (one listing), asked only when a named one is missing: what the message
   * suggests instead. @default undefined: no suggestion
   */
  keyPairNames?(signal: AbortSignal): Promise<readonly string[]>;
  /** Bulk and paginated: never one GET per server. */
  listInstances(req: ListInstancesRequest, signal: AbortSignal): Promise<readonly ObservedInstance[]>;
  /** Sends the step's mutating call. Throws CloudError on refusal, AmbiguousError when the outcome is unknown. */
  startStep(req: StartStepRequest, signal: AbortSignal): Promise<OperationHandle>;
  /**
   * One bulk read for every operation of this provider in flight: what this poll shows of each, in the order asked.
   * No verdict: whether a step is done, failed or still running is apply's to decide.
   */
  pollOperations(queries: readonly OperationQuery[], signal: AbortSignal): Promise<readonly OperationObservation[]>;
  /** Where requests go and who chose it (after the first call, catalog URLs are known too). @default unknown */
  endpoints?(): readonly ProviderEndpoint[];
  /**
   * The base URL of the embedded emulator's health route on loopback (`GET {healthUrl}/servers/{id or name}`): what
   * `{health}` in a readiness gate's URL stands for. @default undefined: only `sim` providers have one
   */
  readonly healthUrl?: string;
  /** Releases connections (and, for `sim`, the embedded emulator). */
  close(): Promise<void>;
}

export type { ReprovisionParams };

/** What every provider factory gets from the composition root (the CLI or a library caller). */
export interface ProviderRuntime {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly homeDir: string;
  readonly readFile: (path: string) => Promise<string | Buffer>;
  readonly clock: Clock;
  /** Warnings for the user (e.g. TLS verification turned off). */
  readonly warn: (message: string) => void;
  /** HTTP exchanges, secrets redacted; only with --debug. @default undefined */
  readonly debug?: (line: string) => void;
}
