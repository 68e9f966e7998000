/**
 * The official client as a peer: Debian's python3-openstackclient lists the same emulated world a plan reads,
 * `openstack server list --long --limit -1` (every server, every page), as a whole process, spawn to exit.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { kill, track } from "./children.js";
import { requestsBetween, spawnEmulator } from "./emulator-host.js";
import { cloudsYaml, serverName } from "./world.js";

export const OPENSTACK_CLIENT_COMMAND = "openstack server list --long --limit -1";

export interface OpenStackClientFigures {
  readonly servers: number;
  readonly latencyMs: number;
  /** On pages the emulator has served once (the listing before), as reform's plan is measured. */
  readonly wallMs: number;
  /** The listing before, on the fresh emulator. */
  readonly coldWallMs?: number;
  /** Requests the emulator counted from the client, and on which routes. */
  readonly requests: number;
  readonly byRoute: Record<string, number>;
  /** `openstack --version`. */
  readonly version: string;
}

const run = promisify(execFile);

/**
 * The client's version, installing Debian's python3-openstackclient first when it is missing and the benchmark
 * runs as root (as on CI images); undefined when it is not there and cannot be installed.
 */
export async function openStackClientVersion(log: (line: string) => void): Promise<string | undefined> {
  const version = async () => (await run("openstack", ["--version"])).stdout.trim() || undefined;
  try {
    return await version();
  } catch {
    if (process.getuid?.() !== 0) {
      log(
        "the openstack CLI is not installed and the benchmark does not run as root: no python-openstackclient figure",
      );
      return undefined;
    }
  }
  log("installing python3-openstackclient (apt-get)");
  try {
    await run("apt-get", ["install", "-y", "--no-install-recommends", "python3-openstackclient"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return await version();
  } catch (error) {
    log(`could not install python3-openstackclient: ${(error as Error).message.split("\n")[0] ?? ""}`);
    return undefined;
  }
}

/** `openstack server list --long --limit -1` against an emulator of `servers` servers with `latencyMs`, twice as reform's plan. */
export async function runOpenStackClient(
  servers: number,
  latencyMs: number,
  version: string,
  timeoutMs = 900_000,
): Promise<OpenStackClientFigures> {
  const emulator = await spawnEmulator({ servers, latencyMs, rebuildMs: 2000 });
  const dir = await mkdtemp(join(tmpdir(), "reform-bench-osc-"));
  try {
    const config = join(dir, "clouds.yaml");
    await writeFile(config, cloudsYaml(emulator.urls.identity));
    const list = async () => {
      const run = await timed(
        ["server", "list", "--long", "--limit", "-1", "-f", "value", "-c", "Name"],
        { HOME: dir, OS_CLIENT_CONFIG_FILE: config, OS_CLOUD: "bench" },
        timeoutMs,
      );
      // It must have listed the whole world: the oldest server and the newest, and one line per server.
      const lines = run.stdout.split("\n").filter((l) => l !== "");
      if (lines.length !== servers || !lines.includes(serverName(1)) || !lines.includes(serverName(servers)))
        throw new Error(`openstack server list printed ${lines.length} servers, expected ${servers}`);
      return run.wallMs;
    };
    // Twice, as reform's plan: the first on the fresh emulator, the second on pages it has served once.
    const coldWallMs = await list();
    const before = await emulator.stats();
    const wallMs = await list();
    const requests = requestsBetween(before, await emulator.stats());
    return { servers, latencyMs, wallMs, coldWallMs, requests: requests.total, byRoute: requests.byRoute, version };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await emulator.close();
  }
}

function timed(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<{ wallMs: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = track(
      spawn("openstack", args, {
        detached: true,
        env: { PATH: process.env["PATH"] ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      }),
      true,
    );
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => kill(child), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`openstack server list exited with ${code}: ${stderr.slice(0, 500)}`));
      resolve({ wallMs, stdout: Buffer.concat(out).toString() });
    });
  });
}
