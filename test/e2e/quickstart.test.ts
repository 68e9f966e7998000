import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const EXAMPLES = resolve(import.meta.dirname, "../../examples");

describe("quickstart against the embedded simulator", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-quickstart-"));
    await cp(EXAMPLES, dir, { recursive: true, filter: (src) => !src.includes(".reform") });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("plans a reprovision, a metadata change and a reboot", async () => {
    const run = await runCli(["plan", "-c", "quickstart.yaml", "--detailed-exitcode"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/local\/web-1[^\n]*rebuil/i);
    expect(run.stdout).toMatch(/REPROVISION/);
    expect(run.stdout).toMatch(/local\/api-1/);
    expect(run.stdout).toMatch(/local\/db-1[^\n]*reboot/i);
    expect(run.stdout).toMatch(/prometheus-node-exporter/);
  });

  it("applies, verifies every server, and plans no changes afterwards", async () => {
    const apply = await runCli(["apply", "-c", "quickstart.yaml", "--auto-approve"], { cwd: dir });
    expect(apply.stderr).toBe("");
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/3 converged/);
    const again = await runCli(["plan", "-c", "quickstart.yaml", "--detailed-exitcode"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
  });
});
