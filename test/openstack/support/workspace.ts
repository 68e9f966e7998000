import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliRun } from "../../support/cli.js";
import { runCli } from "../../support/cli.js";

/** Time between apply's bulk polls in the suite (Nova's fake driver finishes an operation in under a second). */
export const POLL_MS = process.env["REFORM_TEST_POLL_MS"] ?? "500";

export interface ReformRun extends CliRun {
  readonly args: readonly string[];
}

/**
 * A directory for fleet files and saved plans, and a runner of the built CLI (`node bin/reform.js`) in
 * it. reform gets the user's clouds.yaml through OS_CLIENT_CONFIG_FILE and nothing else from the
 * environment (no OS_* variable). Every output is kept for the secret scan.
 */
export class Workspace {
  readonly runs: ReformRun[] = [];
  private readonly written = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly cloudsFile: string,
  ) {}

  static async create(cloudsFile: string): Promise<Workspace> {
    return new Workspace(await mkdtemp(join(tmpdir(), "reform-openstack-")), cloudsFile);
  }

  async write(name: string, text: string): Promise<string> {
    const path = join(this.dir, name);
    await writeFile(path, text);
    this.written.add(name);
    return path;
  }

  /** Runs reform; `apply` gets `--poll-interval POLL_MS` unless the args give one. */
  async reform(args: readonly string[], options: { cloudsFile?: string; timeoutMs?: number } = {}): Promise<ReformRun> {
    const full =
      args[0] === "apply" && !args.includes("--poll-interval") ? [...args, "--poll-interval", POLL_MS] : [...args];
    const run = await runCli(full, {
      cwd: this.dir,
      env: { OS_CLIENT_CONFIG_FILE: options.cloudsFile ?? this.cloudsFile, REFORM_PROGRESS: "plain" },
      timeoutMs: options.timeoutMs ?? 240_000,
    });
    const result = { ...run, args: full };
    this.runs.push(result);
    return result;
  }

  /** Every byte reform printed, and every file it wrote here (saved plans, state), for the secret scan. */
  async allOutput(): Promise<string> {
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .filter((path) => !this.written.has(path.slice(this.dir.length + 1)));
    const contents = await Promise.all(files.map((path) => readFile(path, "utf8")));
    return [...this.runs.map((r) => `${r.stdout}\n${r.stderr}`), ...contents].join("\n");
  }

  /** The names of the files reform wrote here (not the fleet files the suite wrote). */
  async filesWritten(): Promise<string[]> {
    const entries = await readdir(this.dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(this.dir.length + 1))
      .filter((name) => !this.written.has(name));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Explains a CLI run in an assertion message: the command, exit status and the ends of both streams. */
export function describeRun(run: ReformRun): string {
  return `reform ${run.args.join(" ")} -> exit ${run.code}\n--- stdout\n${run.stdout.slice(-3000)}\n--- stderr\n${run.stderr.slice(-3000)}`;
}

export interface PlanChange {
  readonly address: string;
  readonly action: string;
  readonly impact: string;
  readonly steps: readonly { readonly kind: string; readonly params: Record<string, unknown> }[];
}

/** The plan document printed by `reform plan --output json`. */
export function planChanges(run: ReformRun): PlanChange[] {
  if (run.code !== 0 && run.code !== 2) throw new Error(describeRun(run));
  return (JSON.parse(run.stdout) as { changes: PlanChange[] }).changes;
}

export function changeOf(changes: readonly PlanChange[], address: string): PlanChange {
  const change = changes.find((c) => c.address === address);
  if (!change)
    throw new Error(`no change for ${address} in the plan (addresses: ${changes.map((c) => c.address).join(", ")})`);
  return change;
}
