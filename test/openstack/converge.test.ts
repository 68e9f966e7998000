import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudFixture, ServerDoc } from "./support/fixture.js";
import { address, fleetYaml } from "./support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "./support/suite.js";
import type { Workspace } from "./support/workspace.js";
import { changeOf, describeRun, planChanges } from "./support/workspace.js";

// Rebuild (image, key pair only, user_data only), metadata-only update, unmanaged metadata, an empty second plan.
const UD1 = "#!/bin/sh\necho first boot\n";
const UD2 = "#cloud-config\nruncmd:\n  - echo rebuilt by reform\n";

let cloud: CloudFixture;
let work: Workspace;
const ids: Record<string, string> = {};
const before: Record<string, ServerDoc> = {};
let imageA: { id: string; name: string };
let imageB: { id: string; name: string };
let kp1: string;
let kp2: string;

const name = (s: string) => `${cloud.prefix}-${s}`;
const userDataOf = (doc: ServerDoc) => Buffer.from(doc["OS-EXT-SRV-ATTR:user_data"] ?? "", "base64").toString();
const imageOf = (doc: ServerDoc) => (doc.image === "" ? "" : doc.image.id);

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  [imageA, imageB, kp1, kp2] = await Promise.all([
    cloud.image("a", { fromEnv: "A" }),
    cloud.image("b", { fromEnv: "B" }),
    cloud.keyPair("kp1"),
    cloud.keyPair("kp2"),
  ]);
  const boots = {
    img: { role: "web", owner: "team-a", "cost-center": "cc-1" },
    meta: { role: "db", owner: "team-b" },
    key: { role: "key", owner: "team-k" },
    ud: { role: "ud", owner: "team-u" },
  };
  for (const [suffix, metadata] of Object.entries(boots))
    ids[suffix] = await cloud.boot(suffix, { image: imageA.id, keyName: kp1, metadata, userData: UD1 });
  for (const [suffix, id] of Object.entries(ids)) before[suffix] = await cloud.settle(id);
  await work.write(
    "fleet.yaml",
    fleetYaml(cloud.cloud.name, [
      {
        name: name("img"),
        spec: {
          image: { name: imageB.name },
          keyPair: kp2,
          userData: { inline: UD2 },
          metadata: { role: "web-v2", tier: "frontend" },
        },
      },
      { name: name("meta"), spec: { image: { id: imageA.id }, keyPair: kp1, metadata: { role: "db-v2" } } },
      { name: name("key"), spec: { image: { id: imageA.id }, keyPair: kp2, metadata: { role: "key" } } },
      {
        name: name("ud"),
        spec: { image: { id: imageA.id }, keyPair: kp1, userData: { inline: UD2 }, metadata: { role: "ud" } },
      },
    ]),
  );
});

afterAll(() => closeSuite(cloud, work));

