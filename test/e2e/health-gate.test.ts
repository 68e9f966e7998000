import { spawn } from "node:child_process";
import { once } from "node:events";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions } from "../support/world.js";

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLES = join(ROOT, "examples");

interface Report {
  readonly results: readonly {
    readonly address: string;
    readonly result: { readonly type: string; readonly why?: string };
  }[];
}
interface PlanDocument {
  readonly changes: readonly { readonly address: string; readonly action: string }[];
}

describe("reform sim prints a health line whose route knows the servers of every cloud in the world", () => {
  it("prints `health <base>` with the APIs' lines; GET <base>/servers/{name} answers for OpenStack, Huawei and JD servers, 404 for others", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reform-health-"));
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin/reform.js"), "sim", "--world", join(EXAMPLES, "quickstart-world.yaml"), "--port", "0"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let printed = "";
      while (!/^health \S+\n/m.test(printed)) printed += String((await once(child.stdout, "data"))[0]);
      const base = /^health (\S+)$/m.exec(printed)?.[1] ?? "";
      const port = /^identity http:\/\/127\.0\.0\.1:(\d+)\//m.exec(printed)?.[1];
      expect(base).toBe(`http://127.0.0.1:${port}/health`);
      expect(printed.split("\n").map((line) => line.split(" ")[0])).toEqual([
        "identity",
        "compute",
        "image",
        "volume",
        "huaweicloud-ecs",
        "jdcloud-vm",
        "health",
        "",
      ]);
      for (const name of ["web-1", "hw-web-1", "jd-web-1"]) {
        const reply = await fetch(`${base}/servers/${name}`);
        expect([name, reply.status, ((await reply.json()) as { healthy: boolean }).healthy]).toEqual([name, 200, true]);
      }
      expect((await fetch(`${base}/servers/jd-web-1-typo`)).status).toBe(404);
    } finally {
      child.kill("SIGTERM");
      await once(child, "close");
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("examples/bad-image.yaml: a rebuild to a healthy: false image succeeds, fails its gate on the embedded sim's health route, halts the rollout and is rolled back", () => {
  let dir: string;
  const reform = (args: readonly string[]) => runCli([...args], { cwd: dir, timeoutMs: 90_000 });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-bad-image-"));
    await cp(join(EXAMPLES, "bad-image.yaml"), join(dir, "bad-image.yaml"));
    await cp(join(EXAMPLES, "worlds/bad-image.yaml"), join(dir, "worlds/bad-image.yaml"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("web-1 is rebuilt onto the bad image, fails its gate with the route's 503 and is rebuilt back; web-2 and web-3 are never started; plan shows all three pending", async () => {
    const run = await reform(["apply", "-c", "bad-image.yaml", "--auto-approve", "--output", "json"]);
    expect(run.code).toBe(1);
    const results = (JSON.parse(run.stdout) as Report).results;
    expect(results.map((r) => [r.address, r.result.type])).toEqual([
      ["sim/web-1", "rolled-back"],
      ["sim/web-2", "skipped"],
      ["sim/web-3", "skipped"],
    ]);
    expect((results[0]?.result as { forward?: string }).forward).toMatch(
      /^failed: converged, but readiness gate http:\/\/127\.0\.0\.1:\d+\/health\/servers\/[0-9a-f-]{36} did not pass within 5s \(\d+ attempts; last: HTTP 503 Service Unavailable \(expected 2xx\)\)$/,
    );
    expect(results.slice(1).map((r) => r.result.why)).toEqual([
      expect.stringMatching(/halted the rollout/),
      expect.stringMatching(/halted the rollout/),
    ]);

    // The rebuild itself succeeded, and was rolled back: web-1 is on its old image, so plan has it to do again.
    const plan = await reform(["plan", "-c", "bad-image.yaml", "--output", "json"]);
    expect(plan.code).toBe(0);
    const changes = (JSON.parse(plan.stdout) as PlanDocument).changes;
    expect(changes.filter((c) => c.action !== "no-op").map((c) => [c.address, c.action])).toEqual([
      ["sim/web-1", "rebuild"],
      ["sim/web-2", "rebuild"],
      ["sim/web-3", "rebuild"],
    ]);
  }, 120_000);

  it("the same rollout passes its gates once the image is not marked healthy: false (the gate is what stopped it)", async () => {
    const world = await readFile(join(dir, "worlds/bad-image.yaml"), "utf8");
    await writeFile(
      join(dir, "worlds/bad-image.yaml"),
      world.replace("{ name: ubuntu-24.04-rc1, healthy: false }", "{ name: ubuntu-24.04-rc1 }"),
    );
    await rm(join(dir, ".reform"), { recursive: true, force: true });
    const run = await reform(["apply", "-c", "bad-image.yaml", "--auto-approve"]);
    expect(run.stdout).toContain("Apply: 3 converged, 0 failed, 0 skipped.");
    expect(run.code).toBe(0);
  }, 120_000);
});

describe("{name} and {id} in a gate URL, with an openstack provider and the emulator's health route", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(
      worldWith(`  images: [{ name: good }, { name: bad, healthy: false }]
  servers: [{ name: web-1, image: good }, { name: web-2, image: good }]
`),
    );
  });
  afterAll(async () => cloud.close());

  const fleet = (image: string, url: string) => `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ${image} } }
    rollout: { parallelism: 1, gate: { http: "${url}", interval: 50ms, timeout: 1500ms } }
`;

  it("probes each server's own URL: {id} fails on the bad image and halts, {name} passes once it is back on the good one", async () => {
    await cloud.writeFleet(fleet("bad", `${cloud.emulator.urls.health}/servers/{id}`));
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(run.code).toBe(1);
    const results = (JSON.parse(run.stdout) as Report).results;
    expect(results.map((r) => r.result.type)).toEqual(["failed", "skipped"]);
    const web1 = (await (await fetch(`${cloud.emulator.urls.health}/servers/web-1`)).json()) as {
      server: { id: string };
      image: { id: string };
      reason: string;
    };
    expect(web1.reason).toBe(`the server runs image bad (${web1.image.id}), which the world marks healthy: false`);
    expect(results[0]?.result.why).toContain(
      `readiness gate ${cloud.emulator.urls.health}/servers/${web1.server.id} did not pass within 1.5s`,
    );
    expect(serverActions(cloud.emulator, "web-2")).not.toContain("rebuild");

    await cloud.writeFleet(fleet("good", `${cloud.emulator.urls.health}/servers/{name}`));
    const back = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect((JSON.parse(back.stdout) as Report).results.map((r) => [r.address, r.result.type])).toEqual([
      ["dc1/web-1", "converged"],
    ]);
    expect(back.code).toBe(0);
  }, 120_000);
});
