import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/** One spelling in the docs and in --help, `--out`; Terraform's `-out` accepted too, and said so. */
describe("plan --out, and Terraform's -out", { timeout: 90_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-out-"));
    await cp(resolve(import.meta.dirname, "../../examples"), dir, {
      recursive: true,
      filter: (src) => !src.includes(".reform"),
    });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("--help shows --out and says that -out works too; the examples write --out", async () => {
    const help = await runCli(["plan", "--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toMatch(
      /--out <file> save the plan \(JSON\) for `reform apply FILE`; Terraform's spelling `-out FILE` works too/,
    );
    const top = await runCli(["--help"], { cwd: dir });
    expect(top.stdout).toContain("reform plan -c fleet.yaml --output markdown --out plan.json");
    expect(top.stdout).not.toMatch(/ -out /);
  });

  it("--out FILE, -out FILE and -out=FILE save the same plan", async () => {
    const saved: unknown[] = [];
    for (const args of [["--out", "a.json"], ["-out", "b.json"], ["-out=c.json"]]) {
      const run = await runCli(["plan", "-c", "quickstart.yaml", ...args], { cwd: dir });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const file = args.length === 2 ? args[1]! : args[0]!.slice("-out=".length);
      const { created_at: _created, ...plan } = JSON.parse(await readFile(join(dir, file), "utf8")) as {
        created_at: string;
      };
      saved.push(plan);
    }
    expect(saved[0]).toMatchObject({ format_version: "2.0", summary: { rebuild: 3 } });
    expect(saved[1]).toEqual(saved[0]);
    expect(saved[2]).toEqual(saved[0]);
  });
});
