import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { systemClock } from "../../src/runtime/clock.js";
import { realPathOnDisk } from "../../src/runtime/real-path.js";

/**
 * A fleet file is written by whoever opens a pull request, and CI plans it with the runner's files and secrets at
 * hand. Every hostile file here must be refused with a located error, print no byte of anything outside the fleet
 * file's directory or of the environment, and leave every file outside unchanged and nothing new created there.
 */

const PLANTED = `PLANTED-OUTSIDE-${randomBytes(6).toString("hex")}`;
const TOKEN = `ghs_PLANTED_TOKEN_${randomBytes(6).toString("hex")}`;
const VICTIM = `victim-content-${randomBytes(6).toString("hex")}\n`;

const WORLD = `openstack:
  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops, metadata: { role: web } }
`;

interface Hostile {
  readonly name: string;
  /** The fleet file; `OUTSIDE` is replaced by the absolute path of the directory outside the root. */
  readonly yaml: string;
  /** `LINE:COL` of the refusal and a fragment of its message. */
  readonly at: string;
  readonly says: string;
  /** Directory of the fleet file, under the temporary directory. @default "repo" */
  readonly dir?: string;
}

const server = (spec: string) =>
  `providers: { local: { type: sim, world: world.yaml } }\ninstances:\n  - provider: local\n    name: web-1\n    spec: ${spec}\n`;

const HOSTILE: readonly Hostile[] = [
  {
    name: "absolute user_data file",
    yaml: server("{ userData: { file: OUTSIDE/secret.txt } }"),
    at: "5:31",
    says: "is an absolute path",
  },
  {
    name: "user_data file through ..",
    yaml: server("{ userData: { file: ../outside/secret.txt } }"),
    at: "5:31",
    says: "leads outside the fleet file's directory",
  },
  {
    name: "user_data file that is a link to a file outside",
    yaml: server("{ userData: { file: linkfile } }"),
    at: "5:31",
    says: "symbolic link that leads outside",
  },
  {
    name: "user_data file under a link to a directory outside",
    yaml: server("{ userData: { file: linkdir/secret.txt } }"),
    at: "5:31",
    says: "symbolic link that leads outside",
  },
  {
    name: "secret file outside",
    yaml: server("{ password: { file: ../outside/secret.txt } }"),
    at: "5:31",
    says: "secret file '../outside/secret.txt' leads outside",
  },
  {
    name: "secret file through a link",
    yaml: server("{ password: { file: linkdir/secret.txt } }"),
    at: "5:31",
    says: "symbolic link that leads outside",
  },
  {
    name: "environment variable in metadata",
    yaml: server('{ metadata: { x: "${env:GITHUB_TOKEN}" } }'),
    at: "5:28",
    says: "environment variable GITHUB_TOKEN may not be read by a fleet file",
  },
  {
    name: "environment variable in user_data",
    yaml: server('{ userData: { inline: "token=${env:GITHUB_TOKEN}" } }'),
    at: "5:33",
    says: "--allow-env GITHUB_TOKEN",
  },
  {
    name: "secret reference in metadata",
    yaml: server("{ metadata: { x: { env: GITHUB_TOKEN } } }"),
    at: "5:28",
    says: "expected a string, got a mapping",
  },
  {
    name: "sim state outside",
    yaml: "providers: { local: { type: sim, world: world.yaml, state: ../outside/victim.txt } }\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "1:60",
    says: "state file '../outside/victim.txt' leads outside",
  },
  {
    name: "sim state through a dangling link",
    yaml: "providers: { local: { type: sim, world: world.yaml, state: dangling } }\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "1:60",
    says: "symbolic link that leads outside",
  },
  {
    name: "sim world absolute",
    yaml: "providers: { local: { type: sim, world: OUTSIDE/secret.txt } }\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "1:41",
    says: "world file",
  },
  {
    name: "sim world through a link",
    yaml: "providers: { local: { type: sim, world: linkfile } }\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "1:41",
    says: "symbolic link that leads outside",
  },
  {
    name: "journal under a link",
    yaml: "providers: { local: { type: sim, world: world.yaml } }\njournal: linkdir/journal.jsonl\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "2:10",
    says: "journal 'linkdir/journal.jsonl'",
  },
  {
    name: "default state directory .reform that links outside",
    yaml: "providers: { local: { type: sim, world: world.yaml } }\ninstances: [{ provider: local, name: web-1 }]\n",
    at: "1:21",
    says: "providers.local: state file '.reform/sim-local.json' is, or passes through, a symbolic link that leads outside the fleet file's directory: a fleet file may only name files inside it (the default path; name another one inside)",
    dir: "repo2",
  },
  {
    name: "huge user_data",
    yaml: server(`{ userData: { inline: "${"A".repeat(70_000)}" } }`),
    at: "5:33",
    says: "clouds take at most 65,535",
  },
  {
    name: "identity endpoint redirected",
    yaml: "providers: { dc1: { type: openstack, cloud: dc1, identityEndpoint: 'https://attacker.example.com/v3' } }\ninstances: [{ provider: dc1, name: web-1 }]\n",
    at: "1:68",
    says: "https://attacker.example.com is chosen by the fleet file",
  },
  {
    name: "group glob that never compiles",
    yaml: "providers: { local: { type: sim, world: world.yaml } }\ngroups:\n  - name: web\n    match: { name: '\\]\\\\\\\\' }\n",
    at: "4:20",
    says: "at most two backslashes in a row",
  },
  {
    name: "ignoreMetadata glob that never compiles",
    yaml: server("{ ignoreMetadata: ['x[y]\\\\\\\\'] }"),
    at: "5:30",
    says: "at most two backslashes in a row",
  },
  {
    name: "Huawei region that is a host name",
    yaml: "providers: { hw: { type: huaweicloud, region: 'attacker.example.com/x' } }\ninstances: [{ provider: hw, name: web-1 }]\n",
    at: "1:47",
    says: "a region id",
  },
];

