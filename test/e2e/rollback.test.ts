import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJournal } from "../../src/apply/journal.js";
import { runCli } from "../support/cli.js";

/**
 * Automatic rollback on the embedded emulator, for each cloud API: the group moves to an image that rebuilds fine
 * but never passes the health gate; the first checkpoint's server fails its gate, maxUnhealthy halts the rollout,
 * and `onFailure: rollback` takes the server back to its before-state (image, metadata), after which `plan` shows
 * the fleet file's change still pending.
 */
const WORLD = `openstack:
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: good }, { name: rc1, healthy: false }]
  keypairs: [{ name: ops }]
  servers: [{ name: os-1, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: os-2, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: os-3, image: good, keyPair: ops, metadata: { role: web, old: "1" } }]
huaweicloud:
  credentials: [{ accessKey: WORLDHWKEY, secretKey: world-hw-secret }]
  images: [{ name: good }, { name: rc1, healthy: false }]
  keypairs: [{ name: ops }]
  servers: [{ name: hw-1, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: hw-2, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: hw-3, image: good, keyPair: ops, metadata: { role: web, old: "1" } }]
jdcloud:
  credentials: [{ accessKey: WORLDJDKEY, secretKey: world-jd-secret }]
  images: [{ name: good, id: img-good }, { name: rc1, id: img-rc1, healthy: false }]
  keypairs: [{ name: ops }]
  instances: [{ name: jd-1, id: i-jd1, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: jd-2, id: i-jd2, image: good, keyPair: ops, metadata: { role: web, old: "1" } }, { name: jd-3, id: i-jd3, image: good, keyPair: ops, metadata: { role: web, old: "1" } }]
timings: { rebuild: 50ms, reinstall: 50ms, reboot: 20ms, stop: 20ms, start: 20ms }
`;

function fleet(api: string, prefix: string): string {
  return `providers:
  ${prefix}: { type: sim, api: ${api}, world: world.yaml, state: .reform/${api}.json }
journal: .reform/${api}-journal.jsonl
groups:
  - name: web
    provider: ${prefix}
    match: { name: "${prefix}-*" }
    spec: { image: { name: rc1 }, keyPair: ops, metadata: { role: api, release: rc1 }, metadataPolicy: exact }
    rollout: { parallelism: 3, checkpoints: ["33%"], bake: 300ms, maxUnhealthy: 1, onFailure: rollback, gate: { http: "{health}/servers/{id}", interval: 100ms, timeout: 1s } }
`;
}

interface ReportDoc {
  summary: Record<string, number>;
  rollback?: { reason: string; run: string; rolled_back: string[]; not_rolled_back: string[] };
  results: { address: string; action: string; result: Record<string, unknown> }[];
}

describe("onFailure: rollback on the embedded emulator", () => {
  let dir: string;
  const reform = (args: readonly string[]) => runCli([...args], { cwd: dir, timeoutMs: 90_000 });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-rollback-"));
    await writeFile(join(dir, "world.yaml"), WORLD);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  describe.each([
    ["openstack", "os"],
    ["huaweicloud", "hw"],
    ["jdcloud", "jd"],
  ])("on %s", (api, prefix) => {
    it("a bad image fails its gate at the first checkpoint: the server is rolled back to its image and metadata, the change stays pending", async () => {
      await writeFile(join(dir, `${api}.yaml`), fleet(api, prefix));
      const run = await reform(["apply", "-c", `${api}.yaml`, "--auto-approve", "--output", "json"]);
      expect(run.code, run.stderr).toBe(1);
      const doc = JSON.parse(run.stdout) as ReportDoc;
      const first = `${prefix}/${prefix}-1`;
      expect(doc.rollback).toMatchObject({ rolled_back: [first], not_rolled_back: [] });
      expect(doc.rollback?.reason).toMatch(
        new RegExp(
          `^maxUnhealthy 1 reached in group web \\(1 server failed or went unhealthy\\): ${first} converged, but readiness gate .* did not pass`,
        ),
      );
      expect(doc.summary).toEqual({ converged: 0, failed: 0, skipped: 2, rolled_back: 1 });
      const firstResult = doc.results.find((r) => r.address === first)?.result;
      expect(firstResult).toMatchObject({
        type: "rolled-back",
        why: doc.rollback?.reason,
        forward: expect.stringMatching(/^failed: converged, but readiness gate/),
        not_restored: [],
      });
      expect((firstResult?.["rollback_steps"] as string[]).length).toBeGreaterThan(0);
      // The text report says it once per server and gives the reason once.
      const journal = parseJournal(await readFile(join(dir, ".reform", `${api}-journal.jsonl`), "utf8")).entries;
      const events = journal.map((e) => e.event);
      expect(events.filter((e) => e === "before-state")).toHaveLength(1);
      expect(events.indexOf("rollback-started")).toBeGreaterThan(events.indexOf("before-state"));
      expect(events.at(-1)).toBe("rollback-finished");

      // Verified from outside: the server is back on its image, with its metadata as it was.
      const shown = await reform(["plan", "-c", `${api}.yaml`, "--output", "json", "--detailed-exitcode"]);
      expect(shown.code, shown.stderr).toBe(2);
      const plan = JSON.parse(shown.stdout) as {
        changes: { address: string; action: string; before: Record<string, unknown> }[];
      };
      const again = plan.changes.find((c) => c.address === first);
      expect(again?.before).toMatchObject({ image: { name: "good" }, metadata: { role: "web", old: "1" } });
      expect(
        plan.changes.every((c) => c.action === "rebuild" || c.action === "reinstall" || c.action === "changeos"),
      ).toBe(true);
    }, 120_000);
  });
});
