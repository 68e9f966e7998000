import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { ApiResponse } from "./api.js";
import { expectStatus, OpenStackApi } from "./api.js";
import type { CloudConfig } from "./cloud-config.js";
import { loadCloudConfig } from "./cloud-config.js";

export interface ServerDoc {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly "OS-EXT-STS:task_state"?: string | null;
  readonly image: { readonly id: string } | "";
  readonly key_name: string | null;
  readonly metadata: Record<string, string>;
  readonly "OS-EXT-SRV-ATTR:user_data"?: string | null;
  readonly fault?: { readonly message: string };
}

export interface BootOptions {
  readonly image: string;
  readonly keyName?: string;
  readonly metadata?: Record<string, string>;
  readonly userData?: string;
  /** Boot from a new volume of this many GiB created from the image (deleted with the server), instead of from the image. */
  readonly volumeSize?: number;
}

const env = process.env;

/**
 * The cloud resources of one test file: every server, key pair, image and application credential it
 * creates carries the run's unique prefix and is deleted by cleanup(), also after a failure.
 */
export class CloudFixture {
  readonly prefix = `reform-it-${randomBytes(3).toString("hex")}`;
  private readonly servers: string[] = [];
  private readonly keyPairs: string[] = [];
  private readonly images: string[] = [];
  private readonly appCredentials: string[] = [];
  private flavorId: string | undefined;

  private constructor(
    readonly cloud: CloudConfig,
    readonly api: OpenStackApi,
  ) {}

  static async open(): Promise<CloudFixture> {
    const cloud = loadCloudConfig();
    return new CloudFixture(cloud, await OpenStackApi.connect(cloud.entry));
  }

  /** Imports a fresh ed25519 public key (OpenSSH format, built here) under `<prefix>-<suffix>`. */
  async keyPair(suffix: string): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    const { publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const len = (b: Buffer) => {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(b.length, 0);
      return Buffer.concat([header, b]);
    };
    const blob = Buffer.concat([len(Buffer.from("ssh-ed25519")), len(raw)]);
    await this.api
      .nova(
        "POST",
        "/os-keypairs",
        { keypair: { name, public_key: `ssh-ed25519 ${blob.toString("base64")} ${name}` } },
        "2.2",
      )
      .then((r) => expectStatus(r, [200, 201], `import key pair ${name}`));
    this.keyPairs.push(name);
    return name;
  }

  /**
   * An image id: REFORM_TEST_IMAGE_A / _B (name or id) when given (a real cloud needs bootable images),
   * otherwise a 1 MiB raw image uploaded to Glance under `<prefix>-<suffix>`, with `properties` set.
   */
  async image(
    suffix: string,
    options: { properties?: Record<string, string>; fromEnv?: "A" | "B" } = {},
  ): Promise<{ id: string; name: string }> {
    const given = options.fromEnv ? env[`REFORM_TEST_IMAGE_${options.fromEnv}`] : undefined;
    if (given) return this.findImage(given);
    const name = `${this.prefix}-${suffix}`;
    const created = expectStatus(
      await this.api.glance("POST", "/images", {
        name,
        disk_format: "raw",
        container_format: "bare",
        visibility: "private",
        ...options.properties,
      }),
      [201],
      `create image ${name}`,
    );
    const id = (created.body as { id: string }).id;
    this.images.push(id);
    expectStatus(
      await this.api.glance("PUT", `/images/${id}/file`, new Uint8Array(1024 * 1024), "application/octet-stream"),
      [204],
      `upload image ${name}`,
    );
    await this.until(
      `image ${name} active`,
      60_000,
      async () => ((await this.api.glance("GET", `/images/${id}`)).body as { status?: string }).status === "active",
    );
    return { id, name };
  }

  private async findImage(nameOrId: string): Promise<{ id: string; name: string }> {
    const byId = await this.api.glance("GET", `/images/${encodeURIComponent(nameOrId)}`);
    if (byId.status === 200) return { id: nameOrId, name: (byId.body as { name: string }).name };
    const list = expectStatus(
      await this.api.glance("GET", `/images?name=${encodeURIComponent(nameOrId)}`),
      [200],
      `find image ${nameOrId}`,
    );
    const images = (list.body as { images: { id: string; name: string }[] }).images;
    if (images.length !== 1) throw new Error(`image "${nameOrId}" matches ${images.length} images: give its id`);
    return { id: images[0]!.id, name: nameOrId };
  }

  /** REFORM_TEST_FLAVOR (name or id), otherwise the flavor with the least RAM, then disk, then vCPUs. */
  async flavor(): Promise<string> {
    if (this.flavorId) return this.flavorId;
    const list = expectStatus(await this.api.nova("GET", "/flavors/detail"), [200], "list flavors");
    const flavors = (list.body as { flavors: { id: string; name: string; ram: number; disk: number; vcpus: number }[] })
      .flavors;
    const wanted = env["REFORM_TEST_FLAVOR"];
    const chosen = wanted
      ? flavors.find((f) => f.id === wanted || f.name === wanted)
      : [...flavors].sort((a, b) => a.ram - b.ram || a.disk - b.disk || a.vcpus - b.vcpus)[0];
    if (!chosen)
      throw new Error(wanted ? `flavor "${wanted}" (REFORM_TEST_FLAVOR) not found` : "this cloud has no flavor");
    this.flavorId = chosen.id;
    return chosen.id;
  }

