import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

/** Volume-backed servers (Nova boot from volume) end to end: the CLI against the emulated Nova and Cinder over loopback. */

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: db }, bootFromVolume: true }
    - { name: db-2, image: ubuntu-24.04, keyPair: ops-2025, metadata: { role: db }, bootFromVolume: true }
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
  volumes:
    - { name: seed, image: ubuntu-24.04, attachedTo: db-1, device: /dev/vdb }
`);

const FLEET = `providers:
  dc1: { type: openstack, cloud: test }
instances:
  - { provider: dc1, name: db-1, spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2026, metadata: { role: db } } }
  - { provider: dc1, name: db-2, spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2025 } }
  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-22.04 } } }
`;

interface PlanDoc {
  readonly changes: readonly {
    readonly address: string;
    readonly action: string;
    readonly impact: string;
    readonly before: { readonly image?: { readonly id: string; readonly name?: string } | null };
    readonly steps: readonly { readonly kind: string; readonly params: Record<string, unknown> }[];
    readonly reasons: readonly { readonly message: string }[];
    readonly unknowns: readonly { readonly field: string; readonly reason: string }[];
  }[];
}

const change = (doc: PlanDoc, address: string) => {
  const found = doc.changes.find((c) => c.address === address);
  if (!found) throw new Error(`no change for ${address}`);
  return found;
};
const rootVolumeOf = (emulator: Emulator, server: string) => {
  const id = serverByName(emulator, server).rootVolumeId;
  const volume = emulator.snapshot().openstack.volumes?.find((v) => v.id === id);
  if (!volume) throw new Error(`${server} has no root volume`);
  return volume;
};
const cinderLists = (emulator: Emulator) => emulator.stats.byRoute["GET /volume/v3/{id}/volumes/detail"] ?? 0;

describe("volume-backed servers at Nova 2.93 (the newest microversion of Zed)", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { maxMicroversion: "2.93" });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("plan reads the image through Cinder in one bulk read and plans one rebuild that re-images the root volume", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json", "--detailed-exitcode"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as PlanDoc;
    const db1 = change(doc, "dc1/db-1");
    expect(db1).toMatchObject({ action: "rebuild", impact: "reprovision", unknowns: [] });
    expect(db1.before.image?.id).toBe(rootVolumeOf(cloud.emulator, "db-1").imageId);
    expect(db1.steps).toEqual([
      expect.objectContaining({
        kind: "rebuild",
        params: expect.objectContaining({
          key_pair: "ops-2026",
          root_volume_id: rootVolumeOf(cloud.emulator, "db-1").id,
        }),
      }),
    ]);
    expect(db1.reasons.map((r) => r.message).join("\n")).toContain(
      `the rebuild re-images the root volume ${rootVolumeOf(cloud.emulator, "db-1").id}: its data is lost`,
    );
    // db-2's volume already has the desired image: nothing to do, and nothing unknown.
    expect(change(doc, "dc1/db-2")).toMatchObject({ action: "no-op", unknowns: [] });
    expect(change(doc, "dc1/web-1").action).toBe("no-op");
    expect(cinderLists(cloud.emulator)).toBe(1);
    const text = await cloud.reform(["plan", "-c", "fleet.yaml"]);
    expect(text.stdout).toContain(
      "# dc1/db-1 will be rebuilt in place (REPROVISION: root volume re-imaged; its data is lost)",
    );
  });

  it("apply re-images the root volume, verifies the image read back from it, and the next plan is empty", async () => {
    const before = rootVolumeOf(cloud.emulator, "db-1");
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 converged/);
    const after = rootVolumeOf(cloud.emulator, "db-1");
    expect(after.id).toBe(before.id);
    expect(after.imageId).not.toBe(before.imageId);
    expect(after).toMatchObject({ status: "in-use", attachment: { device: "/dev/vda" } });
    expect(serverByName(cloud.emulator, "db-1")).toMatchObject({ imageId: "", keyPair: "ops-2026" });
    expect(serverActions(cloud.emulator, "db-1")).toEqual(["rebuild"]);
    // The bootable data volume at /dev/vdb was not taken for the root volume, nor re-imaged.
    expect(cloud.emulator.snapshot().openstack.volumes?.find((v) => v.name === "seed")?.status).toBe("in-use");
    const again = await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  });
});

describe("volume-backed servers below 2.93", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, { maxMicroversion: "2.92" });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("plans the rebuild as unsupported, naming 2.93, and apply changes nothing", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
    expect(run.stderr).toBe("");
    const db1 = change(JSON.parse(run.stdout) as PlanDoc, "dc1/db-1");
    expect(db1).toMatchObject({ action: "unsupported", steps: [] });
    const reasons = db1.reasons.map((r) => r.message).join("\n");
    expect(reasons).toContain(
      "dc1/db-1: the server boots from a volume and the cloud's rebuild cannot re-image a root volume",
    );
    expect(reasons).toContain("compute API microversion 2.92");
    expect(reasons).toContain("needs 2.93");
    const apply = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(serverActions(cloud.emulator, "db-1")).toEqual([]);
    expect(apply.stdout + apply.stderr).toContain("needs 2.93");
  });
});

describe("volume-backed servers when Cinder cannot be read", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("keeps their image unknown with the reason and plans nothing for the image", async () => {
    // Nothing listens on port 9 (discard): the block storage API cannot be reached.
    const clouds = join(cloud.dir, "clouds-down.yaml");
    await writeFile(
      clouds,
      `${await readFile(join(cloud.dir, "clouds.yaml"), "utf8")}    block_storage_endpoint_override: http://127.0.0.1:9/volume/v3\n`,
    );
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"], { OS_CLIENT_CONFIG_FILE: clouds });
    expect(run.stderr).toBe("");
    const doc = JSON.parse(run.stdout) as PlanDoc;
    const db2 = change(doc, "dc1/db-2");
    expect(db2.action).toBe("no-op");
    expect(db2.unknowns).toEqual([
      {
        field: "image",
        reason: expect.stringMatching(
          /^the server boots from a volume: its image is read from its root volume, but the block storage API \(Cinder v3\) could not be read: .*GET \/volumes\/detail/,
        ),
      },
    ]);
    // db-1 also wants another key pair: a rebuild would need the current image, which is unknown.
    expect(change(doc, "dc1/db-1").action).toBe("unsupported");
    expect(change(doc, "dc1/web-1").action).toBe("no-op");
  }, 60_000);
});

