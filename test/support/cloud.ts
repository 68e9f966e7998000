import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Emulator, EmulatorOptions } from "../../src/emulator/index.js";
import { parseWorld, startEmulator } from "../../src/emulator/index.js";
import type { CliRun } from "./cli.js";
import { runCli } from "./cli.js";

export const ADMIN_PASSWORD = "Adm1n-Pa55w0rd-Kn0wn";

/** Fast life cycles for tests: the emulator's operations take tens of milliseconds. */
export const FAST = { rebuild: 120, reboot: 60, stop: 40, start: 40, build: 40 };

export interface TestCloud {
  readonly emulator: Emulator;
  readonly dir: string;
  /** Writes the fleet file (fleet.yaml) into the cloud's directory. */
  writeFleet(text: string, name?: string): Promise<string>;
  /** Runs the CLI in the cloud's directory (clouds.yaml there), with fast polling. */
  reform(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  close(): Promise<void>;
}

/**
 * An emulator on a loopback port with the given world, and a directory holding a clouds.yaml that points
 * at its Keystone: what a user of a real OpenStack cloud would have.
 */
export async function startTestCloud(
  worldYaml: string,
  options: Partial<EmulatorOptions> & { user?: string; password?: string } = {},
): Promise<TestCloud> {
  const emulator = await startEmulator({ world: parseWorld(worldYaml, "world.yaml"), timings: FAST, ...options });
  const dir = await mkdtemp(join(tmpdir(), "reform-e2e-"));
  await writeFile(
    join(dir, "clouds.yaml"),
    [
      "clouds:",
      "  test:",
      "    auth:",
      `      auth_url: ${emulator.urls.identity}`,
      `      username: ${options.user ?? "admin"}`,
      `      password: ${options.password ?? ADMIN_PASSWORD}`,
      "      project_name: demo",
      "      user_domain_name: Default",
      "      project_domain_name: Default",
      "    region_name: RegionOne",
      "",
    ].join("\n"),
  );
  return {
    emulator,
    dir,
    async writeFleet(text, name = "fleet.yaml") {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    reform: (args, env) => runCli(addPollInterval(args), { cwd: dir, ...(env ? { env } : {}) }),
    async close() {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function addPollInterval(args: readonly string[]): string[] {
  return args[0] === "apply" ? [...args, "--poll-interval", "30"] : [...args];
}

/** A world with the users the tests log in as. */
export function worldWith(body: string): string {
  return `openstack:
  region: RegionOne
  users:
    - { name: admin, password: ${ADMIN_PASSWORD}, project: demo, roles: [admin] }
    - { name: alice, password: alice-pw, project: demo }
${body}`;
}
