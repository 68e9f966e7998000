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

export interface ServerState {
  readonly id: string;
  name: string;
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
  /** Counter for fake IPv4 addresses. */
  readonly nextAddress: number;
}
