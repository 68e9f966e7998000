import { spawn } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { validateWorkflow as validateWithWarnings } from "@action-validator/core";
import { Ajv } from "ajv/dist/ajv.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { nova, tokenFor, waitFor } from "../src/emulator/test-client.js";
import type { TestCloud } from "./support/cloud.js";
import { ADMIN_PASSWORD, startTestCloud, worldWith } from "./support/cloud.js";
import { serverActions, serverByName } from "./support/world.js";

/**
 * The GitHub Actions examples: valid workflow files (action-validator, a maintained validator built on SchemaStore's
 * schema, run offline from its wasm build; and a stricter hand-reduced copy of that schema, which also rejects
 * misspelt event filters), and their shell steps really do what the docs say, run here against the emulator.
 * (The github-script steps: examples-github-scripts.test.ts.)
 */

const ROOT = resolve(import.meta.dirname, "..");
const DIR = join(ROOT, "examples", "github-actions");
const FILES = ["plan-on-pr.yml", "apply-on-merge.yml", "nightly-drift.yml"] as const;
type File = (typeof FILES)[number];

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string | number | boolean>;
  readonly env?: Record<string, string>;
}
interface Workflow {
  readonly on: unknown;
  readonly env: Record<string, string>;
  readonly jobs: Record<string, { readonly steps: readonly Step[]; readonly needs?: string | string[] }>;
}

function load(file: File): Workflow {
  return parse(readFileSync(join(DIR, file), "utf8"), {
    uniqueKeys: true,
    strict: true,
    prettyErrors: true,
  }) as Workflow;
}

const schema = JSON.parse(
  readFileSync(join(ROOT, "test", "fixtures", "github-workflow.schema.json"), "utf8"),
) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** action-validator, with its notice that it does not check glob patterns kept out of the test output (asserted once). */
function validateWorkflow(text: string): ReturnType<typeof validateWithWarnings> {
  const warn = console.warn;
  const notices: string[] = [];
  console.warn = (message: string) => notices.push(message);
  try {
    return validateWithWarnings(text);
  } finally {
    console.warn = warn;
    for (const notice of notices) expect(notice).toMatch(/^WARNING: Glob validation is not yet supported/);
  }
}

function onlyJob(file: File): readonly Step[] {
  const jobs = Object.values(load(file).jobs);
  expect(jobs).toHaveLength(1);
  return jobs[0]!.steps;
}

function step(file: File, id: string): Step {
  const found = onlyJob(file).find((s) => s.id === id);
  if (!found) throw new Error(`${file}: no step with id ${id}`);
  return found;
}

