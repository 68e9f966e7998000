import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const EXAMPLES = resolve(import.meta.dirname, "../../examples");

describe("quickstart against the embedded simulator", { timeout: 60_000 }, () => {
  let dir: string;
  const outputs: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-quickstart-"));
    await cp(EXAMPLES, dir, { recursive: true, filter: (src) => !src.includes(".reform") });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("plans a reprovision, a metadata change and a reboot on OpenStack, a changeos on Huawei and a stop-rebuild-start on JD", async () => {
    const run = await runCli(["plan", "-c", "quickstart.yaml", "--detailed-exitcode"], { cwd: dir });
    outputs.push(run.stdout, run.stderr);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/local\/web-1[^\n]*rebuil/i);
    expect(run.stdout).toMatch(/REPROVISION/);
    expect(run.stdout).toMatch(/local\/api-1/);
    expect(run.stdout).toMatch(/local\/db-1[^\n]*reboot/i);
    expect(run.stdout).toMatch(/prometheus-node-exporter/);
    expect(run.stdout).toMatch(/huawei\/hw-web-1[^\n]*\n[^#]*steps: changeos → update-metadata/);
    expect(run.stdout.replace(/\s+/g, " ")).toContain(
      "changeos through the v2 API: image euler-2.12 has __support_cloudinit: true",
    );
    expect(run.stdout).toMatch(/jd\/jd-web-1[\s\S]*steps: stop → rebuild → start/);
    expect(run.stdout).toContain("Plan: 3 rebuild, 1 reboot, 1 update-metadata.");
  });

  it("applies, verifies every server, and plans no changes afterwards", async () => {
    const apply = await runCli(["apply", "-c", "quickstart.yaml", "--auto-approve"], { cwd: dir });
    outputs.push(apply.stdout, apply.stderr);
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/Apply: 5 converged, 0 failed/);
    expect(apply.stdout).toMatch(/huawei\/hw-web-1: converged \(rebuild \[changeos → update-metadata\]/);
    expect(apply.stdout).toMatch(/jd\/jd-web-1: converged \(rebuild \[stop → rebuild → start\]/);
    const again = await runCli(["plan", "-c", "quickstart.yaml", "--detailed-exitcode"], { cwd: dir });
    outputs.push(again.stdout, again.stderr);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
  });

  it("keeps the three clouds in one state file, and never shows the keys the simulator generated, even with --debug", async () => {
    const debug = await runCli(["plan", "-c", "quickstart.yaml", "--debug"], { cwd: dir });
    expect(debug.stderr).toMatch(/authorization: \(redacted\)/);
    outputs.push(debug.stdout, debug.stderr);
    type Keys = { accessKey: string; secretKey: string }[];
    const state = JSON.parse(await readFile(join(dir, ".reform/quickstart-sim.json"), "utf8")) as {
      huaweicloud: { credentials: Keys };
      jdcloud: { credentials: Keys };
    };
    const generated = [...state.huaweicloud.credentials, ...state.jdcloud.credentials].filter((k) =>
      k.accessKey.startsWith("REFORMSIM"),
    );
    expect(generated).toHaveLength(2);
    for (const key of generated)
      for (const output of outputs)
        expect(output.includes(key.secretKey) || output.includes(key.accessKey)).toBe(false);
    expect(outputs.length).toBeGreaterThanOrEqual(6);
  });
});
