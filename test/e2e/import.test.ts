import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Emulator } from "../../src/emulator/index.js";
import type { CliRun } from "../support/cli.js";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";

/** Values planted in the clouds that look like secrets: no byte of them may leave the cloud. */
const PLANTED = {
  userDataPassword: "Us3rdata-Pa55w0rd-Kn0wn",
  metadataSecret: "Metadata-S3cret-Kn0wn",
  token: "ghp_Kn0wnT0kenInUserData0000",
  privateKey: "MIIEKn0wnPr1vateKeyB0dy",
};
const HW_SECRET_KEY = "Hw-Secret-Key-Known-To-The-Import-Test";
const JD_SECRET_KEY = "Jd-Secret-Key-Known-To-The-Import-Test";
const ENV = {
  HW_ACCESS_KEY: "QTWAOYTTINDUT2QVKYUC",
  HW_SECRET_KEY,
  JDC_ACCESS_KEY: "JDTESTACCESSKEY0001",
  JDC_SECRET_KEY: JD_SECRET_KEY,
};

const WORLD = `openstack:
  users: [{ name: admin, password: Adm1n-Pa55w0rd-Kn0wn, project: demo, roles: [admin] }]
  images:
    - { name: ubuntu-22.04 }
    - { name: ubuntu-24.04 }
    - { name: debian-12, id: 0000000d-0000-4000-8000-000000000001 }
    - { name: debian-12, id: 0000000d-0000-4000-8000-000000000002 }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-01, image: ubuntu-24.04, keyPair: ops-2026, metadata: { role: web, env: prod }, userData: "#cloud-config\\npackages: [nginx]\\n" }
    - { name: web-02, image: ubuntu-24.04, keyPair: ops-2026, metadata: { role: web, env: prod }, userData: "#cloud-config\\npackages: [nginx]\\n" }
    - { name: web-03, image: ubuntu-24.04, keyPair: ops-2026, metadata: { role: web, env: prod }, userData: "#cloud-config\\npackages: [nginx]\\n" }
    - { name: db-1, image: ubuntu-22.04, keyPair: ops-2026, metadata: { role: db, env: prod, db_password: ${PLANTED.metadataSecret} }, status: SHUTOFF }
    - { name: api-1, image: 0000000d-0000-4000-8000-000000000001, keyPair: ops-2025, metadata: { role: api, env: prod }, userData: "#cloud-config\\npassword: ${PLANTED.userDataPassword}\\n" }
    - { name: broken-1, image: ubuntu-24.04, keyPair: ops-2026, status: ERROR, fault: "No valid host was found" }
huaweicloud:
  projectId: 0123456789abcdef0123456789abcdef
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${HW_SECRET_KEY} }]
  images: [{ name: euler-2.12, id: 11111111-0000-4000-8000-000000000001 }, { name: legacy-1, id: 11111111-0000-4000-8000-000000000003, cloudInit: false }]
  keypairs: [{ name: ops-2026 }]
  servers:
    - { name: app-1, image: euler-2.12, keyPair: ops-2026, metadata: { role: app } }
    - { name: app-2, image: euler-2.12, keyPair: ops-2026, metadata: { role: app } }
    - { name: batch-1, image: legacy-1, keyPair: ops-2026, userData: "#!/bin/sh\\ncurl -H 'X-Auth-Token: ${PLANTED.token}' https://example.com\\n", status: SHUTOFF }
jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${ENV.JDC_ACCESS_KEY}, secretKey: ${JD_SECRET_KEY} }]
  images: [{ name: centos-7, id: img-c7000001 }]
  keypairs: [{ name: jd-key }]
  instances:
    - { name: jd-1, id: i-jd1, image: centos-7, keyPair: jd-key, metadata: { role: app }, userData: "#!/bin/sh\\necho hi\\n" }
    - { name: jd-2, id: i-jd2, image: centos-7, keyPair: jd-key, metadata: { role: app }, userData: "-----BEGIN RSA PRIVATE KEY-----\\n${PLANTED.privateKey}\\n-----END RSA PRIVATE KEY-----\\n" }
    - { name: jd-3, id: i-jd3, image: centos-7, keyPair: null, status: stopped }
`;

const PROVIDERS = `# The clouds we run: reform import reads this file's providers only.
providers:
  os: { type: sim, world: world.yaml }   # the simulated Nova
  hw: { type: sim, api: huaweicloud, world: world.yaml }
  jd: { type: sim, api: jdcloud, world: world.yaml }
`;

