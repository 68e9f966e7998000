/** The emulated OpenStack's state as plain JSON: what snapshots and the persistence file hold. */

export type VmState = "active" | "building" | "stopped" | "error";

export interface ProjectState {
  readonly id: string;
  readonly name: string;
}

export interface UserState {
  readonly id: string;
  readonly name: string;
  readonly password: string;
  readonly projectId: string;
  readonly roles: readonly string[];
}

export interface ApplicationCredentialState {
  readonly id: string;
  readonly name: string;
  readonly secret: string;
  readonly userId: string;
}

export interface ImageState {
  readonly id: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly fail: string | null;
  /** The failure rolls the server back to its state before the rebuild instead of ERROR (see WorldImage.rollback). */
  readonly rollback?: boolean;
  /** false: servers on this image never pass the health route (see WorldImage.healthy). @default true */
  readonly healthy?: false;
  readonly visibility: string;
  readonly createdAt: string;
}

export interface KeypairState {
  readonly name: string;
  readonly projectId: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly type: "ssh" | "x509";
  readonly createdAt: string;
}

export interface FaultState {
  readonly code: number;
  readonly message: string;
  readonly created: string;
}

export interface InstanceActionEventState {
  event: string;
  startTime: string;
  finishTime: string | null;
  result: "Success" | "Error" | null;
}

export interface InstanceActionState {
  readonly action: string;
  readonly requestId: string;
  readonly userId: string;
  readonly projectId: string;
  readonly startTime: string;
  message: "Error" | null;
  updatedAt: string;
  readonly events: InstanceActionEventState[];
}

/** One step of an operation, at an absolute time (ms since the epoch). */
export type StageState =
  | { readonly at: number; readonly kind: "task"; readonly task: string }
  | { readonly at: number; readonly kind: "settle"; readonly vmState: VmState }
  | { readonly at: number; readonly kind: "rebuilt"; readonly thenStop: boolean }
  | { readonly at: number; readonly kind: "built" };

/** An operation in flight: its remaining stages, applied lazily when the server is next read. */
export interface OperationState {
  readonly action: string;
  readonly requestId: string;
  readonly stages: StageState[];
  /** The image a failed rebuild rolls back to. */
  readonly previousImageId?: string;
  /** A rebuild or build that ends in ERROR with this message. */
  readonly failMessage?: string;
  /** The failed rebuild rolls back to the server's earlier vm_state instead of ERROR. */
  readonly rollbackTo?: "active" | "stopped";
}

/** Cinder's view of a volume attached to a server (only while the attachment is "attached"). */
export interface VolumeAttachmentState {
  readonly id: string;
  readonly serverId: string;
  /** e.g. "/dev/vda". */
  readonly device: string;
  readonly attachedAt: string;
}

/** A step of a volume's re-imaging, at an absolute time (ms since the epoch). */
export interface VolumeStageState {
  readonly at: number;
  /** Cinder status from then on: reserved (attachment without a connector), downloading (image copied in), in-use. */
  readonly status: "reserved" | "downloading" | "in-use";
  /** The image the volume shows from then on (set when the copy is done). */
  readonly imageId?: string;
  /** The attachment is (re-)created ("attached") or removed ("detached") at this stage. */
  readonly attachment?: "attached" | "detached";
}

/** A Cinder volume. A volume-backed server's root volume is attached at its root device (Nova's block device mapping). */
export interface VolumeState {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
  readonly userId: string;
  /** GiB. */
  readonly size: number;
  status: string;
  readonly bootable: boolean;
  /** The Glance image it was created from or last re-imaged with (volume_image_metadata); null: none. */
  imageId: string | null;
  /** Nova's block device mapping: the server it belongs to and where, kept while Cinder's attachment is re-created. */
  mapping: { readonly serverId: string; readonly device: string; readonly deleteOnTermination: boolean } | null;
  attachment: VolumeAttachmentState | null;
  readonly createdAt: string;
  updatedAt: string;
  /** Re-imaging in progress: its remaining stages, applied lazily when the volume is next read. */
  stages: VolumeStageState[];
}

export interface ServerState {
  readonly id: string;
  /** Renamed only through OpenStackCloud.rename, which keeps the index by name. */
  readonly name: string;
  readonly projectId: string;
  readonly userId: string;
  imageId: string;
  readonly flavorId: string;
  keyPair: string | null;
  metadata: Record<string, string>;
  /** base64 as sent, or null. */
  userData: string | null;
  vmState: VmState;
  taskState: string | null;
  /** Nova power_state: 0 NOSTATE, 1 RUNNING, 4 SHUTDOWN. */
  powerState: number;
  /** ISO 8601 with microseconds, strictly increasing per server. */
  readonly created: string;
  updated: string;
  launchedAt: string | null;
  locked: boolean;
  fault: FaultState | null;
  /** Fake private IPv4 in 10.0.0.0/16. */
  readonly address: string;
  operation: OperationState | null;
  readonly actions: InstanceActionState[];
  /** The volume the server boots from (Nova then shows `image: ""` and `imageId` is ""). @default undefined: boots from an image */
  readonly rootVolumeId?: string;
}

export interface OpenStackState {
  readonly region: string;
  readonly adminToken: string | null;
  readonly projects: readonly ProjectState[];
  readonly users: readonly UserState[];
  readonly applicationCredentials: readonly ApplicationCredentialState[];
  readonly images: readonly ImageState[];
  readonly keypairs: readonly KeypairState[];
  /** Ordered by creation, oldest first. */
  readonly servers: readonly ServerState[];
  /** Cinder volumes, oldest first. @default [] (state files written before volumes existed) */
  readonly volumes?: readonly VolumeState[];
  /** Counter for fake IPv4 addresses. */
  readonly nextAddress: number;
}
