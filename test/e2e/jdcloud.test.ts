import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, JdInstanceState } from "../../src/emulator/index.js";
import type { CliRun } from "../support/cli.js";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { FAST, startTestCloud } from "../support/cloud.js";

const ACCESS_KEY = "JDTESTACCESSKEY0001";
const SECRET_KEY = "Jd-Secret-Key-Known-To-The-Test";
const STRONG_PASSWORD = "Rebuild-Pa55w0rd-Known";
const WEAK_PASSWORD = "weakpass-known";
const SECRETS = [SECRET_KEY, STRONG_PASSWORD, WEAK_PASSWORD];

const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${ACCESS_KEY}, secretKey: ${SECRET_KEY} }]
  images:
    - { name: ubuntu-22.04, id: img-2204 }
    - { name: ubuntu-24.04, id: img-2404 }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  instances:
    - { name: web-1, id: i-web1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: "#!/bin/bash\\necho old\\n" }
    - { name: key-1, id: i-key1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: key } }
    - { name: cold-1, id: i-cold1, image: ubuntu-22.04, keyPair: ops-2025, status: stopped }
    - { name: park-1, id: i-park1, image: ubuntu-22.04, keyPair: ops-2025 }
    - { name: api-1, id: i-api1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: api, owner: team-api } }
    - { name: boot-1, id: i-boot1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { "reform.reboot.token": "2026-11-01" } }
    - { name: halt-1, id: i-halt1, image: ubuntu-22.04, keyPair: ops-2025 }
    - { name: bad-1, id: i-bad1, image: ubuntu-22.04, metadata: { role: bad } }
