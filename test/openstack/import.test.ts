import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { expectStatus } from "./support/api.js";
import type { CloudFixture, ServerDoc } from "./support/fixture.js";
import { closeSuite, findLeakedSecrets, openSuite } from "./support/suite.js";
import type { Workspace } from "./support/workspace.js";
import { describeRun } from "./support/workspace.js";

// reform import against a real Nova: the servers of this run (--match on its prefix) become a fleet file whose plan is
// empty; nothing on a server changes until --adopt, which records annotations only; drift then has its baseline.
const UD = "#cloud-config\nruncmd:\n  - echo imported\n";
const PLANTED = `Imp0rt-Pa55w0rd-${Math.random().toString(36).slice(2, 10)}`;

let cloud: CloudFixture;
let work: Workspace;
const ids: Record<string, string> = {};
const before: Record<string, ServerDoc> = {};
let imageA: { id: string; name: string };
let imageB: { id: string; name: string };
let kp: string;
/** The suite uploads its own images (no REFORM_TEST_IMAGE_A): an image can then be deleted under a running server. */
const ownImages = !process.env["REFORM_TEST_IMAGE_A"];

const name = (s: string) => `${cloud.prefix}-${s}`;

/** Nova's instance actions of every server of this run: what import must not add to. */
async function allActions(): Promise<Record<string, string[]>> {
  return Object.fromEntries(
    await Promise.all(Object.entries(ids).map(async ([suffix, id]) => [suffix, await cloud.actions(id)] as const)),
  );
}

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  [imageA, imageB, kp] = await Promise.all([
    cloud.image("a", { fromEnv: "A" }),
    cloud.image("b", { fromEnv: "B" }),
    cloud.keyPair("kp"),
  ]);
  for (const suffix of ["web-1", "web-2", "web-3"])
    ids[suffix] = await cloud.boot(suffix, {
      image: imageA.id,
      keyName: kp,
      metadata: { role: "web", owner: "team-a" },
      userData: UD,
    });
  ids["db-1"] = await cloud.boot("db-1", { image: imageB.id, keyName: kp, metadata: { role: "db", owner: "team-a" } });
  ids["secret-1"] = await cloud.boot("secret-1", {
    image: imageA.id,
    keyName: kp,
    metadata: { role: "app", owner: "team-a" },
    userData: `#cloud-config\npassword: ${PLANTED}\n`,
  });
  if (ownImages) {
    const gone = await cloud.image("gone");
    ids["orphan-1"] = await cloud.boot("orphan-1", {
      image: gone.id,
      keyName: kp,
      metadata: { role: "web", owner: "team-a" },
      userData: UD,
    });
    await cloud.settle(ids["orphan-1"]);
    expectStatus(await cloud.api.glance("DELETE", `/images/${gone.id}`), [204], `delete image ${gone.name}`);
  }
  for (const [suffix, id] of Object.entries(ids)) before[suffix] = await cloud.settle(id);
  expectStatus(await cloud.api.nova("POST", `/servers/${ids["db-1"]}/action`, { "os-stop": null }), [202], "stop db-1");
  before["db-1"] = await cloud.settle(ids["db-1"] ?? "", "SHUTOFF");
  await work.write(
    "providers.yaml",
    `# written by the OpenStack integration suite (test/openstack)\nproviders:\n  os: { type: openstack, cloud: ${cloud.cloud.name} }\n`,
  );
});

afterAll(() => closeSuite(cloud, work));

describe("reform import against a real Nova", () => {
  let actions: Record<string, string[]>;
  let text: string;

  it("writes the fleet file of this run's servers: a group for the equal ones, the rest one by one, what it cannot express left out", async () => {
    actions = await allActions();
    const run = await work.reform([
      "import",
      "-c",
      "providers.yaml",
      "--match",
      `${cloud.prefix}-*`,
      "--out",
      "fleet.yaml",
    ]);
    expect(run.code, describeRun(run)).toBe(0);
    text = await readFile(join(work.dir, "fleet.yaml"), "utf8");
    const doc = parse(text) as {
      groups?: { provider: string; match: { name: string }; spec: Record<string, unknown> }[];
      instances: { name: string; spec: Record<string, unknown> }[];
    };
    expect(
      doc.groups?.map((g) => g.match.name),
      text,
    ).toEqual([`${cloud.prefix}-web-*`]);
    const web = {
      ...(parse(text) as { defaults?: { spec: Record<string, unknown> } }).defaults?.spec,
      ...doc.groups?.[0]?.spec,
    };
    expect(web["image"], text).toEqual(text.includes("(by id: ") ? { id: imageA.id } : { name: imageA.name });
    expect(web["keyPair"]).toBe(kp);
    const seesUserData = Object.hasOwn(before["web-1"] ?? {}, "OS-EXT-SRV-ATTR:user_data");
    if (seesUserData) expect(web["userData"], text).toEqual({ inline: UD });
    else expect(text).toContain("userData is not managed: Nova shows user_data only to admins");
    expect(doc.instances.map((i) => i.name).sort()).toEqual([name("db-1"), name("secret-1")]);
    expect(doc.instances.find((i) => i.name === name("db-1"))?.spec["power"]).toBe("stopped");
    if (seesUserData)
      expect(text).toContain("userData is not managed: it looks like it holds secrets (password:); never written");
    if (ownImages)
      expect(run.stdout).toMatch(
        new RegExp(`os/${name("orphan-1")}: its image [0-9a-f-]{36} is not in the cloud's image list`),
      );
    expect(text).not.toContain(PLANTED);
  });

  it("plan on it exits 0 at once, and no server got an instance action from import or plan", async () => {
    const run = await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain("No changes.");
    expect(await allActions()).toEqual(actions);
  });

  it("gives the same bytes again for the same servers", async () => {
    const run = await work.reform([
      "import",
      "-c",
      "providers.yaml",
      "--match",
      `${cloud.prefix}-*`,
      "--out",
      "again.yaml",
    ]);
    expect(run.code, describeRun(run)).toBe(0);
    expect((await readFile(join(work.dir, "again.yaml"), "utf8")).replace("again.yaml", "fleet.yaml")).toBe(text);
  });

  it("--adopt records the annotations only; drift then finds every imported server in sync", async () => {
    const run = await work.reform([
      "import",
      "-c",
      "providers.yaml",
      "--match",
      `${cloud.prefix}-*`,
      "--out",
      "fleet.yaml",
      "--force",
      "--adopt",
    ]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toContain(`${name("web-1")} will be adopted (annotations recorded, server untouched)`);
    expect(run.stdout).toMatch(/Apply: 5 converged, 0 failed, 0 skipped\./);
    const metadata = (await cloud.server(ids["web-1"] ?? "")).metadata;
    expect(Object.keys(metadata).filter((k) => k.startsWith("reform."))).toContain("reform.applied.sha256");
    expect(metadata).toMatchObject({ role: "web", owner: "team-a" });
    const drift = await work.reform(["drift", "-c", "fleet.yaml"]);
    expect(drift.code, describeRun(drift)).toBe(0);
    expect(drift.stdout).toContain("No drift. 5 servers in sync.");
    expect((await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"])).code).toBe(0);
    const after = await allActions();
    for (const [suffix, list] of Object.entries(after))
      expect(
        list.filter((a) => !["create", "stop"].includes(a)),
        suffix,
      ).toEqual([]);
  });

  it("printed and wrote no secret of the cloud, and not the planted password", async () => {
    expect(await findLeakedSecrets(cloud, work, [PLANTED])).toEqual([]);
  });
});
