import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeforeStateEntry } from "../../src/apply/journal.js";
import { parseJournal, pendingOperations, unfinishedRollback } from "../../src/apply/journal.js";
import type { TestCloud } from "../support/cloud.js";
import { FAST, startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

const BIN = resolve(import.meta.dirname, "../../bin/reform.js");
const NAMES = ["web-1", "web-2"];
const WORLD = worldWith(`  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
${NAMES.map((n) => `    - { name: ${n}, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }`).join("\n")}
`);
const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
groups:
  - name: web
    provider: dc1
    match: { name: "web-*" }
    spec: { image: { name: ubuntu-24.04 }, metadata: { role: api } }
    rollout: { parallelism: 2, maxUnavailable: 1 }
`;

/** `reform apply --rollback`, killed with SIGKILL once its first rebuild was sent (and journaled). */
function rollbackKilledMidRebuild(dir: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, "apply", "-c", "fleet.yaml", "--rollback", "--auto-approve", "--poll-interval", "30"],
      {
        cwd: dir,
        env: { PATH: process.env["PATH"] ?? "", HOME: dir, CI: "true", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/: rebuild started/.test(stdout)) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, ended) => {
      clearTimeout(timer);
      if (ended !== "SIGKILL") reject(new Error(`--rollback was not killed mid-rebuild:\n${stdout}\n${stderr}`));
      else resolvePromise(stdout);
    });
  });
}

describe("reform apply --rollback, killed with SIGKILL mid-rollback, then applied again (OpenStack emulator)", () => {
  let cloud: TestCloud;
  const journalPath = () => join(cloud.dir, ".reform", "journal.jsonl");
  beforeAll(async () => {
    // Long enough that the kill lands while the rollback's rebuild runs, even on a loaded machine.
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, rebuild: 1500 } });
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("the next apply finishes the rollback (re-attaching to its rebuild), never rolls forward, and exits 1", async () => {
    const old = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-22.04")?.id;
    const forward = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(forward.code, forward.stderr).toBe(0);

    const killed = await rollbackKilledMidRebuild(cloud.dir);
    expect(killed).toMatch(/reform will take back 2 servers that run .* changed/);
    const left = parseJournal(await readFile(journalPath(), "utf8")).entries;
    expect(unfinishedRollback(left)?.addresses).toEqual(NAMES.map((n) => `dc1/${n}`));
    expect(pendingOperations(left)).toHaveLength(1);

    const again = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(
      /An interrupted rollback of run \S+ \(started .*\) is unfinished: this apply finishes it and changes nothing else\./,
    );
    expect(again.stdout).toMatch(/Resumed: re-attached to rebuild of dc1\/web-\d .*: finished/);
    expect(again.stdout).toContain("Apply: 0 converged, 0 failed, 0 skipped, 2 rolled back.");
    expect(again.stdout).toMatch(/Rolled back: finishing the rollback an interrupted apply left unfinished/);
    for (const name of NAMES) {
      // Forward rebuild, rollback rebuild: never a third (no roll forward, no second rollback rebuild).
      expect(serverActions(cloud.emulator, name)).toEqual(["rebuild", "rebuild"]);
      expect(serverByName(cloud.emulator, name)).toMatchObject({
        imageId: old,
        vmState: "active",
        metadata: { role: "web" },
      });
    }
    const after = parseJournal(await readFile(journalPath(), "utf8")).entries;
    expect(unfinishedRollback(after)).toBeUndefined();
    expect(after.filter((e) => e.event === "before-state")).toHaveLength(NAMES.length);

    // The fleet file's change is pending again; a second --rollback finds nothing to do.
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"])).code).toBe(2);
    const none = await cloud.reform(["apply", "-c", "fleet.yaml", "--rollback", "--auto-approve"]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^Nothing to roll back: the last run in the journal \(\S+\) was rolled back already/);
  }, 120_000);

  it("a before-state whose image was unknown is reported as not restored, never guessed", async () => {
    const forward = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(forward.code, forward.stderr).toBe(0);
    // As a volume-backed server's record reads: the image it booted from could not be read.
    const text = await readFile(journalPath(), "utf8");
    const lines = text.trimEnd().split("\n");
    const at = lines.findLastIndex((l) => l.includes('"before-state"') && l.includes("dc1/web-1"));
    const record = JSON.parse(lines[at] ?? "{}") as BeforeStateEntry;
    lines[at] = JSON.stringify({
      ...record,
      state: { ...record.state, image: { unknown: "its root volume vol-9 was not created from an image" } },
    });
    await writeFile(journalPath(), `${lines.join("\n")}\n`);

    const back = await cloud.reform(["apply", "-c", "fleet.yaml", "--rollback", "--auto-approve", "--output", "json"]);
    expect(back.code, back.stderr).toBe(1);
    const doc = JSON.parse(back.stdout) as { results: { address: string; result: Record<string, unknown> }[] };
    const web1 = doc.results.find((r) => r.address === "dc1/web-1")?.result;
    expect(web1).toMatchObject({
      type: "rolled-back",
      not_restored: [
        "image: the image before this run is not known (its root volume vol-9 was not created from an image)",
      ],
    });
    const newImage = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    expect(serverByName(cloud.emulator, "web-1")).toMatchObject({ imageId: newImage, metadata: { role: "web" } });
    expect(doc.results.find((r) => r.address === "dc1/web-2")?.result).toMatchObject({
      type: "rolled-back",
      not_restored: [],
    });
  }, 120_000);
});
