import type { Timings } from "../types.js";
import { advance } from "./lifecycle.js";
import type { ApplicationCredentialState, ImageState, KeypairState, OpenStackState, ProjectState, ServerState, UserState } from "./state-types.js";

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
  #nextAddress: number;

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
    this.#nextAddress = state.nextAddress;
  }

  #insert(server: ServerState): void {
    this.#servers.set(server.id, server);
    this.#position.set(server.id, this.#order.length);
    this.#order.push(server.id);
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

  hasServer(id: string): boolean {
    return this.#servers.has(id);
  }

  addServer(server: ServerState): void {
    this.#insert(server);
  }

  removeServer(id: string): void {
    const index = this.#position.get(id);
    if (index === undefined) return;
    this.#servers.delete(id);
    this.#order.splice(index, 1);
    this.#position.delete(id);
    for (let i = index; i < this.#order.length; i++) this.#position.set(this.#order[i] as string, i);
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
      nextAddress: this.#nextAddress,
    });
  }
}
