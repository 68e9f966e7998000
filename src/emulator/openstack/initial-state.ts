import { stableHexId, stableUuid } from "../ids.js";
import { fingerprintOf, generatePublicKey } from "./keys.js";
import { beginWorldTask } from "./lifecycle.js";
import { flavorById } from "./flavors.js";
import type {
  ImageState,
  KeypairState,
  OpenStackState,
  ProjectState,
  ServerState,
  UserState,
  VolumeState,
} from "./state-types.js";
import { isoMicros, isoNaive, isoSeconds } from "./time.js";
import type { OpenStackWorld, WorldServer, WorldUser, WorldVolume } from "./world-types.js";

export interface InitialStateInput {
  readonly world: OpenStackWorld;
  readonly extraUsers: readonly WorldUser[];
  readonly seed: number;
  readonly now: number;
}

/** The state a world file describes. Ids not given are derived from the seed and the names. */
export function initialState(input: InitialStateInput): OpenStackState {
  const { world, seed, now } = input;
  const projects = new Map<string, ProjectState>();
  const project = (name: string): ProjectState => {
    const existing = projects.get(name);
    if (existing) return existing;
    const created = { id: stableHexId(seed, "project", name), name };
    projects.set(name, created);
    return created;
  };
  const allUsers = [
    ...world.users,
    ...input.extraUsers.filter((extra) => !world.users.some((u) => u.name === extra.name)),
  ];
  const users: UserState[] = allUsers.map((u) => ({
    id: u.id ?? stableHexId(seed, "user", u.name),
    name: u.name,
    password: u.password,
    projectId: project(u.project).id,
    roles: u.roles,
  }));
  const owner = users[0] ?? { id: stableHexId(seed, "user", "admin"), projectId: project("demo").id };
  const images: ImageState[] = world.images.map((image, i) => ({
    id: image.id ?? stableUuid(seed, "image", image.name, String(i)),
    name: image.name,
    properties: image.properties,
    fail: image.fail ?? null,
    ...(image.rollback ? { rollback: true } : {}),
    ...(image.healthy === false ? { healthy: false as const } : {}),
    visibility: image.visibility,
    createdAt: isoSeconds(now - (world.images.length - i) * 1000),
  }));
  const keypairs: KeypairState[] = world.keypairs.map((k) => {
    const publicKey = k.publicKey ?? generatePublicKey(seed, k.name);
    return {
      name: k.name,
      projectId: owner.projectId,
      publicKey,
      fingerprint: fingerprintOf(publicKey) ?? "",
      type: "ssh",
      createdAt: isoNaive(now),
    };
  });
  const imageId = (ref: string) => (images.find((i) => i.id === ref) ?? images.find((i) => i.name === ref))?.id ?? ref;
  const servers = world.servers.map((s, i) => {
    const id = s.id ?? stableUuid(seed, "server", s.name, String(i));
    const rootVolumeId = s.bootFromVolume === true ? stableUuid(seed, "volume", s.name, String(i)) : undefined;
    return worldServer(s, {
      id,
      imageId: imageId(s.image),
      owner,
      index: i,
      count: world.servers.length,
      now,
      ...(rootVolumeId ? { rootVolumeId } : {}),
    });
  });
  const volumes = [
    ...world.servers.flatMap((s, i) => {
      const server = servers[i] as ServerState;
      return server.rootVolumeId === undefined
        ? []
        : [rootVolume(server, imageId(s.image), flavorById(s.flavor)?.disk ?? 1)];
    }),
    ...(world.volumes ?? []).map((v, i) =>
      worldVolume(v, {
        id: v.id ?? stableUuid(seed, "volume", v.name, `extra-${i}`),
        imageId: v.image === undefined ? null : imageId(v.image),
        owner,
        server: servers.find((s) => s.name === v.attachedTo),
        now,
      }),
    ),
  ];
  return {
    region: world.region,
    adminToken: world.adminToken ?? null,
    projects: [...projects.values()],
    users,
    applicationCredentials: world.applicationCredentials.map((c) => ({
      id: c.id,
      name: c.name,
      secret: c.secret,
      userId: users.find((u) => u.name === c.user)?.id ?? "",
    })),
    images,
    keypairs,
    servers,
    volumes,
    nextAddress: servers.length,
  };
}

