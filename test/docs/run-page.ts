import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import type { Emulator } from "../../src/emulator/index.js";
import { loadWorldFile, startEmulator } from "../../src/emulator/index.js";
import { FAST } from "../support/cloud.js";
import type { DocBlock, Expectation, Setup } from "./blocks.js";
import { commandsOf, SHELL_LANGS, YAML_LANGS } from "./blocks.js";
import type { CommandRun } from "./session.js";
import { Background, ShellSession, shellEnv } from "./session.js";

export const ROOT = resolve(import.meta.dirname, "../..");

/** The port the docs use for `reform sim`; each workspace gets a free one instead, so runs never collide. */
const DOC_PORT = /\b8800\b/g;

/** A failed expectation, located at its block. */
export class DocTestFailure extends Error {}

/**
 * Runs a page's runnable blocks, in page order, per workspace (`in:`): a fresh temporary copy of the checkout's
 * `examples/` (and a link to its `bin/`), where every command runs in one shell as in a reader's terminal.
 * `file:` blocks are written before anything runs; servers (`until`) run beside the shell until the page is done.
 */
export async function runPage(blocks: readonly DocBlock[]): Promise<void> {
  const runnable = blocks.filter((b) => b.directive && b.directive.skip === undefined);
  const names = [...new Set(runnable.map((b) => b.directive?.in ?? "main"))];
  // Workspaces share nothing: they run at the same time, and all are cleaned up before the first failure is reported.
  const results = await Promise.allSettled(
    names.map((name) => runWorkspace(runnable.filter((b) => (b.directive?.in ?? "main") === name))),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

async function runWorkspace(blocks: readonly DocBlock[]): Promise<void> {
  const setups = blocks.filter((b) => b.directive?.setup);
  if (setups.length > 1)
    throw failure(setups[1]!, "a workspace is set up once; this one already was at line " + String(setups[0]!.line));
  const workspace = await Workspace.create(setups[0]?.directive?.setup ?? {});
  try {
    for (const block of blocks) {
      const file = block.directive?.file;
      if (file) await workspace.write(file, workspace.port(block.text));
    }
    for (const block of blocks) await runBlock(workspace, block);
    await workspace.stopServers();
  } finally {
    await workspace.close();
  }
}

async function runBlock(workspace: Workspace, block: DocBlock): Promise<void> {
  const directive = block.directive ?? {};
  if (SHELL_LANGS.has(block.lang)) {
    const commands = commandsOf(block.text);
    const expectations = directive.expect ?? [];
    if (commands.length !== expectations.length)
      throw failure(block, `${commands.length} commands but ${expectations.length} expectations: give one per command`);
    for (const [index, command] of commands.entries()) {
      const expected = expectations[index] ?? {};
      if (expected.until !== undefined) await workspace.serve(block, workspace.port(command), expected);
      else check(block, command, expected, await workspace.run(workspace.port(command)), workspace);
      for (const file of expected.files ?? [])
        await access(join(workspace.cwd, file)).catch(() => {
          throw failure(block, `\`${command}\` did not write ${file}`);
        });
    }
  } else if (YAML_LANGS.has(block.lang)) {
    if (directive.check === "validate" && directive.file) {
      const command = `reform validate -c ${directive.file}`;
      check(block, command, { exit: 0 }, await workspace.run(command), workspace);
    }
    if (directive.check === "world" && directive.file) {
      const server = new Background(`reform sim --world ${directive.file} --port 0`, workspace.shell());
      await server.ready("http://127.0.0.1:").catch((error: Error) => {
        throw failure(block, `reform sim --world ${directive.file}: ${error.message}`);
      });
      const code = await server.stop();
      if (code !== 0)
        throw failure(block, `reform sim --world ${directive.file} exited ${code} on SIGINT\n${server.stderr}`);
    }
    const excerptOf = directive["excerpt-of"];
    if (excerptOf) {
      const shown = parse(block.text) as Record<string, unknown>;
      const whole = parse(await readFile(join(ROOT, excerptOf), "utf8")) as Record<string, unknown>;
      for (const [key, value] of Object.entries(shown))
        if (!isDeepStrictEqual(value, whole[key])) throw failure(block, `\`${key}\` differs from ${excerptOf}'s`);
    }
  } else if (directive["output-of"]) {
    const command = workspace.port(directive["output-of"]);
    const run = await workspace.run(command);
    check(block, command, { exit: 0 }, run, workspace);
    let at = 0;
    const printed = run.stdout.split("\n").map((l) => l.trimEnd());
    for (const line of block.text.split("\n").map((l) => l.trimEnd())) {
      if (line === "" || line === "...") continue;
      const found = printed.indexOf(line, at);
      if (found < 0)
        throw failure(
          block,
          `\`${command}\` does not print, in this order, the line:\n${line}\n--- it printed:\n${run.stdout}`,
        );
      at = found + 1;
    }
  }
}

function check(block: DocBlock, command: string, expected: Expectation, run: CommandRun, workspace: Workspace): void {
  const problems: string[] = [];
  const exit = expected.exit ?? 0;
  if (run.code !== exit) problems.push(`exit code ${run.code}, expected ${exit}`);
  for (const [stream, wanted] of [
    ["stdout", expected.stdout],
    ["stderr", expected.stderr],
  ] as const) {
    for (const text of typeof wanted === "string" ? [wanted] : (wanted ?? []))
      if (!run[stream].includes(workspace.port(text))) problems.push(`${stream} lacks "${workspace.port(text)}"`);
  }
  if (problems.length > 0)
    throw failure(
      block,
      `\`${command}\`: ${problems.join("; ")}\n--- stdout:\n${run.stdout}\n--- stderr:\n${run.stderr}`,
    );
}

function failure(block: DocBlock, message: string): DocTestFailure {
  return new DocTestFailure(`${block.page}:${block.line}: ${message}`);
}

/** A temporary copy of what the docs' commands use, a shell in it, and the emulators and servers it started. */
class Workspace {
  readonly #servers: { block: DocBlock; command: string; expected: Expectation; server: Background }[] = [];
  #session: ShellSession | undefined;

  private constructor(
    readonly dir: string,
    readonly cwd: string,
    readonly env: Record<string, string>,
    readonly freePort: number,
    readonly emulators: readonly Emulator[],
  ) {}

  static async create(setup: Setup): Promise<Workspace> {
    const dir = await mkdtemp(join(tmpdir(), "reform-docs-"));
    const freePort = await findFreePort();
    await cp(join(ROOT, "examples"), join(dir, "examples"), {
      recursive: true,
      filter: (src) => !src.includes(".reform"),
    });
    await symlink(join(ROOT, "bin"), join(dir, "bin"));
    for (const name of await readdir(join(dir, "examples"))) {
      if (!name.endsWith(".yaml")) continue;
      const path = join(dir, "examples", name);
      await writeFile(path, (await readFile(path, "utf8")).replaceAll("127.0.0.1:8800", `127.0.0.1:${freePort}`));
    }
    const cwd = join(dir, setup.cwd ?? "");
    for (const [to, from] of Object.entries(setup.copy ?? {})) {
      await mkdir(dirname(join(cwd, to)), { recursive: true });
      await cp(join(ROOT, from), join(cwd, to));
    }
    const emulators: Emulator[] = [];
    const clouds: string[] = ["clouds:"];
    for (const [entry, worldPath] of Object.entries(setup.clouds ?? {})) {
      const world = await loadWorldFile(join(ROOT, worldPath));
      const user = world.openstack?.users[0];
      if (!user) throw new Error(`${worldPath} has no OpenStack user for the clouds.yaml entry ${entry}`);
      const emulator = await startEmulator({ world, timings: FAST });
      emulators.push(emulator);
      clouds.push(
        `  ${entry}:`,
        `    auth: { auth_url: "${emulator.urls.identity}", username: ${user.name}, password: ${user.password}, project_name: ${user.project}, user_domain_name: Default, project_domain_name: Default }`,
        `    region_name: ${world.openstack?.region ?? "RegionOne"}`,
      );
    }
    if (emulators.length > 0) await writeFile(join(cwd, "clouds.yaml"), `${clouds.join("\n")}\n`);
    return new Workspace(dir, cwd, shellEnv(dir, setup.env), freePort, emulators);
  }

  /** The docs' port 8800 replaced by this workspace's free port. */
  port(text: string): string {
    return text.replace(DOC_PORT, String(this.freePort));
  }

  shell(): { cwd: string; env: Record<string, string> } {
    return { cwd: this.cwd, env: this.env };
  }

  async write(file: string, text: string): Promise<void> {
    await mkdir(dirname(join(this.cwd, file)), { recursive: true });
    await writeFile(join(this.cwd, file), text);
  }

  run(command: string): Promise<CommandRun> {
    this.#session ??= new ShellSession(this.shell());
    return this.#session.run(command);
  }

  async serve(block: DocBlock, command: string, expected: Expectation): Promise<void> {
    const server = new Background(command, this.shell());
    this.#servers.push({ block, command, expected, server });
    await server.ready(this.port(expected.until ?? "")).catch((error: Error) => {
      throw failure(block, `\`${command}\`: ${error.message}`);
    });
  }

  /** Ctrl-C for every server, which must then exit with its expected code and have printed its expected lines. */
  async stopServers(): Promise<void> {
    for (const { block, command, expected, server } of this.#servers.splice(0)) {
      const code = await server.stop();
      check(block, command, expected, { code, stdout: server.stdout, stderr: server.stderr }, this);
    }
  }

  async close(): Promise<void> {
    for (const { server } of this.#servers.splice(0)) await server.stop();
    await this.#session?.close();
    for (const emulator of this.emulators) await emulator.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function findFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}