const COMMANDS: readonly (readonly string[])[] = [
  ["validate"],
  ["plan", "--output", "markdown"],
  ["plan", "--output", "json"],
  ["plan"],
  ["drift", "--output", "markdown"],
  ["import", "--out", "imported.yaml"],
];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process (the code path of `reform`), with the given working directory and environment. */
async function reform(args: readonly string[], cwd: string, env: Record<string, string>): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: new PassThrough(),
    env: { CI: "true", NO_COLOR: "1", ...env },
    cwd,
    homeDir: cwd,
    clock: systemClock,
    readFile: (path) => readFile(path),
    realPath: realPathOnDisk,
  };
  const code = await main(args, io, new AbortController().signal);
  return { code, stdout, stderr };
}

/** Every file under `dir` with a digest of its content (links listed as links, never followed). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    out[path] = entry.isFile()
      ? createHash("sha256")
          .update(await readFile(path))
          .digest("hex")
      : entry.isDirectory()
        ? "dir"
        : "other";
  }
  return out;
}

describe("hostile fleet files (a pull request's fleet file is untrusted input)", () => {
  let base: string;
  let outside: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "reform-untrusted-"));
    outside = join(base, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "secret.txt"), `${PLANTED}\n`);
    await writeFile(join(outside, "victim.txt"), VICTIM);
    for (const dir of ["repo", "repo2"]) {
      await mkdir(join(base, dir));
      await writeFile(join(base, dir, "world.yaml"), WORLD);
    }
    await symlink("../outside", join(base, "repo", "linkdir"));
    await symlink("../outside/secret.txt", join(base, "repo", "linkfile"));
    await symlink("../outside/created-through-link.json", join(base, "repo", "dangling"));
    await symlink("../outside", join(base, "repo2", ".reform"));
    for (const [index, hostile] of HOSTILE.entries()) {
      await writeFile(
        join(base, hostile.dir ?? "repo", `hostile-${index}.yaml`),
        hostile.yaml.replaceAll("OUTSIDE", outside),
      );
    }
    before = await snapshot(outside);
  });
  afterAll(async () => rm(base, { recursive: true, force: true }));

  it("refuses each one in every command with a located error, and prints nothing from outside or from the environment", async () => {
    const limit = pLimit(4);
    const env = { GITHUB_TOKEN: TOKEN, HOME: base };
    const runs = await Promise.all(
      HOSTILE.flatMap((hostile, index) =>
        COMMANDS.map((command) =>
          limit(async () => ({
            hostile,
            command,
            run: await reform([...command, "-c", `hostile-${index}.yaml`], join(base, hostile.dir ?? "repo"), env),
          })),
        ),
      ),
    );
    const failures = runs.flatMap(({ hostile, command, run }) => {
      const what = `${hostile.name} (${command.join(" ")})`;
      const problems: string[] = [];
      if (run.code !== 1) problems.push(`${what}: exit ${run.code}`);
      if (!run.stderr.includes(`.yaml:${hostile.at}: `))
        problems.push(`${what}: not located at ${hostile.at}: ${run.stderr.slice(0, 300)}`);
      if (!run.stderr.includes(hostile.says))
        problems.push(`${what}: does not say "${hostile.says}": ${run.stderr.slice(0, 300)}`);
      for (const secret of [PLANTED, TOKEN, VICTIM.trim()])
        if (`${run.stdout}${run.stderr}`.includes(secret)) problems.push(`${what}: printed ${secret}`);
      return problems;
    });
    expect(failures).toEqual([]);
    expect(runs).toHaveLength(HOSTILE.length * COMMANDS.length);
    // import refused every one before writing anything
    for (const dir of ["repo", "repo2"]) expect(await readdir(join(base, dir))).not.toContain("imported.yaml");
  }, 120_000);

  it("left every file outside the root as it was, and created nothing there", async () => {
    expect(await snapshot(outside)).toEqual(before);
  });

  it("reaches a file above the fleet file's directory only when the pipeline widens the root with --root", async () => {
    const repo = join(base, "wide");
    await mkdir(join(repo, "fleets"), { recursive: true });
    await mkdir(join(repo, "cloud-init"));
    await writeFile(join(repo, "fleets", "world.yaml"), WORLD);
    await writeFile(join(repo, "cloud-init", "web.yaml"), "#cloud-config\nruncmd: [echo shared]\n");
    await writeFile(join(repo, "fleets", "fleet.yaml"), server("{ userData: { file: ../cloud-init/web.yaml } }"));
    const narrow = await reform(["validate", "-c", "fleets/fleet.yaml"], repo, {});
    expect(narrow.code).toBe(1);
    expect(narrow.stderr).toContain(
      "fleets/fleet.yaml:5:31: instances[0].spec.userData: user_data file '../cloud-init/web.yaml' leads outside the fleet file's directory",
    );
    const wide = await reform(["validate", "-c", "fleets/fleet.yaml", "--root", "."], repo, {});
    expect(wide).toMatchObject({ code: 0, stderr: "" });
    const notContaining = await reform(["validate", "-c", "fleets/fleet.yaml", "--root", "cloud-init"], repo, {});
    expect(notContaining.stderr).toContain("is not inside --root cloud-init");
    // --root widens, it never lets a path out of the root it names
    await writeFile(join(repo, "fleets", "escape.yaml"), server("{ userData: { file: ../../outside/secret.txt } }"));
    const escape = await reform(["validate", "-c", "fleets/escape.yaml", "--root", "."], repo, {});
    expect(escape.stderr).toContain("leads outside the --root directory (.)");
    expect(escape.stderr).not.toContain(PLANTED);
  });

  it("reads a variable outside REFORM_VAR_* only when the pipeline allows it, by flag or by REFORM_ALLOW_ENV", async () => {
    const dir = join(base, "repo");
    await writeFile(
      join(dir, "env.yaml"),
      server('{ metadata: { team: "${env:TEAM}", region: "${env:REFORM_VAR_REGION}" } }'),
    );
    const env = { TEAM: "platform", REFORM_VAR_REGION: "eu-1" };
    expect((await reform(["validate", "-c", "env.yaml"], dir, env)).stderr).toContain(
      "environment variable TEAM may not be read by a fleet file",
    );
    expect((await reform(["validate", "-c", "env.yaml", "--allow-env", "TEAM"], dir, env)).code).toBe(0);
    expect((await reform(["validate", "-c", "env.yaml"], dir, { ...env, REFORM_ALLOW_ENV: "OTHER,TEAM" })).code).toBe(
      0,
    );
  });

  it("shows reviewers where each provider's requests go, and who chose that", async () => {
    const dir = join(base, "repo");
    await writeFile(join(dir, "fine.yaml"), server("{ metadata: { role: db } }"));
    const plan = await reform(["plan", "-c", "fine.yaml", "--output", "markdown"], dir, {});
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("<details><summary>Providers and endpoints (1)</summary>");
    expect(plan.stdout).toContain("| `local` | sim | simulator |");
    const json = JSON.parse((await reform(["plan", "-c", "fine.yaml", "--output", "json"], dir, {})).stdout) as {
      providers: unknown;
    };
    // plan, drift, show and validate change nothing: the simulated cloud recorded no action
    expect([0, 3]).toContain((await reform(["drift", "-c", "fine.yaml"], dir, {})).code);
    expect((await reform(["validate", "-c", "fine.yaml"], dir, {})).code).toBe(0);
    const state = JSON.parse(await readFile(join(dir, ".reform", "sim-local.json"), "utf8")) as { actions: unknown[] };
    expect(state.actions).toEqual([]);
    expect(json.providers).toEqual([
      {
        name: "local",
        type: "sim",
        endpoints: [
          {
            service: "simulator",
            url: "embedded, on an ephemeral loopback port",
            source: "the sim provider (reform's own emulator, in this process)",
          },
        ],
      },
    ]);
  });

  it("bounds what `show` echoes of any single value of a plan file, in every output", async () => {
    const dir = join(base, "repo");
    const doc = JSON.parse((await reform(["plan", "-c", "fine.yaml", "--output", "json"], dir, {})).stdout) as {
      changes: { fields: { path: string; after: unknown }[] }[];
    };
    const field = doc.changes[0]?.fields.find((f) => f.path === "metadata.role");
    expect(field).toBeDefined();
    if (field) field.after = `${PLANTED}${"x".repeat(200_000)}`;
    await writeFile(join(dir, "forged-plan.json"), JSON.stringify(doc));
    for (const output of ["text", "markdown"]) {
      const shown = await reform(["show", "forged-plan.json", "--output", output], dir, {});
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain("more characters not shown");
      expect(shown.stdout.length).toBeLessThan(10_000);
    }
  });
});
