import { stableHexId, stableUuid } from "../ids.js";
import type { YamlReader } from "../yaml-reader.js";
import type { HuaweiState, HwImage, HwServer } from "./state.js";
import { DEFAULT_HW_REGION, imageMetadata, iso } from "./state.js";

/** The `huaweicloud:` section of a world file. */
export interface HuaweiWorld {
  readonly projectId: string;
  /** The project's name in IAM (Huawei names a region's default project after the region). @default DEFAULT_HW_REGION ("ap-southeast-1") */
  readonly region?: string;
  /** IAM user id the credentials belong to (what `userid` must be with `keyname`). */
  readonly userId: string;
  readonly credentials: readonly { readonly accessKey: string; readonly secretKey: string }[];
  /** `healthy: false`: servers on the image never pass the health route. */
  readonly images: readonly {
    readonly name: string;
    readonly id?: string;
    readonly cloudInit: boolean;
    readonly fail?: string;
    readonly healthy?: false;
  }[];
  readonly keypairs: readonly string[];
  readonly servers: readonly HuaweiWorldServer[];
}

export interface HuaweiWorldServer {
  readonly name: string;
  readonly id?: string;
  readonly image: string;
  readonly keyPair: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly userData: string | null;
  readonly status: "ACTIVE" | "SHUTOFF" | "ERROR";
  /** Refuses operations (400 Ecs.0100) for this long from the first operation attempted on it (someone else's console operation). */
  readonly busyFor: number;
  readonly fault?: string;
  /** Every job on this server fails with this fail_reason. */
  readonly failJobs?: string;
}

const SECTION = ["projectId", "region", "userId", "credentials", "images", "keypairs", "servers"] as const;
const SERVER = [
  "name",
  "id",
  "image",
  "keyPair",
  "metadata",
  "userData",
  "status",
  "busyFor",
  "fault",
  "failJobs",
] as const;

/** Parses and checks the `huaweicloud:` section; errors are located `file:line:col:`. */
export function parseHuaweiWorld(r: YamlReader, node: unknown): HuaweiWorld {
  const e = r.entries(node, "huaweicloud", SECTION);
  const list = <T>(key: string, parse: (item: unknown, what: string) => T): T[] =>
    r.sectionList(e, "huaweicloud", key, parse);
  const credentials = list("credentials", (item, what) => r.accessKeyPair(item, what));
  const images = list("images", (item, what) => {
    const i = r.entries(item, what, ["name", "id", "cloudInit", "fail", "healthy"]);
    return {
      name: r.string(r.require(i, "name", item, what).value, `${what}.name`),
      ...(i.has("id") ? { id: r.string(i.get("id")?.value, `${what}.id`) } : {}),
      cloudInit: i.has("cloudInit") ? r.boolean(i.get("cloudInit")?.value, `${what}.cloudInit`) : true,
      ...(i.has("fail") ? { fail: r.string(i.get("fail")?.value, `${what}.fail`) } : {}),
      ...(i.has("healthy") && !r.boolean(i.get("healthy")?.value, `${what}.healthy`)
        ? { healthy: false as const }
        : {}),
    };
  });
  const keypairs = list("keypairs", (item, what) =>
    r.string(r.require(r.entries(item, what, ["name"]), "name", item, what).value, `${what}.name`),
  );
  const servers = list("servers", (item, what) => parseServer(r, item, what, images, keypairs));
  return {
    projectId: e.has("projectId")
      ? r.string(e.get("projectId")?.value, "huaweicloud.projectId")
      : "0123456789abcdef0123456789abcdef",
    ...(e.has("region") ? { region: r.string(e.get("region")?.value, "huaweicloud.region") } : {}),
    userId: e.has("userId")
      ? r.string(e.get("userId")?.value, "huaweicloud.userId")
      : "7e25b1da389f4697a79df3a0e5bd494e",
    credentials,
    images,
    keypairs,
    servers,
  };
}

function parseServer(
  r: YamlReader,
  node: unknown,
  what: string,
  images: HuaweiWorld["images"],
  keypairs: readonly string[],
): HuaweiWorldServer {
  const e = r.entries(node, what, SERVER);
  const get = (key: (typeof SERVER)[number]) => e.get(key)?.value;
  const image = r.string(r.require(e, "image", node, what).value, `${what}.image`);
  if (!images.some((i) => i.id === image || i.name === image))
    r.fail(get("image"), `${what}.image: no image named or with id "${image}" in huaweicloud.images`);
  const keyPair = e.has("keyPair") ? r.nullableString(get("keyPair"), `${what}.keyPair`) : null;
  if (keyPair !== null && !keypairs.includes(keyPair))
    r.fail(get("keyPair"), `${what}.keyPair: no key pair named "${keyPair}" in huaweicloud.keypairs`);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("id") ? { id: r.string(get("id"), `${what}.id`) } : {}),
    image,
    keyPair,
    metadata: e.has("metadata") ? r.stringMap(get("metadata"), `${what}.metadata`) : {},
    userData: e.has("userData") ? r.nullableString(get("userData"), `${what}.userData`) : null,
    status: e.has("status") ? r.oneOf(get("status"), `${what}.status`, ["ACTIVE", "SHUTOFF", "ERROR"]) : "ACTIVE",
    busyFor: e.has("busyFor") ? r.duration(get("busyFor"), `${what}.busyFor`) : 0,
    ...(e.has("fault") ? { fault: r.string(get("fault"), `${what}.fault`) } : {}),
    ...(e.has("failJobs") ? { failJobs: r.string(get("failJobs"), `${what}.failJobs`) } : {}),
  };
}

/** The starting state from a world section: ids derived from the seed, so runs are reproducible. */
export function initialHuaweiState(world: HuaweiWorld, seed: number, now: number): HuaweiState {
  const images: HwImage[] = world.images.map((i) => ({
    id: i.id ?? stableUuid(seed, "hw-image", i.name),
    name: i.name,
    cloudInit: i.cloudInit,
    ...(i.fail ? { fail: i.fail } : {}),
    ...(i.healthy === false ? { healthy: false as const } : {}),
  }));
  const servers: HwServer[] = world.servers.map((s) => {
    const image = images.find((i) => i.id === s.image) ?? images.find((i) => i.name === s.image);
    return {
      id: s.id ?? stableUuid(seed, "hw-server", s.name),
      name: s.name,
      status: s.status,
      imageId: image?.id ?? "",
      keyName: s.keyPair,
      metadata: { ...imageMetadata(image), ...s.metadata },
      userData: s.userData === null ? null : Buffer.from(s.userData, "utf8").toString("base64"),
      created: iso(now - 86_400_000),
      updated: iso(now - 3_600_000),
      ...(s.fault ? { fault: s.fault } : {}),
      ...(s.busyFor > 0 ? { busyFor: s.busyFor } : {}),
      ...(s.failJobs ? { failJobs: s.failJobs } : {}),
    };
  });
  return {
    projectId: world.projectId,
    region: world.region ?? DEFAULT_HW_REGION,
    userId: world.userId || stableHexId(seed, "hw-user"),
    credentials: world.credentials,
    images,
    keypairs: world.keypairs,
    servers,
    jobs: {},
    batches: {},
  };
}