describe("plan and apply against a real Nova", () => {
  it("validate accepts the fleet file", async () => {
    const run = await work.reform(["validate", "-c", "fleet.yaml"]);
    expect(run.code, describeRun(run)).toBe(0);
  });

  it("plan exits 2 and reads the servers in bulk, never one by one", async () => {
    const run = await work.reform(["--debug", "plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(run.code, describeRun(run)).toBe(2);
    const requests = run.stderr.split("\n").filter((line) => /\b(GET|POST|PUT|DELETE)\b.*\/servers/.test(line));
    expect(
      requests.some((line) => /GET .*\/servers\/detail/.test(line)),
      describeRun(run),
    ).toBe(true);
    expect(
      requests.filter((line) => /GET \S*\/servers\/[0-9a-f-]{36}(\?|\s|$)/.test(line)),
      describeRun(run),
    ).toEqual([]);
  });

  it("plans an image change as one rebuild carrying the key pair, user_data and the full merged metadata", async () => {
    const changes = planChanges(await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"]));
    const img = changeOf(changes, address(name("img")));
    expect(img.action).toBe("rebuild");
    expect(img.impact).toBe("reprovision");
    const rebuild = img.steps.find((s) => s.kind === "rebuild");
    expect(rebuild?.params).toMatchObject({
      image_id: imageB.id,
      key_pair: kp2,
      metadata: { full: { role: "web-v2", tier: "frontend", owner: "team-a", "cost-center": "cc-1" } },
    });
    const meta = changeOf(changes, address(name("meta")));
    expect([meta.action, meta.impact, meta.steps.map((s) => s.kind)]).toEqual([
      "update-metadata",
      "none",
      ["update-metadata"],
    ]);
    for (const suffix of ["key", "ud"]) {
      const change = changeOf(changes, address(name(suffix)));
      expect([change.action, change.steps.map((s) => s.kind)], suffix).toEqual(["rebuild", ["rebuild"]]);
    }
  });

  it("apply converges every server", async () => {
    const run = await work.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.code, describeRun(run)).toBe(0);
    for (const suffix of Object.keys(ids))
      expect(run.stdout, describeRun(run)).toContain(`${address(name(suffix))}: converged`);
  });

  it("Nova shows the image change: same server, image B, key pair 2, new user_data, managed and unmanaged metadata", async () => {
    const doc = await cloud.settle(ids["img"]!);
    expect([doc.id, imageOf(doc), doc.key_name]).toEqual([ids["img"], imageB.id, kp2]);
    if (doc["OS-EXT-SRV-ATTR:user_data"] !== undefined) expect(userDataOf(doc)).toBe(UD2);
    expect(doc.metadata).toMatchObject({ role: "web-v2", tier: "frontend", owner: "team-a", "cost-center": "cc-1" });
    expect(await cloud.actions(ids["img"]!)).toEqual(["create", "rebuild"]);
  });

  it("Nova shows the metadata-only change without a rebuild or reboot, unmanaged key kept", async () => {
    const doc = await cloud.settle(ids["meta"]!);
    expect([imageOf(doc), doc.key_name]).toEqual([imageA.id, kp1]);
    expect(doc.metadata).toMatchObject({ role: "db-v2", owner: "team-b" });
    if (doc["OS-EXT-SRV-ATTR:user_data"] !== undefined) expect(userDataOf(doc)).toBe(UD1);
    expect(await cloud.actions(ids["meta"]!)).toEqual(["create"]);
  });

  it("Nova shows the key-pair-only rebuild: key 2, image and user_data unchanged, metadata kept", async () => {
    const doc = await cloud.settle(ids["key"]!);
    expect([imageOf(doc), doc.key_name]).toEqual([imageA.id, kp2]);
    if (doc["OS-EXT-SRV-ATTR:user_data"] !== undefined) expect(userDataOf(doc)).toBe(UD1);
    expect(doc.metadata).toMatchObject({ role: "key", owner: "team-k" });
    expect(await cloud.actions(ids["key"]!)).toEqual(["create", "rebuild"]);
  });

  it("Nova shows the user_data-only rebuild: new user_data, image and key unchanged, metadata kept", async () => {
    const doc = await cloud.settle(ids["ud"]!);
    expect([imageOf(doc), doc.key_name]).toEqual([imageA.id, kp1]);
    if (doc["OS-EXT-SRV-ATTR:user_data"] !== undefined) expect(userDataOf(doc)).toBe(UD2);
    expect(doc.metadata).toMatchObject({ role: "ud", owner: "team-u" });
    expect(await cloud.actions(ids["ud"]!)).toEqual(["create", "rebuild"]);
  });

  it("a second plan is empty (exit 0, no steps) and the server ids did not change", async () => {
    const run = await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(run.code, describeRun(run)).toBe(0);
    const changes = planChanges(await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"]));
    expect(changes.flatMap((c) => c.steps)).toEqual([]);
    const listed = (await cloud.api.nova("GET", `/servers/detail?name=^${cloud.prefix}-`)).body as {
      servers: { id: string }[];
    };
    expect(listed.servers.map((s) => s.id).sort()).toEqual(Object.values(ids).sort());
  });

  it("no password, token or credential secret appears in anything reform printed or wrote", async () => {
    expect(await findLeakedSecrets(cloud, work)).toEqual([]);
  });
});
