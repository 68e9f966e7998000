import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nova, tokenFor, waitFor } from "../../src/emulator/test-client.js";
import type { TestCloud } from "../support/cloud.js";
import { ADMIN_PASSWORD, startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
`);

const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.04 } } }
  - { provider: dc1, name: web-2, spec: { image: { name: ubuntu-24.04 } } }
`;

describe("saved plans", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
    await cloud.writeFleet(
      `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: web-2, spec: { metadata: { touched: by-hand } } }
`,
      "outside.yaml",
    );
  });
  afterAll(async () => cloud.close());

  it("are shown in every format from the saved document", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
    const text = await cloud.reform(["show", "plan.json"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/dc1\/web-1 will be rebuilt in place/);
    const markdown = await cloud.reform(["show", "plan.json", "--output", "markdown"]);
    expect(markdown.stdout).toMatch(/<details>/);
    const json = await cloud.reform(["show", "plan.json", "--output", "json"]);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(await readFile(join(cloud.dir, "plan.json"), "utf8")));
  });

  it("are refused, naming the server, when a server changed outside reform since the plan", async () => {
    expect((await cloud.reform(["apply", "-c", "outside.yaml", "--auto-approve"])).code).toBe(0);
    const run = await cloud.reform(["apply", "plan.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/stale[^\n]*dc1\/web-2/);
    expect(run.stderr).not.toMatch(/dc1\/web-1/);
    expect(serverActions(cloud.emulator, "web-1")).toEqual([]);
  });

  it("are applied without asking when nothing moved, and verified", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "fresh.json"])).code).toBe(0);
    const run = await cloud.reform(["apply", "fresh.json"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 converged/);
    expect(serverByName(cloud.emulator, "web-2").metadata).toMatchObject({ touched: "by-hand" });
    const again = await cloud.reform(["apply", "fresh.json"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/stale/);
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
  });

  it("are refused when corrupted or edited by hand, with a readable error", async () => {
    const doc = JSON.parse(await readFile(join(cloud.dir, "fresh.json"), "utf8")) as { changes: { action: string }[] };
    doc.changes[0] = { ...doc.changes[0], action: "explode" } as { action: string };
    await writeFile(join(cloud.dir, "edited.json"), JSON.stringify(doc));
    await writeFile(
      join(cloud.dir, "truncated.json"),
      (await readFile(join(cloud.dir, "fresh.json"), "utf8")).slice(0, 200),
    );
    for (const file of ["edited.json", "truncated.json"]) {
      const run = await cloud.reform(["apply", file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`${file} is not a (valid )?reform plan`));
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("a saved plan whose steps were edited by hand, still a valid plan document", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("is refused, naming the server, before any action: reform runs only what the fleet file calls for", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
    const old = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-22.04")?.id;
    type Doc = { changes: { address: string; steps: { params: { image_id?: string } }[] }[] };
    const doc = JSON.parse(await readFile(join(cloud.dir, "plan.json"), "utf8")) as Doc;
    const web2 = doc.changes.find((c) => c.address === "dc1/web-2");
    expect(web2?.steps[0]?.params.image_id).toBeDefined();
    web2!.steps[0]!.params.image_id = old;
    await writeFile(join(cloud.dir, "edited.json"), JSON.stringify(doc));
    expect((await cloud.reform(["show", "edited.json"])).code).toBe(0); // still a well-formed plan

    const run = await cloud.reform(["apply", "edited.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /the plan does not match what the fleet file calls for now on this server: dc1\/web-2 \(the plan file was edited/,
    );
    expect(run.stderr).not.toMatch(/dc1\/web-1/);
    expect(cloud.emulator.stats.actions).toEqual([]);
    // The untouched plan still applies.
    expect((await cloud.reform(["apply", "plan.json"])).code).toBe(0);
  });
});

describe("a saved plan after a rebuild sent straight to Nova (not through reform)", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("is refused as stale, naming only the rebuilt server, and sends nothing", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "plan.json"])).code).toBe(0);
    const target = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    // Someone rebuilds web-1 by hand, to the very image the plan asks for: applying the plan would rebuild it twice.
    const token = await tokenFor(cloud.emulator, "admin", ADMIN_PASSWORD);
    const web1 = serverByName(cloud.emulator, "web-1");
    const reply = await nova(
      cloud.emulator,
      token,
      "2.57",
    )(`/servers/${web1.id}/action`, { method: "POST", body: { rebuild: { imageRef: target } } });
    expect(reply.status).toBe(202);
    await waitFor(
      async () => serverByName(cloud.emulator, "web-1"),
      (s) => s.taskState === null && s.vmState === "active",
    );
    expect(serverByName(cloud.emulator, "web-1").imageId).toBe(target);
    const accepted = cloud.emulator.stats.actions.length;

    const run = await cloud.reform(["apply", "plan.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the plan is stale: this server changed since it was made: dc1\/web-1; run plan again/);
    expect(run.stderr).not.toMatch(/web-2/);
    expect(run.stdout).toBe("");
    expect(cloud.emulator.stats.actions.length).toBe(accepted);
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
    expect(serverActions(cloud.emulator, "web-2")).toEqual([]);
  });

  it("a new plan made after it no longer rebuilds that server", async () => {
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "-out", "again.json"])).code).toBe(0);
    const run = await cloud.reform(["apply", "again.json"]);
    expect(run.code).toBe(0);
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
    expect(serverActions(cloud.emulator, "web-2")).toEqual(["rebuild"]);
  });
});

describe("the JSON reports of apply and drift given to show", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("are recognized and rendered, saying what they are, never called corrupted plans", async () => {
    const applied = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(applied.code).toBe(0);
    await writeFile(join(cloud.dir, "report.json"), applied.stdout);
    const drifted = await cloud.reform(["drift", "-c", "fleet.yaml", "--output", "json"]);
    expect(drifted.code).toBe(0);
    await writeFile(join(cloud.dir, "drift.json"), drifted.stdout);

    const report = await cloud.reform(["show", "report.json"]);
    expect(report.stderr).toBe("");
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(
      /^Apply report of a run from \S+ to \S+, made by reform apply:\n\n✓ dc1\/web-1: converged \(rebuild \[rebuild\], [\d.]+s\)\n✓ dc1\/web-2: converged/,
    );
    expect(report.stdout).toContain("Apply: 2 converged, 0 failed, 0 skipped.");
    expect(JSON.parse((await cloud.reform(["show", "report.json", "--output", "json"])).stdout)).toEqual(
      JSON.parse(applied.stdout),
    );
    const markdown = await cloud.reform(["show", "report.json", "--output", "markdown"]);
    expect(markdown.code).toBe(1);
    expect(markdown.stderr).toBe(
      "Error: report.json is an apply report (`reform apply --output json`): it renders as text or json, not markdown\n",
    );

    const drift = await cloud.reform(["show", "drift.json"]);
    expect(drift.code).toBe(0);
    expect(drift.stdout).toMatch(
      /^Drift report of \S*fleet\.yaml, made \S+ by reform drift:\n\nNo drift\. 2 servers in sync\.\n$/,
    );
    expect((await cloud.reform(["show", "drift.json", "--output", "markdown"])).stdout).toMatch(/^## reform drift\n/);
    for (const run of [report, drift]) expect(run.stdout + run.stderr).not.toMatch(/corrupted|edited by hand/);
  });
});
