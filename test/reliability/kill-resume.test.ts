import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRandom } from "../../src/emulator/ids.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud } from "../support/cloud.js";
import type { FleetSize } from "./fleet-world.js";
import {
  CLOUD_ENV,
  filesUnder,
  fleetWorld,
  HW,
  lostUnmanagedKeys,
  outcomes,
  REFORM_BIN,
  reformLong,
  reprovisionCounts,
  secretHits,
  SENSITIVE,
} from "./fleet-world.js";

const SEED = 6_2026;
const KILLS = 20;
const SIZE: FleetSize = { openstack: 12, huawei: 10, jd: 10 };
const TIMINGS = { rebuild: 400, reinstall: 400, reboot: 100, stop: 100, start: 100, build: 40 };

/** Round r asks for the other image (so every round reprovisions every server) and a new `wave` key. */
function roundFleet(cloud: TestCloud, round: number): string {
  const even = round % 2 === 0;
  const os = even ? "ubuntu-24.04" : "ubuntu-22.04";
  const hw = even ? "euler-2" : "euler-1";
  const jd = even ? "ubuntu-24.04" : "ubuntu-22.04";
  const meta = `{ role: svc, tier: "2", wave: "${round}" }`;
  return `providers:
  os: { type: openstack, cloud: test }
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW.projectId}", endpoint: "${cloud.emulator.urls.huaweicloud}", pollIntervalMs: 30 }
  jd: { type: jdcloud, region: cn-north-1, endpoint: "${cloud.emulator.urls.jdcloud}" }
defaults:
  rollout: { parallelism: 8, onFailure: continue }
groups:
  - { name: os, provider: os, match: { name: "os-web-*" }, spec: { image: { name: ${os} }, metadata: ${meta}, userData: { inline: "#cloud-config\\n# ${SENSITIVE}\\n", sensitive: true } } }
  - { name: hw, provider: hw, match: { name: "hw-app-*" }, spec: { image: { name: ${hw} }, keyPair: ops-2025, metadata: ${meta} } }
  - { name: jd, provider: jd, match: { name: "jd-api-*" }, spec: { image: { name: ${jd} }, keyPair: ops-2025, power: running, metadata: ${meta}, password: { env: JD_ROOT_PASSWORD } } }
`;
}

/**
 * Starts `reform apply` and kills it with SIGKILL `afterMs` after the emulator accepted its first action (so the kill lands
 * mid-apply however slow the machine is to start a process); resolves with what it printed and whether it was killed.
 */
function applyKilledAfter(cloud: TestCloud, afterMs: number): Promise<{ killed: boolean; output: string }> {
  const from = cloud.emulator.stats.actions.length;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [REFORM_BIN, "apply", "--auto-approve", "--poll-interval", "30"], {
      cwd: cloud.dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: cloud.dir, CI: "true", NO_COLOR: "1", ...CLOUD_ENV },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let timer: NodeJS.Timeout | undefined;
    const arm = setInterval(() => {
      if (cloud.emulator.stats.actions.length === from) return;
      clearInterval(arm);
      timer = setTimeout(() => child.kill("SIGKILL"), afterMs);
    }, 5);
    child.on("error", fail);
    child.on("close", (_code, signal) => {
      clearInterval(arm);
      clearTimeout(timer);
      done({ killed: signal === "SIGKILL", output });
    });
  });
}

/** Lines of the journal that are not whole JSON objects (a torn or damaged line), and whether the file ends cleanly. */
async function journalDamage(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(dir, ".reform", "journal.jsonl"), "utf8");
  } catch {
    return [];
  }
  const damage: string[] = [];
  if (text !== "" && !text.endsWith("\n")) damage.push(`no newline at the end: ${JSON.stringify(text.slice(-80))}`);
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (
        typeof entry !== "object" ||
        entry === null ||
        typeof entry["time"] !== "string" ||
        typeof entry["event"] !== "string"
      )
        damage.push(`line ${i + 1}: not a journal entry`);
    } catch {
      damage.push(`line ${i + 1}: not JSON: ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return damage;
}

describe(`kill -9 of reform apply at ${KILLS} seeded points (seed ${SEED}), each followed by reform apply`, () => {
  let cloud: TestCloud;
  const outputs: { where: string; text: string }[] = [];
  beforeAll(async () => {
    cloud = await startTestCloud(fleetWorld(SIZE, ""), { seed: SEED, timings: TIMINGS });
  });
  afterAll(async () => cloud.close());

  it("the fleet converges after every kill, no server is reprovisioned twice, the journal is never corrupt, no secret leaks", async () => {
    const random = createRandom(SEED);
    const figures: string[] = [];
    for (let round = 0; round < KILLS; round++) {
      await cloud.writeFleet(roundFleet(cloud, round));
      const from = cloud.emulator.stats.actions.length;
      const offset = Math.round(random() * 1500);
      const killed = await applyKilledAfter(cloud, offset);
      outputs.push({ where: `round ${round} killed run`, text: killed.output });
      expect(await journalDamage(cloud.dir), `journal after the kill of round ${round}`).toEqual([]);
      const actionsAtKill = cloud.emulator.stats.actions.length - from;
      const started = Date.now();
      const rerun = await reformLong(cloud, ["apply", "--auto-approve"], CLOUD_ENV, 90_000);
      outputs.push(
        { where: `round ${round} re-run stdout`, text: rerun.stdout },
        { where: `round ${round} re-run stderr`, text: rerun.stderr },
      );
      expect({
        round,
        code: rerun.code,
        stderr: rerun.stderr.slice(-500),
        out: rerun.code === 0 ? "" : rerun.stdout.slice(-1500),
      }).toEqual({ round, code: 0, stderr: "", out: "" });
      const plan = await reformLong(cloud, ["plan", "--detailed-exitcode"], CLOUD_ENV);
      outputs.push({ where: `round ${round} plan`, text: plan.stdout + plan.stderr });
      expect({ round, code: plan.code }).toEqual({ round, code: 0 });
      expect(await journalDamage(cloud.dir)).toEqual([]);
      const reprovisions = reprovisionCounts(cloud.emulator, from);
      expect(
        [...reprovisions].filter(([, n]) => n > 1),
        `round ${round}`,
      ).toEqual([]);
      expect(reprovisions.size, `round ${round}: every server reprovisioned once`).toBe(
        SIZE.openstack + SIZE.huawei + SIZE.jd,
      );
      expect(cloud.emulator.stats.duplicates).toEqual([]);
      const servers = outcomes(cloud.emulator);
      expect(servers.filter((s) => s.onNewImage !== (round % 2 === 0)).map((s) => s.address)).toEqual([]);
      expect(lostUnmanagedKeys(servers)).toEqual([]);
      figures.push(`${offset}ms${killed.killed ? "" : "(finished)"}:${actionsAtKill}`);
      process.stdout.write(
        `[reliability] kill round ${round}: killed ${offset} ms after the first action, ${actionsAtKill} actions accepted; re-run ${Date.now() - started} ms\n`,
      );
    }
    const files = await filesUnder(cloud.dir, (p) => p.endsWith(".yaml"));
    expect(secretHits([...outputs, ...files])).toEqual([]);
    process.stdout.write(
      `[reliability] kill seed ${SEED}: ${KILLS} kills (ms after the first action:actions accepted before the kill) ${figures.join(" ")}\n`,
    );
  }, 480_000);
});
