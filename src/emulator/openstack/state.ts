import type { Timings } from "../types.js";
import { advance } from "./lifecycle.js";
import type {
  ApplicationCredentialState,
  ImageState,
  KeypairState,
  OpenStackState,
  ProjectState,
  ServerState,
  UserState,
  VolumeState,
} from "./state-types.js";
import { advanceVolume } from "./volumes.js";

/** A Keystone identity the APIs act for. */
export interface Principal {
  readonly userId: string;
  readonly userName: string;
  readonly projectId: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
}

/** The emulated OpenStack, indexed for O(1) lookups and O(page) listing. Operations advance lazily on read. */
export class OpenStackCloud {
  readonly region: string;
  readonly adminToken: string | null;
  readonly projects = new Map<string, ProjectState>();
  readonly users = new Map<string, UserState>();
  readonly applicationCredentials = new Map<string, ApplicationCredentialState>();
  readonly images = new Map<string, ImageState>();
  /** By `projectId/name`. */
  readonly keypairs = new Map<string, KeypairState>();
  readonly #servers = new Map<string, ServerState>();
  /** Server ids, oldest first; `#position` maps an id to its index. */
  #order: string[] = [];
  #position = new Map<string, number>();
  /** Server name → the ids of the servers so named (Nova answers a filter on exact names from its database). */
  readonly #byName = new Map<string, Set<string>>();
  #nextAddress: number;
  readonly #volumes = new Map<string, VolumeState>();
  /** Volume ids, oldest first. */
  #volumeOrder: string[] = [];
  /** Server id → the ids of the volumes mapped to it (Nova's block device mappings). */
  readonly #volumesByServer = new Map<string, string[]>();

  constructor(
    state: OpenStackState,
    readonly timings: Timings,
    readonly now: () => number,
    readonly seed: number,
  ) {
    this.region = state.region;
    this.adminToken = state.adminToken;
    for (const p of state.projects) this.projects.set(p.id, p);
    for (const u of state.users) this.users.set(u.id, u);
    for (const c of state.applicationCredentials) this.applicationCredentials.set(c.id, c);
    for (const i of state.images) this.images.set(i.id, i);
    for (const k of state.keypairs) this.keypairs.set(`${k.projectId}/${k.name}`, k);
    for (const s of structuredClone(state.servers)) this.#insert(s);
    for (const v of structuredClone(state.volumes ?? [])) this.addVolume(v);
    this.#nextAddress = state.nextAddress;
  }