/** The root volume of a volume-backed world server: created from its image, bootable, in use at /dev/vda. */
function rootVolume(server: ServerState, imageId: string, size: number): VolumeState {
  return {
    id: server.rootVolumeId as string,
    name: "",
    projectId: server.projectId,
    userId: server.userId,
    size,
    status: "in-use",
    bootable: true,
    imageId,
    mapping: { serverId: server.id, device: "/dev/vda", deleteOnTermination: true },
    attachment: {
      id: stableUuidOf(server.id, "attachment"),
      serverId: server.id,
      device: "/dev/vda",
      attachedAt: server.launchedAt ?? "",
    },
    createdAt: server.created,
    updatedAt: server.created,
    stages: [],
  };
}

interface VolumeContext {
  readonly id: string;
  readonly imageId: string | null;
  readonly owner: { readonly id: string; readonly projectId: string };
  readonly server: ServerState | undefined;
  readonly now: number;
}

function worldVolume(v: WorldVolume, c: VolumeContext): VolumeState {
  const created = isoSeconds(c.now);
  const server = c.server;
  return {
    id: c.id,
    name: v.name,
    projectId: c.owner.projectId,
    userId: c.owner.id,
    size: v.size,
    status: server ? "in-use" : "available",
    bootable: c.imageId !== null,
    imageId: c.imageId,
    mapping: server ? { serverId: server.id, device: v.device, deleteOnTermination: false } : null,
    attachment: server
      ? {
          id: stableUuidOf(c.id, "attachment"),
          serverId: server.id,
          device: v.device,
          attachedAt: server.launchedAt ?? "",
        }
      : null,
    createdAt: created,
    updatedAt: created,
    stages: [],
  };
}

/** An id derived from another (attachment ids). */
function stableUuidOf(id: string, what: string): string {
  return stableUuid(0, what, id);
}

interface ServerContext {
  readonly id: string;
  readonly imageId: string;
  /** The server boots from this volume: Nova keeps no image for it. */
  readonly rootVolumeId?: string;
  readonly owner: { readonly id: string; readonly projectId: string };
  readonly index: number;
  readonly count: number;
  readonly now: number;
}

function worldServer(s: WorldServer, c: ServerContext): ServerState {
  const createdMs = c.now - (c.count - c.index) * 1000;
  const vmState = s.status === "ACTIVE" ? "active" : s.status === "SHUTOFF" ? "stopped" : "error";
  const server: ServerState = {
    id: c.id,
    name: s.name,
    projectId: c.owner.projectId,
    userId: c.owner.id,
    imageId: c.rootVolumeId === undefined ? c.imageId : "",
    flavorId: s.flavor,
    keyPair: s.keyPair,
    metadata: { ...s.metadata },
    userData: s.userData === null ? null : Buffer.from(s.userData, "utf8").toString("base64"),
    vmState,
    taskState: null,
    powerState: vmState === "stopped" ? 4 : 1,
    created: isoSeconds(createdMs),
    updated: isoMicros(createdMs * 1000),
    launchedAt: isoNaive(createdMs),
    locked: s.locked,
    fault:
      vmState === "error" ? { code: 500, message: s.fault ?? "Unknown error", created: isoSeconds(createdMs) } : null,
    address: `10.0.${Math.floor(c.index / 254) % 256}.${(c.index % 254) + 1}`,
    operation: null,
    actions: [],
    ...(c.rootVolumeId === undefined ? {} : { rootVolumeId: c.rootVolumeId }),
  };
  if (s.task !== null) beginWorldTask(server, s.task, s.busyFor, c.now);
  return server;
}

/** Adds (or updates the password and roles of) users given outside the world, e.g. by the sim provider. */
export function withExtraUsers(state: OpenStackState, extra: readonly WorldUser[], seed: number): OpenStackState {
  if (extra.length === 0) return state;
  const projects = [...state.projects];
  const users = [...state.users];
  for (const u of extra) {
    let project = projects.find((p) => p.name === u.project);
    if (!project) {
      project = { id: stableHexId(seed, "project", u.project), name: u.project };
      projects.push(project);
    }
    const index = users.findIndex((existing) => existing.name === u.name);
    const user: UserState = {
      id: users[index]?.id ?? u.id ?? stableHexId(seed, "user", u.name),
      name: u.name,
      password: u.password,
      projectId: project.id,
      roles: u.roles,
    };
    if (index >= 0) users[index] = user;
    else users.push(user);
  }
  return { ...state, projects, users };
}
