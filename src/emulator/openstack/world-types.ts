/** The `openstack:` section of a world file, parsed and checked. */

export interface WorldUser {
  readonly name: string;
  readonly password: string;
  /** Project name (created when first named). */
  readonly project: string;
  /** @default ["member"] */
  readonly roles: readonly string[];
  /** Fixed user id; generated from the seed and the name when absent. */
  readonly id?: string;
}

export interface WorldApplicationCredential {
  readonly id: string;
  readonly name: string;
  readonly secret: string;
  /** The owning user's name. */
  readonly user: string;
}

export interface WorldImage {
  readonly name: string;
  readonly id?: string;
  /** Flattened into the Glance image document. */
  readonly properties: Readonly<Record<string, string>>;
  /** A rebuild (or boot) to this image ends in ERROR with this fault message. */
  readonly fail?: string;
  /**
   * With `fail`: the rebuild fails as Nova's InstanceFaultRollback does: the server goes back to ACTIVE (or SHUTOFF)
   * with no visible fault, keeping what the API wrote before the rebuild ran (image, key pair, metadata, user_data);
   * only the instance action says `"message": "Error"`.
   */
  readonly rollback?: boolean;
  /**
   * false: a bad image. A rebuild (or boot) to it succeeds as usual, but its servers never pass the health route
   * (`GET /health/servers/{id or name}` answers 503). @default true
   */
  readonly healthy?: false;
  /** @default "public" */
  readonly visibility: "public" | "private" | "shared" | "community";
}

export interface WorldKeypair {
  readonly name: string;
  /** @default a generated ssh-ed25519 key */
  readonly publicKey?: string;
}

export type WorldServerStatus = "ACTIVE" | "SHUTOFF" | "ERROR";

export interface WorldServer {
  readonly name: string;
  readonly id?: string;
  /** Image name or id, checked by the parser to name exactly one image. */
  readonly image: string;
  readonly keyPair: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** Plain text; stored base64-encoded as Nova does. */
  readonly userData: string | null;
  readonly status: WorldServerStatus;
  /** A Nova task_state the server starts in (e.g. "rebuilding"); it settles after `busyFor` ms. */
  readonly task: string | null;
  /** ms until `task` settles; null: never (an operation that hangs). */
  readonly busyFor: number | null;
  /** Flavor id. @default "2" (m1.small) */
  readonly flavor: string;
  readonly locked: boolean;
  /** Fault message of a server that starts in ERROR. */
  readonly fault?: string;
  /**
   * The server boots from a volume: a root volume created from `image` is attached at /dev/vda, and Nova shows the
   * server's image as "" (its image is read from the volume through Cinder). @default false
   */
  readonly bootFromVolume?: boolean;
}

/** A Cinder volume of the first project, free or attached to a server. */
export interface WorldVolume {
  readonly name: string;
  readonly id?: string;
  /** GiB. @default 1 */
  readonly size: number;
  /** The image (name or id) it was created from: it is then bootable, with volume_image_metadata. */
  readonly image?: string;
  /** The name of the server it is attached to. */
  readonly attachedTo?: string;
  /** Where the server sees it. @default "/dev/vdb" */
  readonly device: string;
}

export interface OpenStackWorld {
  /** @default "RegionOne" */
  readonly region: string;
  readonly users: readonly WorldUser[];
  readonly applicationCredentials: readonly WorldApplicationCredential[];
  /** A static token accepted as X-Auth-Token, with admin rights on the first project. */
  readonly adminToken?: string;
  readonly images: readonly WorldImage[];
  readonly keypairs: readonly WorldKeypair[];
  readonly servers: readonly WorldServer[];
  /** Volumes besides the root volumes of `bootFromVolume` servers. @default [] */
  readonly volumes?: readonly WorldVolume[];
}

export const EMPTY_OPENSTACK_WORLD: OpenStackWorld = {
  region: "RegionOne",
  users: [],
  applicationCredentials: [],
  images: [],
  keypairs: [],
  servers: [],
  volumes: [],
};
