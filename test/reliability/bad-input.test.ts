import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../support/cli.js";
import { runReform } from "./fleet-world.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BAD_FLEETS = join(ROOT, "test/fixtures/fleets/bad");
const BAD_PLANS = join(ROOT, "test/fixtures/plans/bad");

/** What a user must see: exit 1, nothing on stdout, one `Error:` message naming the file and a place in it, no stack trace. */
function problems(run: CliRun, file: string, place: RegExp): string[] {
  const found: string[] = [];
  if (run.code !== 1) found.push(`exit ${String(run.code)}`);
  if (run.stdout !== "") found.push(`stdout: ${run.stdout.slice(0, 120)}`);
  if (!run.stderr.startsWith("Error: "))
    found.push(`stderr does not start with "Error: ": ${run.stderr.slice(0, 160)}`);
  if (!run.stderr.includes(file)) found.push(`the message does not name ${file}`);
  if (!place.test(run.stderr)) found.push(`no location (${place.source}) in: ${run.stderr.slice(0, 300)}`);
  if (/\n\s+at .*:\d+:\d+/.test(run.stderr)) found.push("a stack trace");
  return found;
}

/** A JSON Pointer into the document, a line and column, or the server the edit made stale. */
const PLAN_PLACE =
  /\n {2}\/\S*: |line \d+, column \d+|format_version|changed since it was made: [\w-]+\/|fleet file changed/;

describe("bad input through the CLI: every broken fleet file and corrupted plan gives a located, readable error, exit 1", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-bad-input-"));
    await cp(join(ROOT, "examples"), dir, { recursive: true });
    await rm(join(dir, ".reform"), { recursive: true, force: true });
    const plan = await runReform(["plan", "-c", "quickstart.yaml", "--out", "fresh.json"], { cwd: dir });
    expect(plan.code).toBe(0);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("at least 50 broken fleet files, each through plan: located file:line:col", async () => {
    const files = (await readdir(BAD_FLEETS)).filter((f) => f.endsWith(".yaml")).sort();
    expect(files.length).toBeGreaterThanOrEqual(50);
    const limit = pLimit(2);
    const runs = await Promise.all(
      files.map((file) =>
        limit(async () => ({ file, run: await runReform(["plan", "-c", join(BAD_FLEETS, file)], { cwd: ROOT }) })),
      ),
    );
    const wrong: string[] = [];
    for (const { file, run } of runs) {
      const [, line, column] = /^# expect: (\d+):(\d+) /.exec(await readFile(join(BAD_FLEETS, file), "utf8")) ?? [];
      const place = new RegExp(`${file.replace(".", "\\.")}:${line ?? "?"}:${column ?? "?"}: `);
      wrong.push(...problems(run, file, place).map((p) => `${file}: ${p}`));
      if (run.stderr.includes("Hunter2-literal-secret")) wrong.push(`${file}: echoes the literal password`);
    }
    expect(wrong).toEqual([]);
  }, 180_000);

  it("at least 20 corrupted plan files (fixtures), each through apply and show: located by line and column or JSON Pointer", async () => {
    const files = (await readdir(BAD_PLANS)).filter((f) => f.endsWith(".json")).sort();
    expect(files.length).toBeGreaterThanOrEqual(20);
    const wrong: string[] = [];
    for (const file of files) {
      for (const command of ["apply", "show"]) {
        const run = await runReform([command, join(BAD_PLANS, file)], { cwd: dir });
        wrong.push(...problems(run, file, PLAN_PLACE).map((p) => `${command} ${file}: ${p}`));
      }
    }
    expect(wrong).toEqual([]);
  }, 180_000);

  it("plans edited by hand against live servers (fingerprints, config digest, ids) are refused naming what changed, and nothing is sent", async () => {
    const fresh = JSON.parse(await readFile(join(dir, "fresh.json"), "utf8")) as {
      config: { sha256: string };
      changes: { address: string; id: string; fingerprint: string }[];
    };
    const edits: Record<string, (doc: typeof fresh) => void> = {
      "fingerprint-edited.json": (d) =>
        (d.changes[0]!.fingerprint = d.changes[0]!.fingerprint.replace(/^./, (c) => (c === "0" ? "1" : "0"))),
      "fingerprints-swapped.json": (d) =>
        ([d.changes[0]!.fingerprint, d.changes[1]!.fingerprint] = [
          d.changes[1]!.fingerprint,
          d.changes[0]!.fingerprint,
        ]),
      "config-digest-edited.json": (d) => (d.config.sha256 = "0".repeat(64)),
      "ids-swapped.json": (d) => ([d.changes[0]!.id, d.changes[1]!.id] = [d.changes[1]!.id, d.changes[0]!.id]),
    };
    const wrong: string[] = [];
    expect(fresh.changes.length).toBeGreaterThanOrEqual(2);
    const actions = async () =>
      (JSON.parse(await readFile(join(dir, ".reform", "quickstart-sim.json"), "utf8")) as { actions: unknown[] })
        .actions;
    const before = await actions();
    for (const [file, edit] of Object.entries(edits)) {
      const doc = structuredClone(fresh);
      edit(doc);
      await writeFile(join(dir, file), JSON.stringify(doc, null, 2));
      const run = await runReform(["apply", file], { cwd: dir });
      // The message names what moved (the servers, or the fleet file) rather than the plan file.
      wrong.push(
        ...problems(
          run,
          "the plan is stale",
          /changed since it was made: [\w-]+\/|quickstart\.yaml changed since the plan was made/,
        ).map((p) => `${file}: ${p}`),
      );
    }
    expect(wrong).toEqual([]);
    // The simulated cloud accepted no action (its state file is rewritten by every run: tokens, clocks).
    expect(await actions()).toEqual(before);
  }, 60_000);
});
