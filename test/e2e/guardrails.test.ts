import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverByName } from "../support/world.js";

const SERVERS = ["web-1", "web-2", "web-3", "db-1"];

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
${SERVERS.map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: ${n.slice(0, -2)} } }`).join("\n")}
`);

/** Every server gets the new image: four reprovisions. */
const NEW_IMAGE = `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - { name: all, provider: dc1, match: { name: "*" }, spec: { image: { name: ubuntu-24.04 } } }
`;

interface PlanJson {
  readonly applyable: boolean;
  readonly limits?: { reprovision: { limit: number | string; source: string; max: number; count: number } };
  readonly changes: readonly {
    address: string;
    action: string;
    steps: unknown[];
    blocked?: { by: string; message: string };
    considered: { action: string; impact: string; why: string }[];
  }[];
}

describe("guardrails refuse before anything runs", { timeout: 180_000 }, () => {
  let cloud: TestCloud;
  /** Mutating actions the emulator accepted so far: a refused plan must leave this unchanged. */
  const accepted = () => cloud.emulator.stats.actions.filter((a) => a.action !== "create").length;
  const imageOf = (name: string) =>
    cloud.emulator.snapshot().openstack.images.find((i) => i.id === serverByName(cloud.emulator, name).imageId)?.name;

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(`${NEW_IMAGE}limits: { reprovision: 2 }\n`, "limit.yaml");
    await cloud.writeFleet(`${NEW_IMAGE}limits: { reprovision: "50%" }\n`, "percent.yaml");
    await cloud.writeFleet(
      `${NEW_IMAGE}  - { name: db, provider: dc1, match: { name: "db-*" }, policy: { protect: true } }
defaults:
  policy: { maxDisruption: reboot }
instances:
  - { provider: dc1, name: web-1, policy: { maxDisruption: reprovision } }
`,
      "policy.yaml",
    );
  });
  afterAll(async () => cloud.close());

  it("plan over limits.reprovision exits 1 with the count, the limit and the servers, and still prints the document", async () => {
    const text = await cloud.reform(["plan", "-c", "limit.yaml"]);
    expect(text.code).toBe(1);
    const servers = "dc1/db-1, dc1/web-1, dc1/web-2, dc1/web-3";
    expect(text.stderr).toBe(
      `Error: the plan reprovisions 4 servers, over the limit of 2 (limits.reprovision): ${servers}; nothing was changed\n`,
    );
    expect(text.stdout).toContain(
      `Refused: the plan reprovisions 4 servers, over the limit of 2 (limits.reprovision): ${servers}.`,
    );
    const json = await cloud.reform(["plan", "-c", "limit.yaml", "--output", "json"]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as PlanJson;
    expect(doc.applyable).toBe(false);
    expect(doc.limits).toEqual({ reprovision: { limit: 2, source: "fleet file", max: 2, count: 4 } });
    expect(doc.changes.map((c) => [c.action, c.blocked?.by])).toEqual(
      SERVERS.map(() => ["rebuild", "limits.reprovision"]),
    );
    // A percentage is of the targeted servers: 50% of 4 is 2; with one server targeted it is 0.
    const percent = await cloud.reform(["plan", "-c", "percent.yaml"]);
    expect(percent.stderr).toContain("over the limit of 50% of the targeted servers = 2 (limits.reprovision)");
    const one = await cloud.reform(["plan", "-c", "percent.yaml", "--target", "dc1/web-1"]);
    expect(one.stderr).toContain(
      "the plan reprovisions 1 server, over the limit of 50% of the targeted servers = 0 (limits.reprovision): dc1/web-1;",
    );
  });

  it("apply refuses the same plan, and apply PLANFILE checks the saved plan's limit again, even when its applyable was edited", async () => {
    const before = accepted();
    const direct = await cloud.reform(["apply", "-c", "limit.yaml", "--auto-approve"]);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toContain("the plan reprovisions 4 servers, over the limit of 2 (limits.reprovision)");
    await cloud.reform(["plan", "-c", "limit.yaml", "-out", "limit.plan.json"]);
    const path = join(cloud.dir, "limit.plan.json");
    const saved = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...saved, applyable: true }));
    const replay = await cloud.reform(["apply", "limit.plan.json"]);
    expect(replay.code).toBe(1);
    const refusal =
      "Error: the plan reprovisions 4 servers, over the limit of 2 (limits.reprovision): dc1/db-1, dc1/web-1, dc1/web-2, dc1/web-3; nothing was changed\n";
    expect(replay.stderr).toBe(refusal);
    // Without its record of the limit, the saved plan is measured against the fleet file's.
    const { limits: _dropped, ...unrecorded } = saved;
    await writeFile(
      path,
      JSON.stringify({
        ...unrecorded,
        applyable: true,
        changes: (saved["changes"] as { blocked?: unknown }[]).map(({ blocked: _b, ...c }) => c),
      }),
    );
    const bare = await cloud.reform(["apply", "limit.plan.json"]);
    expect([bare.code, bare.stderr]).toEqual([1, refusal]);
    expect(accepted()).toBe(before);
  });

  it("--max-reprovisions overrides the file, is recorded in the saved plan, and overrides it again at apply PLANFILE", async () => {
    const raised = await cloud.reform([
      "plan",
      "-c",
      "limit.yaml",
      "--max-reprovisions",
      "4",
      "-out",
      "raised.plan.json",
    ]);
    expect(raised.code).toBe(0);
    const doc = JSON.parse(await readFile(join(cloud.dir, "raised.plan.json"), "utf8")) as PlanJson;
    expect(doc.limits).toEqual({ reprovision: { limit: 4, source: "--max-reprovisions", max: 4, count: 4 } });
    expect(doc.applyable).toBe(true);
    expect((await cloud.reform(["show", "raised.plan.json", "-v"])).stdout).toContain(
      "considered: reboot (reboot): cannot carry the image",
    );
    const before = accepted();
    const lowered = await cloud.reform(["apply", "raised.plan.json", "--max-reprovisions", "3"]);
    expect(lowered.code).toBe(1);
    expect(lowered.stderr).toContain("the plan reprovisions 4 servers, over the limit of 3 (--max-reprovisions)");
    expect(accepted()).toBe(before);
    expect(SERVERS.map(imageOf)).toEqual(SERVERS.map(() => "ubuntu-22.04"));
  });

  it("policy refuses a protected server's rebuild and a rebuild over maxDisruption, naming server, field, action and policy", async () => {
    const before = accepted();
    const run = await cloud.reform(["plan", "-c", "policy.yaml", "-v"]);
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n").filter(Boolean)).toEqual([
      "Error: dc1/db-1: image needs rebuild (reprovision: rebuild), protected by policy protect: true (never reprovisioned); nothing of this server is planned",
      "Error: dc1/web-2: image needs rebuild (reprovision: rebuild), over policy maxDisruption: reboot; nothing of this server is planned",
      "Error: dc1/web-3: image needs rebuild (reprovision: rebuild), over policy maxDisruption: reboot; nothing of this server is planned",
    ]);
    // The instance's own policy wins over defaults: web-1 may be rebuilt.
    expect(run.stdout).toMatch(/# dc1\/web-1 will be rebuilt in place/);
    expect(run.stdout).toMatch(/Plan: 1 rebuild, 3 error\./);
    // -v explains every planned server: what cheaper actions were considered and why not.
    expect(run.stdout).toContain(
      "considered: rebuild with the same image (reprovision): keeps the image, and the image changes",
    );
    expect(run.stdout).toContain("considered: update-metadata (none): cannot carry the image");
    expect((await cloud.reform(["plan", "-c", "policy.yaml"])).stdout).not.toContain("considered:");
    const doc = JSON.parse((await cloud.reform(["plan", "-c", "policy.yaml", "--output", "json"])).stdout) as PlanJson;
    expect(doc.changes.map((c) => [c.address, c.action, c.blocked?.by, c.steps.length])).toEqual([
      ["dc1/db-1", "error", "protect", 0],
      ["dc1/web-1", "rebuild", undefined, 1],
      ["dc1/web-2", "error", "maxDisruption", 0],
      ["dc1/web-3", "error", "maxDisruption", 0],
    ]);
    expect(doc.changes[1]?.considered.map((c) => c.action)).toEqual([
      "update-metadata",
      "reboot",
      "rebuild with the same image",
    ]);
    const markdown = await cloud.reform(["plan", "-c", "policy.yaml", "--output", "markdown"]);
    expect(markdown.stdout).toContain("**Blocked by `protect`:** dc1/db-1: image needs rebuild");
    expect(markdown.stdout).toContain("- `reboot` (reboot): cannot carry the image");
    expect((await cloud.reform(["apply", "-c", "policy.yaml", "--auto-approve"])).code).toBe(1);
    expect(accepted()).toBe(before);
  });

  it("apply PLANFILE never applies a plan with errors edited to applyable, nor one whose errors were edited away", async () => {
    const before = accepted();
    await cloud.reform(["plan", "-c", "policy.yaml", "-out", "policy.plan.json"]);
    const path = join(cloud.dir, "policy.plan.json");
    const saved = JSON.parse(await readFile(path, "utf8")) as PlanJson & Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...saved, applyable: true }));
    const edited = await cloud.reform(["apply", "policy.plan.json"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("Error: dc1/db-1: image needs rebuild (reprovision: rebuild), protected by policy");
    const erased = saved.changes.map(({ blocked: _b, ...c }) => (c.action === "error" ? { ...c, action: "no-op" } : c));
    await writeFile(path, JSON.stringify({ ...saved, applyable: true, changes: erased }));
    const hidden = await cloud.reform(["apply", "policy.plan.json"]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toMatch(
      /a fresh plan of .*policy\.yaml has errors on dc1\/db-1, dc1\/web-2, dc1\/web-3, so the saved plan is never applied/,
    );
    expect(accepted()).toBe(before);
  });

  it("a limit raised at plan must be raised again at apply PLANFILE (else the fleet file's, stricter, holds); then it applies", async () => {
    const before = accepted();
    const bare = await cloud.reform(["apply", "raised.plan.json"]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain("the plan reprovisions 4 servers, over the limit of 2 (limits.reprovision)");
    expect(accepted()).toBe(before);
    const run = await cloud.reform(["apply", "raised.plan.json", "--max-reprovisions", "4"]);
    expect(run.code).toBe(0);
    expect(SERVERS.map(imageOf)).toEqual(SERVERS.map(() => "ubuntu-24.04"));
  });
});