  /** Boots `<prefix>-<suffix>` (no network unless REFORM_TEST_NETWORK names one) and returns its id without waiting. */
  async boot(suffix: string, options: BootOptions): Promise<string> {
    const name = `${this.prefix}-${suffix}`;
    const network = env["REFORM_TEST_NETWORK"];
    const bootVolume =
      options.volumeSize === undefined
        ? undefined
        : [
            {
              boot_index: 0,
              uuid: options.image,
              source_type: "image",
              destination_type: "volume",
              volume_size: options.volumeSize,
              delete_on_termination: true,
            },
          ];
    const server = {
      name,
      ...(bootVolume ? { block_device_mapping_v2: bootVolume } : { imageRef: options.image }),
      flavorRef: await this.flavor(),
      networks: network ? [{ uuid: network }] : "none",
      ...(options.keyName ? { key_name: options.keyName } : {}),
      ...(options.metadata ? { metadata: options.metadata } : {}),
      ...(options.userData !== undefined ? { user_data: Buffer.from(options.userData).toString("base64") } : {}),
    };
    const response = expectStatus(await this.api.nova("POST", "/servers", { server }), [202], `boot ${name}`);
    const id = (response.body as { server: { id: string } }).server.id;
    this.servers.push(id);
    return id;
  }

  async server(id: string): Promise<ServerDoc> {
    return (
      expectStatus(await this.api.nova("GET", `/servers/${id}`), [200], `GET server ${id}`).body as {
        server: ServerDoc;
      }
    ).server;
  }

  /** Waits until the server is ACTIVE (or `status`) with no task; fails at once on ERROR. */
  async settle(id: string, status = "ACTIVE", timeoutMs = 180_000): Promise<ServerDoc> {
    let last: ServerDoc | undefined;
    await this.until(`server ${id} ${status}`, timeoutMs, async () => {
      last = await this.server(id);
      if (last.status === "ERROR" && status !== "ERROR")
        throw new Error(`server ${last.name} is in ERROR: ${last.fault?.message ?? "no fault"}`);
      return last.status === status && !last["OS-EXT-STS:task_state"];
    });
    return last!;
  }

  /** The instance action names Nova recorded for the server, oldest first (create, rebuild, reboot, stop, start...). */
  async actions(id: string): Promise<string[]> {
    const response = expectStatus(
      await this.api.nova("GET", `/servers/${id}/os-instance-actions`),
      [200],
      `instance actions of ${id}`,
    );
    const actions = (response.body as { instanceActions: { action: string; start_time: string; request_id: string }[] })
      .instanceActions;
    return [...actions]
      .sort((a, b) => a.start_time.localeCompare(b.start_time) || a.request_id.localeCompare(b.request_id))
      .map((a) => a.action);
  }

  /** Creates an application credential for the suite's user (Keystone API) and returns its id and secret. */
  async applicationCredential(suffix: string): Promise<{ id: string; secret: string }> {
    const name = `${this.prefix}-${suffix}`;
    const response = expectStatus(
      await this.api.keystone("POST", `/users/${this.api.userId}/application_credentials`, {
        application_credential: { name, description: "reform integration suite; deleted by the suite" },
      }),
      [201],
      `create application credential ${name}`,
    );
    const credential = (response.body as { application_credential: { id: string; secret: string } })
      .application_credential;
    this.appCredentials.push(credential.id);
    return credential;
  }

  async until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Deletes everything this fixture created (servers first, and waits until they are gone). Never throws. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, call: () => Promise<ApiResponse>, ok: readonly number[]) => {
      try {
        const response = await call();
        if (!ok.includes(response.status)) problems.push(`${what}: HTTP ${response.status}`);
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`);
      }
    };
    await Promise.all(
      this.servers.map((id) =>
        attempt(`delete server ${id}`, () => this.api.nova("DELETE", `/servers/${id}`), [204, 404]),
      ),
    );
    await this.until("servers deleted", 120_000, async () =>
      (
        await Promise.all(this.servers.map(async (id) => (await this.api.nova("GET", `/servers/${id}`)).status === 404))
      ).every(Boolean),
    ).catch((error: Error) => problems.push(error.message));
    for (const name of this.keyPairs)
      await attempt(`delete key pair ${name}`, () => this.api.nova("DELETE", `/os-keypairs/${name}`), [202, 204, 404]);
    for (const id of this.images)
      await attempt(`delete image ${id}`, () => this.api.glance("DELETE", `/images/${id}`), [204, 404]);
    for (const id of this.appCredentials)
      await attempt(
        `delete application credential ${id}`,
        () => this.api.keystone("DELETE", `/users/${this.api.userId}/application_credentials/${id}`),
        [204, 404],
      );
    return problems;
  }
}