`;

/** Each VM's spec in the fleet file. */
const SPECS: Readonly<Record<string, string>> = {
  "web-1": `{ image: { name: ubuntu-24.04 }, keyPair: ops-2026, metadata: { role: web }, userData: { inline: "#!/bin/bash\\necho new\\n" }, password: { env: JD_ROOT_PASSWORD } }`,
  "key-1": `{ keyPair: ops-2026 }`,
  "cold-1": `{ image: { name: ubuntu-24.04 }, keyPair: ops-2025, power: stopped }`,
  "park-1": `{ image: { name: ubuntu-24.04 }, keyPair: ops-2025, power: stopped }`,
  "api-1": `{ metadata: { role: api, tier: "2" } }`,
  "boot-1": `{ reboot: { token: "2026-11-23", type: SOFT } }`,
  "halt-1": `{ power: stopped }`,
  "bad-1": `{ image: { name: ubuntu-24.04 }, password: { env: JD_ROOT_PASSWORD }, power: running }`,
};

function fleet(endpoint: string, names: readonly string[]): string {
  const instances = names.map((name) => `  - { provider: jd, name: ${name}, spec: ${SPECS[name]} }`);
  return `providers:\n  jd: { type: jdcloud, region: cn-north-1, endpoint: "${endpoint}" }\ninstances:\n${instances.join("\n")}\n`;
}

interface PlanDoc {
  readonly changes: readonly {
    readonly address: string;
    readonly action: string;
    readonly impact: string;
    readonly steps: readonly { readonly kind: string }[];
  }[];
}

function vm(emulator: Emulator, name: string): JdInstanceState {
  const found = emulator.snapshot().jdcloud?.instances.find((i) => i.name === name);
  if (!found) throw new Error(`no JD instance ${name}`);
  return found;
}

function actions(emulator: Emulator, name: string): string[] {
  return emulator.stats.actions.filter((a) => a.serverName === name).map((a) => a.action);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("JD Cloud VM end to end: the real CLI against the emulated JD API", { timeout: 90_000 }, () => {
  let cloud: TestCloud;
  const outputs: string[] = [];
  const env = (password = STRONG_PASSWORD) => ({
    JDC_ACCESS_KEY: ACCESS_KEY,
    JDC_SECRET_KEY: SECRET_KEY,
    JD_ROOT_PASSWORD: password,
  });
  async function reform(
    args: readonly string[],
    password?: string,
    extraEnv: Record<string, string> = {},
  ): Promise<CliRun> {
    const run = await cloud.reform(args, { ...env(password), ...extraEnv });
    outputs.push(run.stdout, run.stderr);
    return run;
  }
  async function useFleet(file: string, names: readonly string[]): Promise<void> {
    await cloud.writeFleet(fleet(cloud.emulator.urls.jdcloud, names), file);
  }
  async function planDoc(file: string): Promise<PlanDoc> {
    const run = await reform(["plan", "-c", file, "--output", "json"]);
    expect(run.stderr).toBe("");
    return JSON.parse(run.stdout) as PlanDoc;
  }
  async function applyAndReplan(file: string, converged: number): Promise<CliRun> {
    const run = await reform(["apply", "-c", file, "--auto-approve"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${converged} converged`));
    const again = await reform(["plan", "-c", file, "--detailed-exitcode"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/);
    return run;
  }

  beforeAll(async () => {
    // JD shows no update time: a reboot or rebuild is seen done through its `rebooting`/`rebuilding` status (or after
    // a 30 s grace), so these last several poll intervals even on a loaded machine
    cloud = await startTestCloud(WORLD, { timings: { ...FAST, reboot: 600, rebuild: 600 } });
  });
  afterAll(async () => {
    // Every byte the CLI printed and every file it wrote: neither the secret key nor a password appears.
    const files = await Promise.all(
      (await filesUnder(cloud.dir)).filter((f) => !f.endsWith(".yaml")).map((f) => readFile(f, "utf8")),
    );
    const everything = [...outputs, ...files].join("\n");
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    await cloud.close();
  });

  it("plans each change with the cheapest sufficient steps, labelled with its impact", async () => {
    await useFleet(
      "all.yaml",
      Object.keys(SPECS).filter((n) => n !== "bad-1"),
    );
    const run = await reform(["plan", "-c", "all.yaml", "--output", "json", "--detailed-exitcode"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    const by = Object.fromEntries(
      (JSON.parse(run.stdout) as PlanDoc).changes.map((c) => [c.address.replace("jd/", ""), c]),
    );
    const steps = (name: string) => by[name]!.steps.map((s) => s.kind);
    expect(by["web-1"]).toMatchObject({ action: "rebuild", impact: "reprovision" });
    expect(steps("web-1")).toEqual(["stop", "rebuild", "start"]);
    expect(steps("key-1")).toEqual(["stop", "rebuild", "start"]);
    expect(steps("cold-1")).toEqual(["rebuild"]);
    expect(steps("park-1")).toEqual(["stop", "rebuild"]);
    expect(by["api-1"]).toMatchObject({ action: "update-metadata", impact: "none" });
    expect(steps("api-1")).toEqual(["update-metadata"]);
    expect(by["boot-1"]).toMatchObject({ action: "reboot", impact: "reboot" });
    expect(steps("boot-1")[0]).toBe("reboot");
    expect(by["halt-1"]).toMatchObject({ action: "stop", impact: "reboot" });
    expect(steps("halt-1")[0]).toBe("stop");
  });

  it("image change: stop → rebuildInstance → start, verified (image, key pair, user data, metadata, running), then plans empty", async () => {
    await useFleet("web.yaml", ["web-1"]);
    // --debug prints every HTTP exchange: the secret-key and password scan in afterAll covers them too
    const run = await reform(["--debug", "apply", "-c", "web.yaml", "--auto-approve", "--poll-interval", "30"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/http POST \S+%3ArebuildInstance -> 200/);
    expect(run.stdout).toMatch(/1 converged/);
    expect(actions(cloud.emulator, "web-1")).toEqual(["stop", "rebuild", "start"]);
    const web = vm(cloud.emulator, "web-1");
    expect(web).toMatchObject({ status: "running", imageId: "img-2404", keyNames: ["ops-2026"] });
    expect(Buffer.from(web.userData ?? "", "base64").toString()).toBe("#!/bin/bash\necho new\n");
    expect(web.metadata["role"]).toBe("web");
    expect(web.metadata["reform.user_data.sha256"]).toMatch(/^[0-9a-f]{64}$/);
    const again = await reform(["plan", "-c", "web.yaml", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  });

  it("key pair change on the same image: stop → rebuildInstance with the current image → start", async () => {
    await useFleet("key.yaml", ["key-1"]);
    await applyAndReplan("key.yaml", 1);
    expect(actions(cloud.emulator, "key-1")).toEqual(["stop", "rebuild", "start"]);
    expect(vm(cloud.emulator, "key-1")).toMatchObject({
      status: "running",
      imageId: "img-2204",
      keyNames: ["ops-2026"],
      metadata: { role: "key" },
    });
  });

  it("a VM declared power: stopped stays stopped after its rebuild (already stopped: no stop, no start; running: stopped first)", async () => {
    await useFleet("cold.yaml", ["cold-1", "park-1"]);
    await applyAndReplan("cold.yaml", 2);
    expect(actions(cloud.emulator, "cold-1")).toEqual(["rebuild"]);
    expect(vm(cloud.emulator, "cold-1")).toMatchObject({
      status: "stopped",
      imageId: "img-2404",
      keyNames: ["ops-2025"],
    });
    expect(actions(cloud.emulator, "park-1")).toEqual(["stop", "rebuild"]);
    expect(vm(cloud.emulator, "park-1")).toMatchObject({
      status: "stopped",
      imageId: "img-2404",
      keyNames: ["ops-2025"],
    });
  });

  it("metadata only: modifyInstanceAttribute, no downtime, unmanaged keys kept", async () => {
    await useFleet("api.yaml", ["api-1"]);
    const plan = await reform(["plan", "-c", "api.yaml"]);
    expect(plan.stdout).toMatch(/jd\/api-1/);
    expect(plan.stdout).not.toMatch(/REPROVISION|downtime: yes/i);
    await applyAndReplan("api.yaml", 1);
    expect(actions(cloud.emulator, "api-1")).toEqual(["modify"]);
    expect(vm(cloud.emulator, "api-1")).toMatchObject({
      status: "running",
      imageId: "img-2204",
      metadata: { role: "api", tier: "2", owner: "team-api" },
    });
  });

  it("a new reboot token: one rebootInstance, recorded, so the next plan is empty; power: stopped is a stopInstance", async () => {
    await useFleet("boot.yaml", ["boot-1", "halt-1"]);
    await applyAndReplan("boot.yaml", 2);
    expect(actions(cloud.emulator, "boot-1").filter((a) => a !== "modify")).toEqual(["reboot"]);
    expect(vm(cloud.emulator, "boot-1")).toMatchObject({
      status: "running",
      metadata: { "reform.reboot.token": "2026-11-23" },
    });
    expect(actions(cloud.emulator, "halt-1")[0]).toBe("stop");
    expect(vm(cloud.emulator, "halt-1").status).toBe("stopped");
  });

  it("a rebuild refused after the stop: reported precisely, and the VM, running before, is started again", async () => {
    await useFleet("bad.yaml", ["bad-1"]);
    const run = await reform(["apply", "-c", "bad.yaml", "--auto-approve"], WEAK_PASSWORD);
    expect(run.code).toBe(1);
    const output = `${run.stdout}\n${run.stderr}`;
    // which step failed, JD's own words and request id, where the refusal left the VM, and the restart
    expect(output).toMatch(
      /jd\/bad-1 \(rebuild\): jd: POST \/v1\/regions\/cn-north-1\/instances\/\{id\}:rebuildInstance failed 400 INVALID_ARGUMENT: password does not meet the rules/,
    );
    expect(output).toMatch(
      /after the refusal the VM i-bad1 is stopped with image img-2204 \[request req-[0-9a-f-]+\]; the server, running before and stopped by the failed sequence, was started again/,
    );
    // the progress lines show the restart as it happens
    expect(run.stdout).toMatch(
      /jd\/bad-1: rebuild failed with the server stopped; it was running before: starting it again\n.*jd\/bad-1: start started/,
    );
    expect(run.stdout).toMatch(/jd\/bad-1: start finished/);
    expect(actions(cloud.emulator, "bad-1")).toEqual(["stop", "start"]);
    expect(vm(cloud.emulator, "bad-1")).toMatchObject({ status: "running", imageId: "img-2204" });

    // the JSON report carries the restart apart from the failure
    const json = await reform(["apply", "-c", "bad.yaml", "--auto-approve", "--output", "json"], WEAK_PASSWORD);
    const report = JSON.parse(json.stdout) as {
      results: { address: string; result: { type: string; step?: string; restart?: unknown } }[];
    };
    expect(report.results[0]?.result).toMatchObject({
      type: "failed",
      step: "rebuild",
      restart: { outcome: "started" },
    });
    expect(vm(cloud.emulator, "bad-1").status).toBe("running");

    // the next plan starts from the VM as it is (running, old image); with a password JD accepts, it converges
    const doc = await planDoc("bad.yaml");
    expect(doc.changes[0]!.steps.map((s) => s.kind)).toEqual(["stop", "rebuild", "start"]);
    await applyAndReplan("bad.yaml", 1);
    expect(actions(cloud.emulator, "bad-1")).toEqual(["stop", "start", "stop", "start", "stop", "rebuild", "start"]);
    expect(vm(cloud.emulator, "bad-1")).toMatchObject({ status: "running", imageId: "img-2404", keyNames: [] });
  });

  it("an unset password variable is a plan error naming the server, the field and the variable; apply touches nothing", async () => {
    await cloud.writeFleet(
      `providers:\n  jd: { type: jdcloud, region: cn-north-1, endpoint: "${cloud.emulator.urls.jdcloud}" }\ninstances:\n  - { provider: jd, name: key-1, spec: { image: { name: ubuntu-24.04 }, password: { env: JD_ROOT_PASSWORD } } }\n  - { provider: jd, name: api-1, spec: { metadata: { role: api, tier: "3" } } }\n`,
      "unset.yaml",
    );
    const before = actions(cloud.emulator, "key-1").length;
    const noPassword = { JDC_ACCESS_KEY: ACCESS_KEY, JDC_SECRET_KEY: SECRET_KEY };
    const plan = await cloud.reform(["plan", "-c", "unset.yaml"], noPassword);
    outputs.push(plan.stdout, plan.stderr);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toMatch(/# jd\/key-1 /);
    expect(plan.stdout.replace(/\s+/g, " ")).toMatch(
      /reason: unset\.yaml:\d+:\d+: environment variable JD_ROOT_PASSWORD is not set \(spec\.password of jd\/key-1, needed by its rebuild\)/,
    );
    expect(plan.stdout).toMatch(/The plan has errors: it is shown, but it cannot be applied\./);

    const json = await cloud.reform(["plan", "-c", "unset.yaml", "--output", "json"], noPassword);
    outputs.push(json.stdout, json.stderr);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as {
      applyable: boolean;
      changes: { address: string; action: string; steps: unknown[]; reasons: { message: string }[] }[];
    };
    expect(doc.applyable).toBe(false);
    const key = doc.changes.find((c) => c.address === "jd/key-1");
    expect(key).toMatchObject({ action: "error", steps: [] });
    expect(key?.reasons[0]?.message).toMatch(
      /environment variable JD_ROOT_PASSWORD is not set \(spec\.password of jd\/key-1, needed by its rebuild\)/,
    );
    // the other server is planned as usual
    expect(doc.changes.find((c) => c.address === "jd/api-1")?.action).toBe("update-metadata");

    const applied = await cloud.reform(["apply", "-c", "unset.yaml", "--auto-approve"], noPassword);
    outputs.push(applied.stdout, applied.stderr);
    expect(applied.code).toBe(1);
    expect(applied.stdout).toMatch(/environment variable JD_ROOT_PASSWORD is not set/);
    expect(actions(cloud.emulator, "key-1")).toHaveLength(before);
    expect(vm(cloud.emulator, "key-1").status).toBe("running");

    // a plan job that by design holds none of the apply job's secrets names them instead: not looked up then
    const declared = await cloud.reform(
      ["plan", "-c", "unset.yaml", "--detailed-exitcode", "--apply-secret", "env:JD_ROOT_PASSWORD"],
      noPassword,
    );
    expect(declared.stderr).toBe("");
    expect(declared.code).toBe(2);
    const other = await cloud.reform(["plan", "-c", "unset.yaml"], {
      ...noPassword,
      REFORM_APPLY_SECRETS: "env:JD_ROOT_PASWORD",
    });
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/environment variable JD_ROOT_PASSWORD is not set/);
    const malformed = await cloud.reform(
      ["plan", "-c", "unset.yaml", "--apply-secret", "JD_ROOT_PASSWORD"],
      noPassword,
    );
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/'JD_ROOT_PASSWORD' is not a secret reference \(env:NAME or file:PATH\)/);

    // an empty variable is no password either; a set one plans the rebuild
    const empty = await cloud.reform(["plan", "-c", "unset.yaml"], { ...noPassword, JD_ROOT_PASSWORD: "" });
    expect(empty.code).toBe(1);
    expect(empty.stdout).toMatch(/environment variable JD_ROOT_PASSWORD is empty/);
    const set = await reform(["plan", "-c", "unset.yaml", "--detailed-exitcode"]);
    expect(set.code).toBe(2);
    expect(set.stdout).toMatch(/steps: stop → rebuild → start/);
  });

  it("refuses requests signed with the wrong secret key, naming the gateway's reason and what to check", async () => {
    const run = await reform(["plan", "-c", "api.yaml"], undefined, { JDC_SECRET_KEY: "wrong-secret" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /401 APIGW_SIGN_RESULT_NOT_SAME: the request signature does not match \[request req-[^\]]+\]\n {2}the request's signature does not match: check the secret key \(JDC_SECRET_KEY: the secret of JDC_ACCESS_KEY "[^"]+"\) and the region \(region of provider jd in the fleet file "cn-north-1", part of what is signed\)\n/,
    );
    expect(run.stderr).not.toContain("wrong-secret");
    const unknown = await reform(["plan", "-c", "api.yaml"], undefined, { JDC_ACCESS_KEY: "NOSUCHKEY" });
    expect(unknown.stderr).toContain("401 APIGW_KEY_NOT_EXITST");
    expect(unknown.stderr).toContain(
      '\n  JD Cloud knows no such access key: check the access key (JDC_ACCESS_KEY "NOSUCHKEY")\n',
    );
  });

  it("refuses a key with a non-ASCII character before any request, naming the provider and the variable", async () => {
    const requests = cloud.emulator.stats.requests;
    const run = await reform(["plan", "-c", "api.yaml"], undefined, { JDC_ACCESS_KEY: "AK…" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "Error: provider jd (jdcloud): JDC_ACCESS_KEY contains a non-ASCII character ('…' (U+2026) at character 3)",
    );
    expect(cloud.emulator.stats.requests).toBe(requests);
  });
});

const EXAMPLES = resolve(import.meta.dirname, "../../examples");

describe("reform sim with the quickstart world", { timeout: 90_000 }, () => {
  it("prints the jdcloud-vm URL; a jdcloud provider pointed at it plans and applies the world's JD server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reform-jd-sim-"));
    const child = spawn(
      process.execPath,
      [
        resolve(import.meta.dirname, "../../bin/reform.js"),
        "sim",
        "--world",
        join(EXAMPLES, "quickstart-world.yaml"),
        "--port",
        "0",
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let printed = "";
      while (!/jdcloud-vm \S+\n/.test(printed)) printed += String((await once(child.stdout, "data"))[0]);
      const url = /jdcloud-vm (\S+)\n/.exec(printed)?.[1] ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/jdcloud$/);
      const env = { JDC_ACCESS_KEY: "QUICKSTARTJDACCESSKEY", JDC_SECRET_KEY: "quickstart-jd-emulator-only-secret" };
      await writeFile(
        join(dir, "fleet.yaml"),
        `providers:\n  jd: { type: jdcloud, region: cn-north-1, endpoint: "${url}", pollIntervalMs: 100 }\ninstances:\n  - { provider: jd, name: jd-web-1, spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2026 } }\n`,
      );
      const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
      expect(plan.stdout).toMatch(/jd\/jd-web-1[\s\S]*steps: stop → rebuild → start/);
      expect(plan.code).toBe(2);
      const applied = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
      expect(applied.stdout).toMatch(/1 converged, 0 failed/);
      expect((await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env })).code).toBe(0);
    } finally {
      child.kill("SIGTERM");
      await once(child, "close");
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("examples/jdcloud.yaml", { timeout: 90_000 }, () => {
  // The VMs and keys of the world shipped beside it (examples/worlds/jdcloud.yaml), as docs/clouds-jdcloud.md runs it.
  const keys = { JDC_ACCESS_KEY: "JDEXAMPLEACCESSKEY01", JDC_SECRET_KEY: "jd-example-emulator-only-secret" };
  let cloud: TestCloud;
  beforeAll(async () => {
    const world = await readFile(join(EXAMPLES, "worlds", "jdcloud.yaml"), "utf8");
    cloud = await startTestCloud(world, { timings: { ...FAST, reboot: 600, rebuild: 600 } });
  });
  afterAll(async () => cloud.close());

  it("plans, applies and converges against the emulator, then plans no changes", async () => {
    const text = await readFile(join(EXAMPLES, "jdcloud.yaml"), "utf8");
    const pointed = text.replace(/# endpoint: "[^"]*"/, `endpoint: "${cloud.emulator.urls.jdcloud}"`);
    expect(pointed).not.toBe(text);
    await cloud.writeFleet(pointed);
    const env = { ...keys, JD_ROOT_PASSWORD: STRONG_PASSWORD };
    const plan = await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], env);
    expect(plan.stderr).toBe("");
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/Plan: 3 rebuild, 1 reboot/);
    const applied = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], env);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toMatch(/4 converged, 0 failed/);
    for (const secret of [...SECRETS, keys.JDC_SECRET_KEY])
      expect(`${plan.stdout}${applied.stdout}`).not.toContain(secret);
    const batch = cloud.emulator.snapshot().jdcloud?.instances.find((i) => i.name === "batch-1");
    expect(batch?.status).toBe("stopped");
    expect((await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], env)).code).toBe(0);
  });
});