describe("paging over 2,000 volumes", () => {
  let cloud: TestCloud;
  const count = 2100;
  beforeAll(async () => {
    const servers = Array.from(
      { length: count },
      (_, i) =>
        `    - { name: vm-${i}, image: ${i % 3 === 0 ? "ubuntu-24.04" : "ubuntu-22.04"}, bootFromVolume: true }`,
    ).join("\n");
    cloud = await startTestCloud(
      worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]\n  servers:\n${servers}\n`),
    );
    await cloud.writeFleet(
      `providers:\n  dc1: { type: openstack, cloud: test }\ngroups:\n  - { name: vms, provider: dc1, match: { name: "vm-*" }, spec: { image: { name: ubuntu-24.04 } } }\n`,
    );
  }, 120_000);
  afterAll(async () => cloud.close());

  it("reads every root volume's image in ceil(volumes / 1000) + 1 Cinder requests and plans each server from its own volume", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
    expect(run.stderr).toBe("");
    const doc = JSON.parse(run.stdout) as PlanDoc;
    expect(doc.changes).toHaveLength(count);
    const rebuilds = doc.changes.filter((c) => c.action === "rebuild");
    expect(rebuilds).toHaveLength(count - Math.ceil(count / 3));
    expect(doc.changes.filter((c) => c.action === "no-op")).toHaveLength(Math.ceil(count / 3));
    expect(doc.changes.every((c) => c.unknowns.length === 0)).toBe(true);
    for (const c of rebuilds.slice(0, 50)) {
      const name = c.address.replace("dc1/", "");
      expect(Number(name.replace("vm-", "")) % 3).not.toBe(0);
      expect(c.steps[0]?.params["root_volume_id"]).toBe(rootVolumeOf(cloud.emulator, name).id);
    }
    expect(cinderLists(cloud.emulator)).toBeLessThanOrEqual(Math.ceil(count / 1000) + 1);
    expect(cinderLists(cloud.emulator)).toBeGreaterThanOrEqual(Math.ceil(count / 1000));
  }, 120_000);
});

describe("reform sim prints a volume line", { timeout: 120_000 }, () => {
  it("whose URL, as block_storage_endpoint_override of a cloud without Keystone, reads the image of a volume-backed server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reform-sim-volume-"));
    await writeFile(
      join(dir, "world.yaml"),
      `openstack:\n  adminToken: sim-fixed-token\n  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]\n  servers: [{ name: db-1, image: ubuntu-22.04, bootFromVolume: true }]\n`,
    );
    const child = spawn(
      process.execPath,
      [resolve(import.meta.dirname, "../../bin/reform.js"), "sim", "--world", "world.yaml", "--port", "0"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let printed = "";
      while (!/volume \S+\n/.test(printed)) printed += String((await once(child.stdout, "data"))[0]);
      const url = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(printed)?.[1] ?? "";
      expect(url("volume")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/volume\/v3$/);
      await writeFile(
        join(dir, "clouds.yaml"),
        `clouds:\n  sim:\n    auth_type: admin_token\n    auth: { token: sim-fixed-token }\n    compute_endpoint_override: ${url("compute")}\n    image_endpoint_override: ${url("image")}\n    block_storage_endpoint_override: ${url("volume")}\n`,
      );
      await writeFile(
        join(dir, "fleet.yaml"),
        `providers:\n  dc1: { type: openstack, cloud: sim }\ninstances:\n  - { provider: dc1, name: db-1, spec: { image: { name: ubuntu-24.04 } } }\n`,
      );
      const plan = await runCli(["plan", "--output", "json"], { cwd: dir });
      expect(plan.stderr).toBe("");
      const db1 = change(JSON.parse(plan.stdout) as PlanDoc, "dc1/db-1");
      expect(db1).toMatchObject({ action: "rebuild", unknowns: [], before: { image: { name: "ubuntu-22.04" } } });
    } finally {
      child.kill("SIGTERM");
      await once(child, "close");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
