import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Emulator } from "../../src/emulator/index.js";
import { INJECTED_FAILURE } from "../../src/emulator/faults.js";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { CliRun } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { ADMIN_PASSWORD } from "../support/cloud.js";

/** Known secrets planted in every reliability run: none may appear in any output or file reform writes. */
export const HW = {
  projectId: "0123456789abcdef0123456789abcdef",
  userId: "7e25b1da389f4697a79df3a0e5bd494e",
  accessKey: "RELIABILITYHWAK00001",
  secretKey: "Hw-Secret-Key-Planted-4a7c9e",
};
export const JD = {
  accessKey: "RELIABILITYJDAK0001",
  secretKey: "Jd-Secret-Key-Planted-8b2d6f",
  password: "Jd-Inst4nce-Pa55-Planted",
};
export const SENSITIVE = "S3nsitive-UserData-Planted-c41d";
export const SECRETS = [ADMIN_PASSWORD, HW.secretKey, JD.secretKey, JD.password, SENSITIVE] as const;

export const CLOUD_ENV = {
  HW_ACCESS_KEY: HW.accessKey,
  HW_SECRET_KEY: HW.secretKey,
  HW_USER_ID: HW.userId,
  JDC_ACCESS_KEY: JD.accessKey,
  JDC_SECRET_KEY: JD.secretKey,
  JD_ROOT_PASSWORD: JD.password,
};

export interface FleetSize {
  readonly openstack: number;
  readonly huawei: number;
  readonly jd: number;
}

const pad = (n: number) => String(n).padStart(3, "0");

/** The unmanaged metadata each server starts with: must survive every apply. */
export function unmanagedKeys(name: string): Record<string, string> {
  return { owner: `team-${name}`, "cost-center": "cc-42" };
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${pad(i + 1)}`);
}

export function fleetNames(size: FleetSize): { openstack: string[]; huawei: string[]; jd: string[] } {
  return {
    openstack: names("os-web", size.openstack),
    huawei: names("hw-app", size.huawei),
    jd: names("jd-api", size.jd),
  };
}

const meta = (name: string) => JSON.stringify({ role: "svc", ...unmanagedKeys(name) });

/** A world with the three clouds, every server on its old image with unmanaged metadata; `faults` is the world's faults section. */
export function fleetWorld(size: FleetSize, faults: string): string {
  const n = fleetNames(size);
  return `openstack:
  region: RegionOne
  users:
    - { name: admin, password: ${ADMIN_PASSWORD}, project: demo, roles: [admin] }
  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
${n.openstack.map((s) => `    - { name: ${s}, image: ubuntu-22.04, keyPair: ops-2025, metadata: ${meta(s)} }`).join("\n")}
huaweicloud:
  projectId: ${HW.projectId}
  userId: ${HW.userId}
  credentials: [{ accessKey: ${HW.accessKey}, secretKey: ${HW.secretKey} }]
  images: [{ name: euler-1 }, { name: euler-2 }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
${n.huawei.map((s) => `    - { name: ${s}, image: euler-1, keyPair: ops-2025, metadata: ${meta(s)} }`).join("\n")}
jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${JD.accessKey}, secretKey: ${JD.secretKey} }]
  images: [{ name: ubuntu-22.04, id: img-2204 }, { name: ubuntu-24.04, id: img-2404 }]
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  instances:
${n.jd.map((s) => `    - { name: ${s}, image: ubuntu-22.04, keyPair: ops-2025, metadata: ${meta(s)} }`).join("\n")}
${faults}`;
}

/** The fleet: every server gets a new image and a managed `tier` key; the OpenStack tier also a sensitive user_data. */
export function fleetFile(emulator: Emulator, options: { parallelism: number }): string {
  return `providers:
  os: { type: openstack, cloud: test }
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW.projectId}", endpoint: "${emulator.urls.huaweicloud}", pollIntervalMs: 50 }
  jd: { type: jdcloud, region: cn-north-1, endpoint: "${emulator.urls.jdcloud}" }
defaults:
  rollout: { parallelism: ${options.parallelism}, onFailure: continue }
groups:
  - name: os-web
    provider: os
    match: { name: "os-web-*" }
    spec:
      image: { name: ubuntu-24.04 }
      metadata: { role: svc, tier: "2" }
      userData: { inline: "#cloud-config\\nwrite_files: [{ path: /etc/app.env, content: 'token=${SENSITIVE}' }]\\n", sensitive: true }
  - name: hw-app
    provider: hw
    match: { name: "hw-app-*" }
    spec: { image: { name: euler-2 }, keyPair: ops-2025, metadata: { role: svc, tier: "2" } }
  - name: jd-api
    provider: jd
    match: { name: "jd-api-*" }
    spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2025, metadata: { role: svc, tier: "2" }, password: { env: JD_ROOT_PASSWORD } }
