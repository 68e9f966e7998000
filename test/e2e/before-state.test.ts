import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeforeStateEntry, JournalEntry } from "../../src/apply/journal.js";
import { beforeStates, parseJournal } from "../../src/apply/journal.js";
import { userDataSha256 } from "../../src/model/user-data.js";
import { runCli } from "../support/cli.js";

/** Planted in web-1's user_data, which the fleet file marks sensitive: it must never reach the journal. */
const SECRET = "db_password: Bef0re-State-S3cret";
const OLD_SENSITIVE = `#cloud-config\n${SECRET}\n`;
const OLD_PLAIN = "#cloud-config\npackages: [nginx]\n";

const WORLD = `openstack:
  region: RegionOne
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: ubuntu-22.04 }, { name: ubuntu-24.04 }]
  keypairs: [{ name: ops-2025 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web, owner: team-web }, userData: ${JSON.stringify(OLD_SENSITIVE)} }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: ${JSON.stringify(OLD_PLAIN)} }
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: db } }
huaweicloud:
  projectId: 0123456789abcdef0123456789abcdef
  userId: 7e25b1da389f4697a79df3a0e5bd494e
  credentials: [{ accessKey: BEFORESTATEACCESSKEY, secretKey: before-state-emulator-only-secret }]
  images: [{ name: euler-2.10 }, { name: euler-2.12 }]
  keypairs: [{ name: ops-2025 }]
  servers: [{ name: hw-web-1, image: euler-2.10, keyPair: ops-2025, metadata: { role: web } }]
jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: BEFORESTATEJDACCESSKEY, secretKey: before-state-jd-emulator-only-secret }]
  images: [{ name: ubuntu-22.04, id: img-ubuntu2204 }, { name: ubuntu-24.04, id: img-ubuntu2404 }]
  keypairs: [{ name: ops-2025 }]
  instances: [{ name: jd-web-1, id: i-jdweb1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }]
`;

const FLEET = `providers:
  sim: { type: sim, world: world.yaml, state: .reform/sim.json }
  huawei: { type: sim, api: huaweicloud, world: world.yaml, state: .reform/sim.json }
  jd: { type: sim, api: jdcloud, world: world.yaml, state: .reform/sim.json }
instances:
  - { provider: sim, name: web-1, spec: { image: { name: ubuntu-24.04 }, userData: { inline: "#cloud-config\\ndb_password: new-one\\n", sensitive: true } } }
  - { provider: sim, name: web-2, spec: { metadata: { role: api, tier: "2" }, userData: { inline: "#cloud-config\\npackages: [caddy]\\n" } } }
  - { provider: sim, name: db-1, spec: { metadata: { role: db } } }
  - { provider: huawei, name: hw-web-1, spec: { image: { name: euler-2.12 }, metadata: { role: web } } }
  - { provider: jd, name: jd-web-1, spec: { image: { name: ubuntu-24.04 }, power: running } }
`;

describe("apply journals each changed server's before-state before its first step (OpenStack, Huawei and JD on the embedded sim)", () => {
  let dir: string;
  const reform = (args: readonly string[]) => runCli([...args], { cwd: dir, timeoutMs: 90_000 });
  const journal = async (): Promise<JournalEntry[]> => [
    ...parseJournal(await readFile(join(dir, ".reform", "journal.jsonl"), "utf8")).entries,
  ];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-before-state-"));
    await writeFile(join(dir, "world.yaml"), WORLD);
    await writeFile(join(dir, "fleet.yaml"), FLEET);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("one record per changed server, ahead of its first started step, with what it was; sensitive user_data only as a digest", async () => {
    const run = await reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(run.stdout).toContain("Apply: 4 converged, 0 failed, 0 skipped.");
    expect(run.code).toBe(0);
    const entries = await journal();
    const records = entries.filter((e): e is BeforeStateEntry => e.event === "before-state");
    const changed = ["huawei/hw-web-1", "jd/jd-web-1", "sim/web-1", "sim/web-2"];
    expect(records.map((r) => r.address).sort()).toEqual(changed);
    for (const address of changed) {
      const recordAt = entries.findIndex((e) => e.event === "before-state" && e.address === address);
      const firstStep = entries.findIndex((e) => e.event === "started" && e.address === address);
      expect([address, firstStep > recordAt]).toEqual([address, true]);
    }

    // And before the cloud received it: the embedded sim keeps when it accepted each action (same process, same clock).
    const accepted = (
      JSON.parse(await readFile(join(dir, ".reform", "sim.json"), "utf8")) as {
        actions: { serverName: string; at: number }[];
      }
    ).actions;
    for (const record of records) {
      const first = accepted.find((a) => `${record.address.split("/")[0]}/${a.serverName}` === record.address);
      expect([record.address, first !== undefined && Date.parse(record.time) <= first.at]).toEqual([
        record.address,
        true,
      ]);
    }

    const byAddress = beforeStates(entries);
    expect(byAddress.get("sim/web-1")?.state).toMatchObject({
      image: { name: "ubuntu-22.04" },
      keyPair: "ops-2025",
      userData: { state: "digest", sha256: userDataSha256(OLD_SENSITIVE), why: expect.stringMatching(/sensitive/) },
      power: "running",
    });
    expect(byAddress.get("sim/web-2")?.state).toMatchObject({
      metadata: { role: "web", tier: null },
      userData: { state: "content", content: OLD_PLAIN },
    });
    expect(byAddress.get("huawei/hw-web-1")?.state).toMatchObject({
      image: { name: "euler-2.10" },
      metadata: { role: "web" },
      keyPair: "ops-2025",
    });
    expect(byAddress.get("jd/jd-web-1")?.state).toMatchObject({
      image: { id: "img-ubuntu2204", name: "ubuntu-22.04" },
      power: "running",
    });
    expect(byAddress.get("jd/jd-web-1")?.steps.length).toBeGreaterThan(0);

    const text = await readFile(join(dir, ".reform", "journal.jsonl"), "utf8");
    expect(text).not.toContain("Bef0re-State-S3cret");
    expect(text).not.toContain("new-one");
  }, 120_000);

  it("a run with nothing to change writes no before-state", async () => {
    const before = (await journal()).length;
    const again = await reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
    expect(again.code).toBe(0);
    expect((await journal()).length).toBe(before);
  }, 120_000);
});