describe("the example workflows are valid GitHub Actions workflow files", () => {
  it.each(FILES)("%s matches the workflow schema", (file) => {
    const ok = validate(load(file));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(FILES)("%s passes action-validator", (file) => {
    expect(validateWorkflow(readFileSync(join(DIR, file), "utf8")).errors).toEqual([]);
  });

  it("action-validator is not vacuous either: it rejects a misspelt job key and an unknown event", () => {
    const good = load("plan-on-pr.yml") as unknown as Record<string, Record<string, Record<string, unknown>>>;
    const misspelt = structuredClone(good);
    misspelt.jobs!.plan!["run-on"] = misspelt.jobs!.plan!["runs-on"];
    delete misspelt.jobs!.plan!["runs-on"];
    const unknownEvent = { ...structuredClone(good), on: ["pull-request"] };
    for (const bad of [misspelt, unknownEvent])
      expect(validateWorkflow(stringify(bad)).errors.length).toBeGreaterThan(0);
  });

  it("the schema is not vacuous: it rejects the usual mistakes", () => {
    const good = load("plan-on-pr.yml") as unknown as Record<string, unknown>;
    const job = (w: Record<string, unknown>) => (w.jobs as Record<string, Record<string, unknown>>).plan!;
    const variants: Record<string, (w: Record<string, unknown>) => void> = {
      "a step with both uses and run": (w) =>
        ((job(w).steps as Step[])[0] = { uses: "actions/checkout@v4", run: "true" }),
      "a misspelt job key": (w) => ((job(w)["run-on"] = "ubuntu-latest"), delete job(w)["runs-on"]),
      "a misspelt filter": (w) => ((w.on as Record<string, Record<string, unknown>>).pull_request!.pathes = ["x"]),
      "a permission level that does not exist": (w) => (w.permissions = { contents: "admin" }),
      "an unknown permission": (w) => (w.permissions = { "pull-request": "write" }),
      "an unknown top-level key": (w) => (w.triggers = ["push"]),
      "an unknown event": (w) => (w.on = ["pull-request"]),
      "a shell on a uses step": (w) =>
        ((job(w).steps as Step[])[0] = { uses: "actions/checkout@v4", shell: "bash" } as Step),
      "concurrency without a group": (w) => (w.concurrency = { "cancel-in-progress": true }),
      "no jobs": (w) => (w.jobs = {}),
    };
    for (const [what, mutate] of Object.entries(variants)) {
      const copy = structuredClone(good);
      mutate(copy);
      expect(validate(copy), what).toBe(false);
    }
  });

  it.each(FILES)(
    "%s: unique step ids, references to existing earlier steps, pinned actions, no expression inside a shell script",
    (file) => {
      for (const steps of Object.values(load(file).jobs).map((j) => j.steps)) {
        const ids = steps.flatMap((s) => (s.id ? [s.id] : []));
        expect(new Set(ids).size).toBe(ids.length);
        steps.forEach((s, index) => {
          const text = JSON.stringify(s);
          for (const [, ref] of text.matchAll(/steps\.([a-zA-Z_][\w-]*)\./g))
            expect(ids.slice(0, index), `${file}: ${s.name} refers to ${ref}`).toContain(ref);
          if (s.uses) expect(s.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
          // Values reach scripts through env, never spliced into the script (injection, and runnable as is).
          if (s.run) expect(s.run).not.toContain("${{");
          if (s.with?.script !== undefined) expect(String(s.with.script)).not.toContain("${{");
        });
      }
    },
  );

  it.each(FILES)(
    "%s says where reform comes from: its source repository at a pinned ref, built and installed onto the PATH (not the npm registry)",
    (file) => {
      const workflow = load(file);
      expect(workflow.env).toMatchObject({
        REFORM_REPOSITORY: expect.stringMatching(/^[\w.-]+\/[\w.-]+$/) as unknown,
        REFORM_REF: expect.any(String) as unknown,
      });
      const steps = onlyJob(file);
      const install = steps.findIndex((s) => s.run?.includes("npm install --global"));
      const source = steps[install - 1];
      expect(source?.uses).toMatch(/^actions\/checkout@/);
      expect(source?.with).toEqual({
        repository: "${{ env.REFORM_REPOSITORY }}",
        ref: "${{ env.REFORM_REF }}",
        path: ".reform-cli",
      });
      const installStep = steps[install] as Step & { "working-directory"?: string };
      expect(installStep["working-directory"]).toBe(".reform-cli");
      expect(installStep.run?.trim().split("\n")).toEqual([
        "npm install --no-audit --no-fund",
        "npm run build",
        "npm install --global .",
      ]);
      // The reform steps come after it, and nothing installs a package called reform from the registry.
      expect(steps.findIndex((s) => /\breform (plan|apply|drift)\b/.test(s.run ?? ""))).toBeGreaterThan(install);
      expect(readFileSync(join(DIR, file), "utf8")).not.toMatch(/reform@|npx reform/);
    },
  );

  it("each workflow does its job with the documented commands", () => {
    const plan = load("plan-on-pr.yml");
    expect(plan.on).toMatchObject({ pull_request: {} });
    expect(step("plan-on-pr.yml", "plan").run).toMatch(
      /reform plan -c "\$FLEET" --output markdown --out plan\.json --detailed-exitcode/,
    );
    const upload = onlyJob("plan-on-pr.yml").find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    expect(upload?.with).toMatchObject({
      path: "plan.json",
      name: "reform-plan-pr-${{ github.event.pull_request.number }}",
    });
    expect(step("apply-on-merge.yml", "apply").run).toMatch(/reform apply plan\.json -c "\$FLEET" --auto-approve/);
    const download = onlyJob("apply-on-merge.yml").find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(download?.with).toMatchObject({ name: upload?.with?.name, "run-id": "${{ steps.find.outputs.result }}" });
    const drift = load("nightly-drift.yml");
    expect(drift.on).toMatchObject({ schedule: [{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) as unknown }] });
    expect(step("nightly-drift.yml", "drift").run).toMatch(/reform drift -c "\$FLEET" --output markdown/);
  });
});

// ---- Running the steps -------------------------------------------------------------------------

const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
`);

const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ubuntu-24.04 }, metadata: { role: web } }
`;

interface StepRun {
  readonly code: number | null;
  readonly outputs: Record<string, string>;
  /** Workflow commands (`::error ...`) go to stdout. */
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a step's shell script with bash in `dir`, `reform` on the PATH and GITHUB_OUTPUT collected. */
async function runStep(script: string, dir: string, bin: string, env: Record<string, string>): Promise<StepRun> {
  const outputFile = join(dir, `github-output-${Math.random().toString(36).slice(2)}`);
  await writeFile(outputFile, "");
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (done, fail) => {
      const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], {
        cwd: dir,
        env: {
          PATH: `${bin}:${process.env["PATH"] ?? ""}`,
          HOME: dir,
          CI: "true",
          NO_COLOR: "1",
          GITHUB_OUTPUT: outputFile,
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
      child.on("error", fail);
      child.on("close", (c) => done({ code: c, stdout: out, stderr: err }));
    },
  );
  const outputs = Object.fromEntries(
    (await readFile(outputFile, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("=", 2) as [string, string]),
  );
  return { code, outputs, stdout, stderr };
}

describe("the workflows' shell steps, run against the emulator", () => {
  let cloud: TestCloud;
  let bin: string;
  const env = (file: File): Record<string, string> => ({ ...load(file).env });

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
    bin = await mkdtemp(join(tmpdir(), "reform-bin-"));
    // `reform` as installed; apply polls the fast emulator every 30 ms instead of every 2 s.
    const shim = `#!/bin/sh\nif [ "$1" = apply ]; then exec "${process.execPath}" "${join(ROOT, "bin", "reform.js")}" "$@" --poll-interval 30; fi\nexec "${process.execPath}" "${join(ROOT, "bin", "reform.js")}" "$@"\n`;
    await writeFile(join(bin, "reform"), shim);
    await chmod(join(bin, "reform"), 0o755);
  });
  afterAll(async () => {
    await cloud.close();
    await rm(bin, { recursive: true, force: true });
  });

  it("plan-on-pr: exit code 2 as an output, the markdown comment and the saved plan written", async () => {
    const run = await runStep(step("plan-on-pr.yml", "plan").run!, cloud.dir, bin, env("plan-on-pr.yml"));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ exitcode: "2" });
    const markdown = await readFile(join(cloud.dir, "plan.md"), "utf8");
    expect(markdown).toMatch(/^## reform plan\n\n\*\*Plan: 2 rebuild\.\*\*/);
    expect(markdown).toContain("<details>");
    const saved = JSON.parse(await readFile(join(cloud.dir, "plan.json"), "utf8")) as {
      format_version: string;
      summary: { rebuild: number };
    };
    expect(saved).toMatchObject({ format_version: "2.0", summary: { rebuild: 2 } });
  });

  it("plan-on-pr: a broken fleet file still gives a comment, with the error, and exit code 1", async () => {
    const other = await mkdtemp(join(tmpdir(), "reform-broken-"));
    await writeFile(join(other, "fleet.yaml"), "providers: { dc1: { type: nowhere } }\n");
    const run = await runStep(step("plan-on-pr.yml", "plan").run!, other, bin, env("plan-on-pr.yml"));
    expect(run.outputs).toEqual({ exitcode: "1" });
    expect(await readFile(join(other, "plan.md"), "utf8")).toMatch(
      /^## reform plan\n\n\*\*reform plan failed \(exit 1\) before it could render a plan:\*\*\n\n```\n[\s\S]*nowhere/,
    );
    await rm(other, { recursive: true, force: true });
  });

  it("apply-on-merge: a plan gone stale after a rebuild outside reform fails the step clearly and applies nothing", async () => {
    const token = await tokenFor(cloud.emulator, "admin", ADMIN_PASSWORD);
    const web2 = serverByName(cloud.emulator, "web-2");
    const reply = await nova(
      cloud.emulator,
      token,
      "2.57",
    )(`/servers/${web2.id}/action`, { method: "POST", body: { rebuild: { imageRef: web2.imageId } } });
    expect(reply.status).toBe(202);
    await waitFor(
      async () => serverByName(cloud.emulator, "web-2"),
      (s) => s.taskState === null && s.vmState === "active" && s.updated !== web2.updated,
    );
    const run = await runStep(step("apply-on-merge.yml", "apply").run!, cloud.dir, bin, env("apply-on-merge.yml"));
    expect(run.code).toBe(1);
    expect(run.outputs).toEqual({ exitcode: "1", stale: "true" });
    expect(run.stdout).toMatch(
      /^::error title=Stale plan: nothing was applied::Error: the plan is stale: this server changed since it was made: dc1\/web-2; run plan again$/m,
    );
    expect(run.stderr).toMatch(/the plan is stale/);
    expect(serverActions(cloud.emulator, "web-1")).toEqual([]);
  });

  it("apply-on-merge: a fresh plan is applied and verified", async () => {
    expect((await runStep(step("plan-on-pr.yml", "plan").run!, cloud.dir, bin, env("plan-on-pr.yml"))).outputs).toEqual(
      { exitcode: "2" },
    );
    const run = await runStep(step("apply-on-merge.yml", "apply").run!, cloud.dir, bin, env("apply-on-merge.yml"));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ exitcode: "0" });
    expect(await readFile(join(cloud.dir, "apply.txt"), "utf8")).toMatch(/2 converged/);
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
  });

  it("nightly-drift: exit 0 in sync, then 2 after a change outside reform, with DRIFT_IGNORE honoured", async () => {
    expect(
      (await runStep(step("nightly-drift.yml", "drift").run!, cloud.dir, bin, env("nightly-drift.yml"))).outputs,
    ).toEqual({ exitcode: "0" });
    const token = await tokenFor(cloud.emulator, "admin", ADMIN_PASSWORD);
    const web1 = serverByName(cloud.emulator, "web-1");
    await nova(cloud.emulator, token)(`/servers/${web1.id}/metadata`, {
      method: "POST",
      body: { metadata: { role: "db", "last-backup": "today" } },
    });
    const run = await runStep(step("nightly-drift.yml", "drift").run!, cloud.dir, bin, env("nightly-drift.yml"));
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ exitcode: "2" });
    const markdown = await readFile(join(cloud.dir, "drift.md"), "utf8");
    expect(markdown).toMatch(/^## reform drift/);
    expect(markdown).toContain("<code>dc1/web-1</code>");
    expect(markdown).toContain("Ignored: `metadata.last-backup`");
  });
});