/** The servers of every simulated cloud, as its state file holds them (what import must never change). */
async function simServers(dir: string): Promise<string> {
  type State = {
    openstack: { servers: unknown };
    huaweicloud?: { servers: unknown };
    jdcloud?: { instances: unknown };
    actions: unknown;
  };
  const states = await Promise.all(
    ["os", "hw", "jd"].map(
      async (p) => JSON.parse(await readFile(join(dir, ".reform", `sim-${p}.json`), "utf8")) as State,
    ),
  );
  return JSON.stringify(
    states.map((s) => [s.openstack.servers, s.huaweicloud?.servers, s.jdcloud?.instances, s.actions]),
  );
}

describe(
  "reform import on the embedded simulator (sim providers with api: openstack, huaweicloud, jdcloud)",
  { timeout: 180_000 },
  () => {
    let dir: string;
    const runs: CliRun[] = [];
    const reform = async (args: readonly string[]): Promise<CliRun> => {
      const run = await runCli(args, { cwd: dir });
      runs.push(run);
      return run;
    };

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "reform-import-"));
      await writeFile(join(dir, "world.yaml"), WORLD);
      await writeFile(join(dir, "providers.yaml"), PROVIDERS);
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it("writes a fleet file that plan finds nothing to do in, and changes nothing on any server", async () => {
      const imported = await reform(["import", "-c", "providers.yaml", "--out", "fleet.yaml"]);
      expect(imported.stderr).toBe("");
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain("Imported 11 servers of os, hw, jd into fleet.yaml:");
      expect(imported.stdout).toContain(
        "  os/broken-1: in ERROR (No valid host was found): repair or delete it, then import it again",
      );
      expect(imported.stdout).toContain(
        "Not written, because they look like secrets (so reform does not manage them):\n  os/api-1: userData\n  os/db-1: metadata.db_password\n  hw/batch-1: userData\n  jd/jd-2: userData\n",
      );
      const servers = await simServers(dir);
      const plan = await reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
      expect(plan.stdout).toContain("No changes.");
      expect(plan.code).toBe(0);
      const again = await reform(["import", "-c", "providers.yaml", "--out", "fleet.yaml", "--force"]);
      expect(again.code).toBe(0);
      expect(await simServers(dir)).toBe(servers);
      const text = await readFile(join(dir, "fleet.yaml"), "utf8");
      expect(text).toContain("  os: { type: sim, world: world.yaml } # the simulated Nova\n");
      expect(text).toMatch(
        /# 3 servers: web-01, web-02, web-03\n {2}- name: web\n {4}provider: os\n {4}match: \{ name: "web-\*" \}/,
      );
      expect(text).toContain(
        "image: { id: 0000000d-0000-4000-8000-000000000001 } # debian-12 (by id: image name debian-12 is ambiguous",
      );
      expect(text).toContain("#   os/broken-1 (id ");
      const doc = parse(text) as {
        groups: { name: string; provider: string }[];
        instances: { provider: string; name: string }[];
      };
      expect(doc.groups.map((g) => `${g.provider}/${g.name}`)).toEqual(["os/web", "hw/app"]);
      // jd-2's user_data is not written (it holds a private key), so its spec is not jd-1's.
      expect(doc.instances.map((i) => `${i.provider}/${i.name}`)).toEqual([
        "os/api-1",
        "os/db-1",
        "hw/batch-1",
        "jd/jd-1",
        "jd/jd-2",
        "jd/jd-3",
      ]);
    });

    it("gives the same bytes for the same cloud state, to a file or to standard output", async () => {
      const first = await readFile(join(dir, "fleet.yaml"), "utf8");
      const printed = await reform(["import", "-c", "providers.yaml"]);
      expect(printed.code).toBe(0);
      expect(printed.stdout).toBe(
        first.replace("reform plan -c fleet.yaml --detailed-exitcode", "reform plan -c FILE --detailed-exitcode"),
      );
      expect(printed.stderr).toContain("Imported 11 servers of os, hw, jd:");
      expect((await reform(["import", "-c", "providers.yaml"])).stdout).toBe(printed.stdout);
    });

    it("imports only the providers and names asked for", async () => {
      const some = await reform([
        "import",
        "-c",
        "providers.yaml",
        "--provider",
        "os",
        "--match",
        "web-*",
        "--match",
        "db-?",
        "--out",
        "some.yaml",
      ]);
      expect(some.code).toBe(0);
      const doc = parse(await readFile(join(dir, "some.yaml"), "utf8")) as {
        providers: Record<string, unknown>;
        groups: { match: { name: string } }[];
        instances: { name: string }[];
      };
      expect(Object.keys(doc.providers)).toEqual(["os"]);
      expect(doc.groups.map((g) => g.match.name)).toEqual(["web-*"]);
      expect(doc.instances.map((i) => i.name)).toEqual(["db-1"]);
      expect((await reform(["plan", "-c", "some.yaml", "--detailed-exitcode"])).code).toBe(0);
    });

    it.each([
      ["a file without providers", "empty.yaml", [], "providers"],
      ["an unknown provider", "providers.yaml", ["--provider", "dc9"], "unknown provider dc9:"],
      [
        "a glob that matches nothing",
        "providers.yaml",
        ["--match", "nope-*"],
        "--match 'nope-*' matches no server of os, hw, jd",
      ],
      ["--adopt without --out", "providers.yaml", ["--adopt"], "--adopt needs --out"],
    ])("refuses %s: a clear error, exit 1, nothing written", async (_label, file, extra, says) => {
      await writeFile(join(dir, "empty.yaml"), "instances: []\n");
      const before = (await readdir(dir)).sort();
      const run = await reform([
        "import",
        "-c",
        file,
        ...extra,
        ...(extra.includes("--adopt") ? [] : ["--out", "refused.yaml"]),
      ]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(says);
      expect(run.stdout).toBe("");
      expect((await readdir(dir)).sort()).toEqual(before);
    });

    it("never overwrites an existing --out without --force", async () => {
      await writeFile(join(dir, "mine.yaml"), "# hand-written\n");
      const run = await reform(["import", "-c", "providers.yaml", "--out", "mine.yaml"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe("Error: mine.yaml exists: pass --force to overwrite it (nothing written)\n");
      expect(await readFile(join(dir, "mine.yaml"), "utf8")).toBe("# hand-written\n");
    });

    it("--adopt records reform's annotations (and only them) and says so: the first drift run has its baseline", async () => {
      const adopted = await reform(["import", "-c", "providers.yaml", "--out", "fleet.yaml", "--force", "--adopt"]);
      expect(adopted.stderr).toBe("");
      expect(adopted.code).toBe(0);
      expect(adopted.stdout).toContain("# os/web-01 will be adopted (annotations recorded, server untouched)");
      expect(adopted.stdout).toContain("Plan: 11 adopt.");
      expect(adopted.stdout).toContain("Apply: 11 converged, 0 failed, 0 skipped.");
      const drift = await reform(["drift", "-c", "fleet.yaml"]);
      expect(drift.stdout).toContain("No drift. 11 servers in sync.");
      expect(drift.code).toBe(0);
      expect((await reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"])).code).toBe(0);
      const state = JSON.parse(await readFile(join(dir, ".reform", "sim-os.json"), "utf8")) as {
        openstack: { servers: { name: string; metadata: Record<string, string>; imageId: string }[] };
      };
      const web = state.openstack.servers.find((s) => s.name === "web-01");
      expect(Object.keys(web?.metadata ?? {}).sort()).toEqual([
        "env",
        "reform.applied.sha256",
        "reform.user_data.sha256",
        "role",
      ]);
      expect(state.openstack.servers.find((s) => s.name === "broken-1")?.metadata).toEqual({});
    });

    it("lets no byte of a planted secret out: not in any output, not in any file it wrote", async () => {
      const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter(
          (e) =>
            e.isFile() &&
            !["world.yaml", "providers.yaml", "empty.yaml"].includes(e.name) &&
            !/^sim-.*\.json$/.test(e.name),
        )
        .map((e) => join(e.parentPath, e.name));
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
        ".reform/journal.jsonl",
        "fleet.yaml",
        "mine.yaml",
        "some.yaml",
      ]);
      const everything = [
        ...runs.map((r) => `${r.stdout}${r.stderr}`),
        ...(await Promise.all(files.map((f) => readFile(f, "utf8")))),
      ].join("\n");
      for (const [what, secret] of Object.entries(PLANTED)) expect(everything.includes(secret), what).toBe(false);
      expect(runs.length).toBeGreaterThan(10);
    });
  },
);

/** Requests that could change something; Keystone's token POST changes no server. */
function mutatingRequests(emulator: Emulator): string[] {
  return Object.keys(emulator.stats.byRoute).filter(
    (route) => /^(POST|PUT|PATCH|DELETE) /.test(route) && !route.startsWith("POST /identity/"),
  );
}

describe(
  "reform import through the real OpenStack client, as a member who cannot see user_data",
  { timeout: 120_000 },
  () => {
    let cloud: TestCloud;
    beforeAll(async () => {
      cloud = await startTestCloud(
        worldWith(`  images: [{ name: ubuntu-24.04 }]
  keypairs: [{ name: ops }]
  servers:
    - { name: web-1, image: ubuntu-24.04, keyPair: ops, metadata: { role: web }, userData: "#cloud-config\\n" }
    - { name: web-2, image: ubuntu-24.04, keyPair: ops, metadata: { role: web }, userData: "#cloud-config\\n" }
`),
        { user: "alice", password: "alice-pw" },
      );
      await cloud.writeFleet("providers:\n  dc1: { type: openstack, cloud: test }\n", "providers.yaml");
    });
    afterAll(() => cloud.close());

    it("leaves user_data out with the cloud's reason, plans no change, and sends no mutating request until --adopt", async () => {
      const run = await cloud.reform(["import", "-c", "providers.yaml", "--out", "fleet.yaml"]);
      expect(run.code).toBe(0);
      const text = await readFile(join(cloud.dir, "fleet.yaml"), "utf8");
      expect(text).toContain(
        "  # 2 servers: web-1, web-2\n  # userData is not managed: Nova shows user_data only to admins; no reform annotation yet (all of them)\n  - name: web\n",
      );
      expect(text).not.toContain("userData:");
      expect((await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"])).code).toBe(0);
      expect(mutatingRequests(cloud.emulator)).toEqual([]);
      const adopted = await cloud.reform([
        "import",
        "-c",
        "providers.yaml",
        "--out",
        "fleet.yaml",
        "--force",
        "--adopt",
      ]);
      expect(adopted.code).toBe(0);
      expect(mutatingRequests(cloud.emulator), JSON.stringify(cloud.emulator.stats.byRoute)).toEqual([
        "POST /compute/v2.1/servers/{id}/metadata",
      ]);
      expect(cloud.emulator.stats.actions.filter((a) => a.action !== "create")).toEqual([]);
      const drift = await cloud.reform(["drift", "-c", "fleet.yaml"]);
      expect([drift.code, drift.stdout.trim().split("\n").at(-1)]).toEqual([0, "No drift. 2 servers in sync."]);
    });
  },
);

describe("reform import through the real clients against `reform sim`", { timeout: 120_000 }, () => {
  it("imports Nova, Huawei ECS and JD Cloud VM servers; plan is empty; the cloud's state is unchanged", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reform-import-sim-"));
    await writeFile(join(dir, "world.yaml"), WORLD);
    const bin = resolve(import.meta.dirname, "../../bin/reform.js");
    const startSim = async () => {
      const child = spawn(
        process.execPath,
        [bin, "sim", "--world", "world.yaml", "--port", "0", "--state", "cloud.json"],
        { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
      );
      let printed = "";
      while (!/jdcloud-vm \S+\n/.test(printed)) printed += String((await once(child.stdout, "data"))[0]);
      const url = (api: string) => new RegExp(`^${api} (\\S+)$`, "m").exec(printed)?.[1] ?? "";
      return { child, identity: url("identity"), huawei: url("huaweicloud-ecs"), jd: url("jdcloud-vm") };
    };
    const stop = async (child: ReturnType<typeof spawn>) => {
      child.kill("SIGTERM");
      await once(child, "close");
    };
    try {
      await stop((await startSim()).child);
      const initial = await readFile(join(dir, "cloud.json"), "utf8");
      const sim = await startSim();
      try {
        await writeFile(
          join(dir, "clouds.yaml"),
          `clouds:\n  sim:\n    auth: { auth_url: "${sim.identity}", username: admin, password: Adm1n-Pa55w0rd-Kn0wn, project_name: demo, user_domain_name: Default, project_domain_name: Default }\n    region_name: RegionOne\n`,
        );
        await writeFile(
          join(dir, "providers.yaml"),
          `providers:\n  dc1: { type: openstack, cloud: sim }\n  hw: { type: huaweicloud, region: ap-southeast-1, projectId: 0123456789abcdef0123456789abcdef, endpoint: "${sim.huawei}" }\n  jd: { type: jdcloud, region: cn-north-1, endpoint: "${sim.jd}" }\n`,
        );
        const run = await runCli(["import", "-c", "providers.yaml", "--out", "fleet.yaml"], { cwd: dir, env: ENV });
        expect(run.stderr).toBe("");
        expect(run.stdout).toContain("Imported 11 servers of dc1, hw, jd into fleet.yaml");
        const plan = await runCli(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], { cwd: dir, env: ENV });
        expect(plan.stdout).toContain("No changes.");
        expect(plan.code).toBe(0);
        for (const secret of [...Object.values(PLANTED), HW_SECRET_KEY, JD_SECRET_KEY])
          expect(`${run.stdout}${plan.stdout}${await readFile(join(dir, "fleet.yaml"), "utf8")}`).not.toContain(secret);
      } finally {
        await stop(sim.child);
      }
      expect(await readFile(join(dir, "cloud.json"), "utf8")).toBe(initial);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
