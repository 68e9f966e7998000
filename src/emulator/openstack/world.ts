import type { MapEntry, YamlReader } from "../yaml-reader.js";
import type {
  OpenStackWorld,
  WorldApplicationCredential,
  WorldImage,
  WorldKeypair,
  WorldServer,
  WorldUser,
  WorldVolume,
} from "./world-types.js";

const SECTION_KEYS = [
  "region",
  "users",
  "applicationCredentials",
  "adminToken",
  "images",
  "keypairs",
  "servers",
  "volumes",
] as const;
const SERVER_KEYS = [
  "name",
  "id",
  "image",
  "keyPair",
  "metadata",
  "userData",
  "status",
  "task",
  "busyFor",
  "flavor",
  "locked",
  "fault",
  "bootFromVolume",
] as const;
const WORLD_TASKS = [
  "rebuilding",
  "rebuild_spawning",
  "rebooting",
  "reboot_pending",
  "rebooting_hard",
  "reboot_started_hard",
  "powering-off",
  "powering-on",
  "scheduling",
  "spawning",
] as const;
const FLAVOR_IDS = ["1", "2", "3"];

/** Parses and checks the `openstack:` section of a world file: unknown keys and bad references are located errors. */
export function parseOpenStackWorld(r: YamlReader, node: unknown): OpenStackWorld {
  const e = r.entries(node, "openstack", SECTION_KEYS);
  const list = <T>(key: string, parse: (item: unknown, what: string) => T): T[] =>
    r.sectionList(e, "openstack", key, parse);
  const users = list("users", (item, what) => parseUser(r, item, what));
  const images = list("images", (item, what) => parseImage(r, item, what));
  const keypairs = list("keypairs", (item, what) => parseKeypair(r, item, what));
  const refs = { users, images, keypairs };
  const world: OpenStackWorld = {
    region: e.has("region") ? r.string(e.get("region")?.value, "openstack.region") : "RegionOne",
    users,
    applicationCredentials: list("applicationCredentials", (item, what) => parseAppCredential(r, item, what, users)),
    ...(e.has("adminToken") ? { adminToken: r.string(e.get("adminToken")?.value, "openstack.adminToken") } : {}),
    images,
    keypairs,
    servers: list("servers", (item, what) => parseServer(r, item, what, refs)),
    volumes: [],
  };
  const volumes = list("volumes", (item, what) => parseVolume(r, item, what, { ...refs, servers: world.servers }));
  checkUnique(
    r,
    e.get("volumes"),
    volumes.flatMap((v) => (v.id ? [v.id] : [])),
    "volume id",
  );
  checkDevices(r, e.get("volumes"), world.servers, volumes);
  checkUnique(
    r,
    e.get("users"),
    users.map((u) => u.name),
    "user name",
  );
  checkUnique(
    r,
    e.get("keypairs"),
    keypairs.map((k) => k.name),
    "key pair name",
  );
  checkUnique(
    r,
    e.get("servers"),
    world.servers.flatMap((s) => (s.id ? [s.id] : [])),
    "server id",
  );
  checkUnique(
    r,
    e.get("images"),
    images.flatMap((i) => (i.id ? [i.id] : [])),
    "image id",
  );
  return { ...world, volumes };
}

/** Two volumes at one device of a server (a bootFromVolume server's root volume is at /dev/vda) are refused. */
function checkDevices(
  r: YamlReader,
  entry: MapEntry | undefined,
  servers: readonly WorldServer[],
  volumes: readonly WorldVolume[],
): void {
  const taken = new Set(servers.filter((s) => s.bootFromVolume).map((s) => `${s.name} /dev/vda`));
  for (const volume of volumes) {
    if (volume.attachedTo === undefined) continue;
    const key = `${volume.attachedTo} ${volume.device}`;
    if (taken.has(key))
      r.fail(
        entry?.value,
        `volume "${volume.name}": server "${volume.attachedTo}" already has a volume at ${volume.device}`,
      );
    taken.add(key);
  }
}

function checkUnique(r: YamlReader, entry: MapEntry | undefined, values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) r.fail(entry?.value, `duplicate ${what} "${value}"`);
    seen.add(value);
  }
}

function parseUser(r: YamlReader, node: unknown, what: string): WorldUser {
  const e = r.entries(node, what, ["name", "password", "project", "roles", "id"]);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    password: r.string(r.require(e, "password", node, what).value, `${what}.password`),
    project: r.string(r.require(e, "project", node, what).value, `${what}.project`),
    roles: e.has("roles") ? r.stringList(e.get("roles")?.value, `${what}.roles`) : ["member"],
    ...(e.has("id") ? { id: r.string(e.get("id")?.value, `${what}.id`) } : {}),
  };
}

function parseAppCredential(
  r: YamlReader,
  node: unknown,
  what: string,
  users: readonly WorldUser[],
): WorldApplicationCredential {
  const e = r.entries(node, what, ["id", "name", "secret", "user"]);
  const user = r.require(e, "user", node, what);
  const name = r.string(r.require(e, "name", node, what).value, `${what}.name`);
  const credential = {
    id: e.has("id") ? r.string(e.get("id")?.value, `${what}.id`) : name,
    name,
    secret: r.string(r.require(e, "secret", node, what).value, `${what}.secret`),
    user: r.string(user.value, `${what}.user`),
  };
  if (!users.some((u) => u.name === credential.user))
    r.fail(user.value, `${what}.user: no user named "${credential.user}" in openstack.users`);
  return credential;
}