`;
}

export interface ServerOutcome {
  readonly address: string;
  readonly id: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly onNewImage: boolean;
  /** The emulator injected a failure into this server's reprovisioning. */
  readonly injectedFailure: boolean;
}

/** Every server of the three clouds as the emulator holds it now. */
export function outcomes(emulator: Emulator): ServerOutcome[] {
  const state = emulator.snapshot();
  const os = state.openstack;
  const osNew = os.images.find((i) => i.name === "ubuntu-24.04")?.id;
  const hw = state.huaweicloud;
  const hwNew = hw?.images.find((i) => i.name === "euler-2")?.id;
  const hwFailed = new Set(
    Object.values(hw?.jobs ?? {})
      .filter((j) => j.failReason === INJECTED_FAILURE)
      .map((j) => j.serverId),
  );
  return [
    ...os.servers.map((s) => ({
      address: `os/${s.name}`,
      id: s.id,
      metadata: s.metadata,
      onNewImage: s.imageId === osNew,
      injectedFailure: s.fault?.message === INJECTED_FAILURE,
    })),
    ...(hw?.servers ?? []).map((s) => ({
      address: `hw/${s.name}`,
      id: s.id,
      metadata: s.metadata,
      onNewImage: s.imageId === hwNew,
      injectedFailure: hwFailed.has(s.id),
    })),
    ...(state.jdcloud?.instances ?? []).map((i) => ({
      address: `jd/${i.name}`,
      id: i.id,
      metadata: i.metadata,
      onNewImage: i.imageId === "img-2404",
      injectedFailure: i.status === "error",
    })),
  ];
}

/** Nova and JD `rebuild`, Huawei `v2 changeOS withStopServer`, `v1 reinstallServer`, `native rebuild`… */
export function isReprovisionAction(action: string): boolean {
  return /(^|\s)(rebuild|changeOS|reinstallServer)(\s|$)/.test(action);
}

/** Reprovisioning actions the emulator accepted, per server name, from action number `from` on. */
export function reprovisionCounts(emulator: Emulator, from = 0): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of emulator.stats.actions.slice(from)) {
    if (isReprovisionAction(a.action)) counts.set(a.serverName, (counts.get(a.serverName) ?? 0) + 1);
  }
  return counts;
}

/** Unmanaged keys missing or changed on any server. */
export function lostUnmanagedKeys(servers: readonly ServerOutcome[]): string[] {
  const lost: string[] = [];
  for (const s of servers) {
    const name = s.address.slice(s.address.indexOf("/") + 1);
    for (const [key, value] of Object.entries(unmanagedKeys(name)))
      if (s.metadata[key] !== value) lost.push(`${s.address} ${key}`);
  }
  return lost;
}

/** Each planted secret found in the texts, with where. */
export function secretHits(texts: readonly { readonly where: string; readonly text: string }[]): string[] {
  return SECRETS.flatMap((secret) =>
    texts.filter((t) => t.text.includes(secret)).map((t) => `${secret.slice(0, 6)}… in ${t.where}`),
  );
}

/** Every file under `dir` (what reform wrote there, plus the test's inputs), as text. */
export async function filesUnder(
  dir: string,
  skip: (path: string) => boolean,
): Promise<{ where: string; text: string }[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !skip(p));
  return Promise.all(paths.map(async (where) => ({ where, text: await readFile(where, "utf8") })));
}

/** The built CLI; REFORM_BIN points the suites at another build (e.g. a private copy while others rebuild dist/). */
export const REFORM_BIN = process.env["REFORM_BIN"] ?? resolve(import.meta.dirname, "../../bin/reform.js");

/** Runs the CLI as a user would (child process, no terminal, CI=true) with a time limit, then SIGKILL. */
export function runReform(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [REFORM_BIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env["PATH"] ?? "", HOME: options.cwd, CI: "true", NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The CLI in the cloud's directory with a longer time limit than the e2e default (fleets of hundreds of servers). */
export function reformLong(
  cloud: TestCloud,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 240_000,
): Promise<CliRun> {
  const withPoll = args[0] === "apply" ? [...args, "--poll-interval", "50"] : [...args];
  return runReform(withPoll, { cwd: cloud.dir, env, timeoutMs });
}
