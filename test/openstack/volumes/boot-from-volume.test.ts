import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus } from "../support/api.js";
import type { CloudFixture } from "../support/fixture.js";
import { address, fleetYaml } from "../support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "../support/suite.js";
import type { Workspace } from "../support/workspace.js";
import { changeOf, describeRun, planChanges } from "../support/workspace.js";

// A server that boots from a Cinder volume (REFORM_TEST_VOLUMES=1: the cloud has a block storage API; test/nova/run.sh
// starts a real Cinder next to Nova 31). Nova shows its image as "": reform reads it from the root volume, rebuilds
// it at 2.93 or later (the volume is re-imaged) and verifies the image read back from the volume.

interface Volume {
  readonly id: string;
  readonly status: string;
  readonly attachments: readonly { readonly server_id: string; readonly device: string }[];
  readonly volume_image_metadata?: { readonly image_id?: string };
}

let cloud: CloudFixture;
let work: Workspace;
let id: string;
let imageA: { id: string; name: string };
let imageB: { id: string; name: string };
let kp1: string;
let kp2: string;
const name = (s: string) => `${cloud.prefix}-${s}`;

/** The server's root volume, read through Cinder's API by the suite (not by reform). */
async function rootVolume(): Promise<Volume> {
  const list = expectStatus(await cloud.api.cinder("GET", "/volumes/detail"), [200], "list volumes");
  const volumes = (list.body as { volumes: Volume[] }).volumes.filter((v) =>
    v.attachments.some((a) => a.server_id === id),
  );
  if (volumes.length !== 1) throw new Error(`server ${id} has ${volumes.length} volumes attached`);
  return volumes[0] as Volume;
}

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  if (!cloud.api.hasVolumes)
    throw new Error(
      "REFORM_TEST_VOLUMES=1 but the cloud has no block storage API (volumev3 / block-storage in the catalog)",
    );
  [imageA, imageB, kp1, kp2] = await Promise.all([
    cloud.image("a", { fromEnv: "A" }),
    cloud.image("b", { fromEnv: "B" }),
    cloud.keyPair("kp1"),
    cloud.keyPair("kp2"),
  ]);
  id = await cloud.boot("bfv", { image: imageA.id, keyName: kp1, metadata: { role: "db" }, volumeSize: 1 });
  await cloud.settle(id, "ACTIVE", 300_000);
});

afterAll(() => closeSuite(cloud, work));

describe("a volume-backed server on a real Nova and Cinder", () => {
  it("boots from a volume: Nova shows no image, Cinder shows the image on the root volume", async () => {
    expect((await cloud.server(id)).image).toBe("");
    const volume = await rootVolume();
    expect(volume).toMatchObject({ status: "in-use", volume_image_metadata: { image_id: imageA.id } });
  });

  it("plan reads its image from the root volume in bulk: nothing unknown, nothing to do", async () => {
    await work.write(
      "same.yaml",
      fleetYaml(cloud.cloud.name, [{ name: name("bfv"), spec: { image: { id: imageA.id }, keyPair: kp1 } }]),
    );
    const run = await work.reform(["--debug", "plan", "-c", "same.yaml", "--output", "json", "--detailed-exitcode"]);
    expect(run.code, describeRun(run)).toBe(0);
    const change = changeOf(planChanges(run), address(name("bfv")));
    expect(change.action).toBe("no-op");
    expect((change as unknown as { unknowns: unknown[] }).unknowns).toEqual([]);
    const reads = run.stderr.split("\n").filter((line) => /GET \S*\/volumes/.test(line));
    expect(reads.length, describeRun(run)).toBe(1);
    expect(reads[0]).toMatch(/GET \S*\/volumes\/detail\?bootable=true/);
  });

  it("plans an image and key pair change as one rebuild that re-images the root volume", async () => {
    await work.write(
      "fleet.yaml",
      fleetYaml(cloud.cloud.name, [
        { name: name("bfv"), spec: { image: { name: imageB.name }, keyPair: kp2, metadata: { role: "db-v2" } } },
      ]),
    );
    const run = await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"]);
    const change = changeOf(planChanges(run), address(name("bfv")));
    expect([change.action, change.impact], describeRun(run)).toEqual(["rebuild", "reprovision"]);
    expect(change.steps.find((s) => s.kind === "rebuild")?.params).toMatchObject({
      image_id: imageB.id,
      key_pair: kp2,
      root_volume_id: (await rootVolume()).id,
    });
  });

  it("below microversion 2.93 the same change is unsupported, naming 2.93, and nothing is sent", async () => {
    const entry = { ...cloud.cloud.entry, compute_api_version: "2.92" };
    const clouds = await work.write("clouds-2.92.yaml", stringify({ clouds: { [cloud.cloud.name]: entry } }));
    const run = await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"], { cloudsFile: clouds });
    const change = changeOf(planChanges(run), address(name("bfv")));
    expect(change.action, describeRun(run)).toBe("unsupported");
    expect(run.stdout).toContain("needs 2.93");
    expect(await cloud.actions(id)).toEqual(["create"]);
  });

  it("apply converges: the same volume now carries image B, Nova still shows no image, and the next plan is empty", async () => {
    const volumeBefore = await rootVolume();
    const run = await work.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], { timeoutMs: 600_000 });
    expect(run.code, describeRun(run)).toBe(0);
    const server = await cloud.settle(id);
    expect(server).toMatchObject({ image: "", key_name: kp2, metadata: expect.objectContaining({ role: "db-v2" }) });
    const volume = await rootVolume();
    expect(volume.id).toBe(volumeBefore.id);
    expect(volume).toMatchObject({ status: "in-use", volume_image_metadata: { image_id: imageB.id } });
    expect(await cloud.actions(id)).toEqual(["create", "rebuild"]);
    const again = await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(again.code, describeRun(again)).toBe(0);
  });

  it("leaks no secret", async () => {
    expect(await findLeakedSecrets(cloud, work)).toEqual([]);
  });
});