function parseImage(r: YamlReader, node: unknown, what: string): WorldImage {
  const e = r.entries(node, what, ["name", "id", "properties", "fail", "rollback", "healthy", "visibility"]);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("id") ? { id: r.string(e.get("id")?.value, `${what}.id`) } : {}),
    properties: e.has("properties") ? r.stringMap(e.get("properties")?.value, `${what}.properties`) : {},
    ...(e.has("fail") ? { fail: r.string(e.get("fail")?.value, `${what}.fail`) } : {}),
    ...(e.has("rollback") && r.boolean(e.get("rollback")?.value, `${what}.rollback`) ? { rollback: true } : {}),
    ...(e.has("healthy") && !r.boolean(e.get("healthy")?.value, `${what}.healthy`) ? { healthy: false as const } : {}),
    visibility: e.has("visibility")
      ? r.oneOf(e.get("visibility")?.value, `${what}.visibility`, ["public", "private", "shared", "community"])
      : "public",
  };
}

function parseKeypair(r: YamlReader, node: unknown, what: string): WorldKeypair {
  const e = r.entries(node, what, ["name", "publicKey"]);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("publicKey") ? { publicKey: r.string(e.get("publicKey")?.value, `${what}.publicKey`) } : {}),
  };
}

interface Refs {
  readonly images: readonly WorldImage[];
  readonly keypairs: readonly WorldKeypair[];
}

function parseServer(r: YamlReader, node: unknown, what: string, refs: Refs): WorldServer {
  const e = r.entries(node, what, SERVER_KEYS);
  const get = (key: (typeof SERVER_KEYS)[number]) => e.get(key)?.value;
  const task = e.has("task") ? r.nullableString(get("task"), `${what}.task`) : null;
  if (task !== null && !(WORLD_TASKS as readonly string[]).includes(task))
    r.fail(get("task"), `${what}.task must be null or one of ${WORLD_TASKS.join(", ")}`);
  const flavor = e.has("flavor") ? r.string(get("flavor"), `${what}.flavor`) : "2";
  if (!FLAVOR_IDS.includes(flavor))
    r.fail(get("flavor"), `${what}.flavor must be one of the emulator's flavor ids ${FLAVOR_IDS.join(", ")}`);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("id") ? { id: r.string(get("id"), `${what}.id`) } : {}),
    image: imageRef(r, r.require(e, "image", node, what).value, `${what}.image`, refs.images),
    keyPair: e.has("keyPair") ? keyRef(r, get("keyPair"), `${what}.keyPair`, refs.keypairs) : null,
    metadata: e.has("metadata") ? r.stringMap(get("metadata"), `${what}.metadata`) : {},
    userData: e.has("userData") ? r.nullableString(get("userData"), `${what}.userData`) : null,
    status: e.has("status") ? r.oneOf(get("status"), `${what}.status`, ["ACTIVE", "SHUTOFF", "ERROR"]) : "ACTIVE",
    task,
    busyFor: e.has("busyFor") ? r.duration(get("busyFor"), `${what}.busyFor`) : task === null ? 0 : null,
    flavor,
    locked: e.has("locked") ? r.boolean(get("locked"), `${what}.locked`) : false,
    ...(e.has("fault") ? { fault: r.string(get("fault"), `${what}.fault`) } : {}),
    bootFromVolume: e.has("bootFromVolume") ? r.boolean(get("bootFromVolume"), `${what}.bootFromVolume`) : false,
  };
}

function parseVolume(
  r: YamlReader,
  node: unknown,
  what: string,
  refs: Refs & { readonly servers: readonly WorldServer[] },
): WorldVolume {
  const e = r.entries(node, what, ["name", "id", "size", "image", "attachedTo", "device"]);
  const get = (key: string) => e.get(key)?.value;
  const attachedTo = e.has("attachedTo") ? r.string(get("attachedTo"), `${what}.attachedTo`) : undefined;
  if (attachedTo !== undefined && !refs.servers.some((s) => s.name === attachedTo))
    r.fail(get("attachedTo"), `${what}.attachedTo: no server named "${attachedTo}" in openstack.servers`);
  const size = e.has("size") ? r.integer(get("size"), `${what}.size`) : 1;
  if (size < 1) r.fail(get("size"), `${what}.size must be at least 1 (GiB)`);
  const device = e.has("device") ? r.string(get("device"), `${what}.device`) : "/dev/vdb";
  if (!/^\/dev\/[a-z]+$/.test(device)) r.fail(get("device"), `${what}.device must be a device path like /dev/vdb`);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("id") ? { id: r.string(get("id"), `${what}.id`) } : {}),
    size,
    ...(e.has("image") ? { image: imageRef(r, get("image"), `${what}.image`, refs.images) } : {}),
    ...(attachedTo === undefined ? {} : { attachedTo }),
    device,
  };
}

function imageRef(r: YamlReader, node: unknown, what: string, images: readonly WorldImage[]): string {
  const ref = r.string(node, what);
  if (images.some((image) => image.id === ref)) return ref;
  const named = images.filter((image) => image.name === ref);
  if (named.length === 0) r.fail(node, `${what}: no image named or with id "${ref}" in openstack.images`);
  if (named.length > 1)
    r.fail(node, `${what}: image name "${ref}" is ambiguous (${named.length} images have it); use an id`);
  return ref;
}

function keyRef(r: YamlReader, node: unknown, what: string, keypairs: readonly WorldKeypair[]): string | null {
  const name = r.nullableString(node, what);
  if (name !== null && !keypairs.some((k) => k.name === name))
    r.fail(node, `${what}: no key pair named "${name}" in openstack.keypairs`);
  return name;
}