  #insert(server: ServerState): void {
    this.#servers.set(server.id, server);
    this.#position.set(server.id, this.#order.length);
    this.#order.push(server.id);
    this.#name(server.id, undefined, server.name);
  }

  #name(id: string, from: string | undefined, to: string | undefined): void {
    if (from !== undefined) {
      const ids = this.#byName.get(from);
      ids?.delete(id);
      if (ids?.size === 0) this.#byName.delete(from);
    }
    if (to !== undefined) {
      const ids = this.#byName.get(to);
      if (ids) ids.add(id);
      else this.#byName.set(to, new Set([id]));
    }
  }

  /** The server with its due stages applied, or undefined. */
  server(id: string): ServerState | undefined {
    const server = this.#servers.get(id);
    if (server) advance(server, this.now());
    return server;
  }

  get serverCount(): number {
    return this.#order.length;
  }

  /** Servers newest first (Nova's default created_at desc), starting after `marker` when given. */
  *newestFirst(marker?: string): Generator<ServerState> {
    const start = marker === undefined ? this.#order.length - 1 : (this.#position.get(marker) ?? 0) - 1;
    const now = this.now();
    for (let i = start; i >= 0; i--) {
      const server = this.#servers.get(this.#order[i] as string) as ServerState;
      advance(server, now);
      yield server;
    }
  }

  /**
   * The servers named one of `names`, newest first, starting after `marker` when given: what `newestFirst` yields
   * whose name is in `names`, looked up by name instead of walking every server.
   */
  *newestFirstNamed(names: ReadonlySet<string>, marker?: string): Generator<ServerState> {
    const before = marker === undefined ? this.#order.length : (this.#position.get(marker) ?? 0);
    const positions: number[] = [];
    for (const name of names)
      for (const id of this.#byName.get(name) ?? []) {
        const position = this.#position.get(id);
        if (position !== undefined && position < before) positions.push(position);
      }
    positions.sort((a, b) => b - a);
    const now = this.now();
    for (const position of positions) {
      const server = this.#servers.get(this.#order[position] as string) as ServerState;
      advance(server, now);
      yield server;
    }
  }

  /** Renames the server (a rebuild with a name). */
  rename(server: ServerState, name: string): void {
    this.#name(server.id, server.name, name);
    (server as { name: string }).name = name;
  }

  hasServer(id: string): boolean {
    return this.#servers.has(id);
  }

  addServer(server: ServerState): void {
    this.#insert(server);
  }

  removeServer(id: string): void {
    const index = this.#position.get(id);
    if (index === undefined) return;
    this.#name(id, this.#servers.get(id)?.name, undefined);
    this.#servers.delete(id);
    this.#order.splice(index, 1);
    this.#position.delete(id);
    for (let i = index; i < this.#order.length; i++) this.#position.set(this.#order[i] as string, i);
  }

  addVolume(volume: VolumeState): void {
    this.#volumes.set(volume.id, volume);
    this.#volumeOrder.push(volume.id);
    if (volume.mapping)
      this.#volumesByServer.set(volume.mapping.serverId, [
        ...(this.#volumesByServer.get(volume.mapping.serverId) ?? []),
        volume.id,
      ]);
  }

  removeVolume(id: string): void {
    const volume = this.#volumes.get(id);
    if (!volume) return;
    this.#volumes.delete(id);
    this.#volumeOrder = this.#volumeOrder.filter((v) => v !== id);
    const owner = volume.mapping?.serverId;
    if (owner !== undefined)
      this.#volumesByServer.set(
        owner,
        (this.#volumesByServer.get(owner) ?? []).filter((v) => v !== id),
      );
  }

  /** The volume with its due re-imaging stages applied, or undefined. */
  volume(id: string): VolumeState | undefined {
    const volume = this.#volumes.get(id);
    if (volume) advanceVolume(volume, this.now());
    return volume;
  }

  /** Volumes newest first (Cinder's default created_at desc), due stages applied. */
  volumesNewestFirst(): VolumeState[] {
    const now = this.now();
    const out: VolumeState[] = [];
    for (let i = this.#volumeOrder.length - 1; i >= 0; i--) {
      const volume = this.#volumes.get(this.#volumeOrder[i] as string) as VolumeState;
      advanceVolume(volume, now);
      out.push(volume);
    }
    return out;
  }

  /** A server is deleted: volumes to delete on termination go, the others are detached and available again. */
  releaseVolumesOf(serverId: string): void {
    for (const volume of this.volumesOf(serverId)) {
      if (volume.mapping?.deleteOnTermination === true) {
        this.removeVolume(volume.id);
        continue;
      }
      Object.assign(volume, { mapping: null, attachment: null, status: "available", stages: [] });
    }
    this.#volumesByServer.delete(serverId);
  }

  /** The volumes mapped to a server (Nova's block device mappings), oldest first. */
  volumesOf(serverId: string): VolumeState[] {
    return (this.#volumesByServer.get(serverId) ?? []).flatMap((id) => {
      const volume = this.volume(id);
      return volume ? [volume] : [];
    });
  }

  allocateAddress(): string {
    const n = this.#nextAddress++;
    return `10.0.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  }

  userByName(name: string): UserState | undefined {
    for (const user of this.users.values()) if (user.name === name) return user;
    return undefined;
  }

  projectByName(name: string): ProjectState | undefined {
    for (const project of this.projects.values()) if (project.name === name) return project;
    return undefined;
  }

  keypair(projectId: string, name: string): KeypairState | undefined {
    return this.keypairs.get(`${projectId}/${name}`);
  }

  /** The whole state as JSON, operations advanced to now. */
  toState(): OpenStackState {
    const now = this.now();
    const servers = this.#order.map((id) => {
      const server = this.#servers.get(id) as ServerState;
      advance(server, now);
      return server;
    });
    return structuredClone({
      region: this.region,
      adminToken: this.adminToken,
      projects: [...this.projects.values()],
      users: [...this.users.values()],
      applicationCredentials: [...this.applicationCredentials.values()],
      images: [...this.images.values()],
      keypairs: [...this.keypairs.values()],
      servers,
      volumes: this.volumesNewestFirst().reverse(),
      nextAddress: this.#nextAddress,
    });
  }
}
