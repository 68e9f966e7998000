import type { YamlReader } from "../yaml-reader.js";

/** The `jdcloud:` section of a world file, parsed and checked. */
export interface JdWorldImage {
  readonly name: string;
  readonly id?: string;
  /** describeImages' `imageSource`. @default "private" */
  readonly source?: "public" | "thirdparty" | "private" | "shared";
  /** false: a rebuild to it succeeds, but its VMs never pass the health route. @default true */
  readonly healthy?: false;
}

export interface JdWorldInstance {
  readonly name: string;
  readonly id?: string;
  /** Image name or id, checked to name exactly one image. */
  readonly image: string;
  readonly keyPair: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  /** Plain text; stored base64 as JD's launch-script. */
  readonly userData: string | null;
  readonly status: "running" | "stopped" | "error";
}

export interface JdWorld {
  /** @default "cn-north-1" */
  readonly region: string;
  readonly credentials: readonly { readonly accessKey: string; readonly secretKey: string }[];
  readonly images: readonly JdWorldImage[];
  readonly keypairs: readonly { readonly name: string }[];
  readonly instances: readonly JdWorldInstance[];
}

const SECTION_KEYS = ["region", "credentials", "images", "keypairs", "instances"] as const;
const INSTANCE_KEYS = ["name", "id", "image", "keyPair", "metadata", "userData", "status"] as const;

/** Parses the `jdcloud:` section: unknown keys and bad references are located errors. */
export function parseJdWorld(r: YamlReader, node: unknown): JdWorld {
  const e = r.entries(node, "jdcloud", SECTION_KEYS);
  const list = <T>(key: string, parse: (item: unknown, what: string) => T): T[] =>
    r.sectionList(e, "jdcloud", key, parse);
  const credentials = list("credentials", (item, what) => r.accessKeyPair(item, what));
  const images = list("images", (item, what) => {
    const i = r.entries(item, what, ["name", "id", "source", "healthy"]);
    const source = i.has("source")
      ? { source: r.oneOf(i.get("source")?.value, `${what}.source`, ["public", "thirdparty", "private", "shared"]) }
      : {};
    const healthy =
      i.has("healthy") && !r.boolean(i.get("healthy")?.value, `${what}.healthy`) ? { healthy: false as const } : {};
    return {
      name: r.string(r.require(i, "name", item, what).value, `${what}.name`),
      ...(i.has("id") ? { id: r.string(i.get("id")?.value, `${what}.id`) } : {}),
      ...source,
      ...healthy,
    };
  });
  const keypairs = list("keypairs", (item, what) => ({
    name: r.string(r.require(r.entries(item, what, ["name"]), "name", item, what).value, `${what}.name`),
  }));
  const instances = list("instances", (item, what) => parseInstance(r, item, what, images, keypairs));
  return {
    region: e.has("region") ? r.string(e.get("region")?.value, "jdcloud.region") : "cn-north-1",
    credentials,
    images,
    keypairs,
    instances,
  };
}

function parseInstance(
  r: YamlReader,
  node: unknown,
  what: string,
  images: readonly JdWorldImage[],
  keypairs: readonly { name: string }[],
): JdWorldInstance {
  const e = r.entries(node, what, INSTANCE_KEYS);
  const get = (key: (typeof INSTANCE_KEYS)[number]) => e.get(key)?.value;
  const imageNode = r.require(e, "image", node, what).value;
  const image = r.string(imageNode, `${what}.image`);
  const named = images.filter((i) => i.id === image || i.name === image);
  if (named.length !== 1)
    r.fail(
      imageNode,
      `${what}.image: ${named.length === 0 ? "no image named or with id" : "ambiguous image"} "${image}" in jdcloud.images`,
    );
  const keyPair = e.has("keyPair") ? r.nullableString(get("keyPair"), `${what}.keyPair`) : null;
  if (keyPair !== null && !keypairs.some((k) => k.name === keyPair))
    r.fail(get("keyPair"), `${what}.keyPair: no key pair named "${keyPair}" in jdcloud.keypairs`);
  return {
    name: r.string(r.require(e, "name", node, what).value, `${what}.name`),
    ...(e.has("id") ? { id: r.string(get("id"), `${what}.id`) } : {}),
    image,
    keyPair,
    metadata: e.has("metadata") ? r.stringMap(get("metadata"), `${what}.metadata`) : {},
    userData: e.has("userData") ? r.nullableString(get("userData"), `${what}.userData`) : null,
    status: e.has("status") ? r.oneOf(get("status"), `${what}.status`, ["running", "stopped", "error"]) : "running",
  };
}
