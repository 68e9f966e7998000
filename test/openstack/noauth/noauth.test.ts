import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { CloudFixture } from "../support/fixture.js";
import { address, fleetYaml } from "../support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "../support/suite.js";
import type { Workspace } from "../support/workspace.js";
import { changeOf, describeRun, planChanges } from "../support/workspace.js";

// REFORM_TEST_NOAUTH=1: a Nova without Keystone (nova [api] auth_strategy = noauth2, Glance without
// auth), as the second phase of test/nova/run.sh starts it. OS_CLOUD's entry is auth_type admin_token
// (token user:project) with compute_endpoint_override / image_endpoint_override.
const UD = "#cloud-config\nruncmd:\n  - echo noauth\n";
let cloud: CloudFixture;
let work: Workspace;
let id: string;
let serverName: string;
let imageB: { id: string; name: string };
let kp2: string;

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  const type = String(cloud.cloud.entry["auth_type"] ?? "password");
  if (type !== "admin_token")
    throw new Error(
      `REFORM_TEST_NOAUTH=1 needs OS_CLOUD to be a noauth2 cloud with auth_type admin_token (${cloud.cloud.name} has ${type})`,
    );
  const [imageA, b, kp1, k2] = await Promise.all([
    cloud.image("a", { fromEnv: "A" }),
    cloud.image("b", { fromEnv: "B" }),
    cloud.keyPair("kp1"),
    cloud.keyPair("kp2"),
  ]);
  imageB = b;
  kp2 = k2;
  serverName = `${cloud.prefix}-noauth`;
  id = await cloud.boot("noauth", {
    image: imageA.id,
    keyName: kp1,
    metadata: { role: "na", owner: "team-na" },
    userData: "#!/bin/sh\n",
  });
  await cloud.settle(id);
  const spec = { image: { name: imageB.name }, keyPair: kp2, userData: { inline: UD }, metadata: { role: "na-v2" } };
  const { auth: _auth, auth_type: _type, ...endpoints } = cloud.cloud.entry;
  await work.write("clouds.yaml", stringify({ clouds: { none: { ...endpoints, auth_type: "none" } } }));
  await work.write("fleet.yaml", fleetYaml(cloud.cloud.name, [{ name: serverName, spec }]));
  await work.write("none.yaml", fleetYaml("none", [{ name: serverName, spec }]));
});

afterAll(() => closeSuite(cloud, work));

describe("noauth2 endpoints (no Keystone)", () => {
  it("auth_type admin_token: plan and apply a rebuild with key pair, user_data and merged metadata", async () => {
    const change = changeOf(
      planChanges(await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"])),
      address(serverName),
    );
    expect(change.steps.map((s) => s.kind)).toContain("rebuild");
    const run = await work.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.code, describeRun(run)).toBe(0);
    const doc = await cloud.settle(id);
    expect([doc.image === "" ? "" : doc.image.id, doc.key_name]).toEqual([imageB.id, kp2]);
    expect(Buffer.from(doc["OS-EXT-SRV-ATTR:user_data"] ?? "", "base64").toString()).toBe(UD);
    expect(doc.metadata).toMatchObject({ role: "na-v2", owner: "team-na" });
    expect(await cloud.actions(id)).toEqual(["create", "rebuild"]);
    const again = await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(again.code, describeRun(again)).toBe(0);
  });

  it("auth_type none: Nova's noauth2 answers 204 without a token; reform refuses, naming noauth2 and admin_token, and changes nothing", async () => {
    const run = await work.reform(["apply", "-c", "none.yaml", "--auto-approve"], {
      cloudsFile: `${work.dir}/clouds.yaml`,
    });
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stderr, describeRun(run)).toMatch(/noauth2.*admin_token/);
    expect(await cloud.actions(id)).toEqual(["create", "rebuild"]);
  });

  it("no token appears in anything reform printed or wrote", async () => {
    expect(await findLeakedSecrets(cloud, work)).toEqual([]);
  });
});
