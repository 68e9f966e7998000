import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../support/cli.js";
import { runCli } from "../support/cli.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud } from "../support/cloud.js";

const PROJECT = "0123456789abcdef0123456789abcdef";
const SECRET_KEY = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const SECURITY_TOKEN = "Temp-Security-T0ken-Kn0wn-4e1a";
const ROOT_PASSWORD = "Hw-R00t-Pa55-Kn0wn-8c2f";
const ENV = {
  HW_ACCESS_KEY: "QTWAOYTTINDUT2QVKYUC",
  HW_SECRET_KEY: SECRET_KEY,
  HW_SECURITY_TOKEN: SECURITY_TOKEN,
  HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e",
  HW_ROOT_PASSWORD: ROOT_PASSWORD,
};
const SECRETS = [SECRET_KEY, SECURITY_TOKEN, ROOT_PASSWORD];
// Each test runs the CLI several times as child processes: generous limits for a loaded machine (no test sleeps).

const WORLD = `huaweicloud:
  projectId: ${PROJECT}
  userId: ${ENV.HW_USER_ID}
  credentials: [{ accessKey: ${ENV.HW_ACCESS_KEY}, secretKey: ${SECRET_KEY} }]
  images:
    - { name: euler-1, id: 11111111-0000-4000-8000-000000000001 }
    - { name: euler-2, id: 11111111-0000-4000-8000-000000000002 }
    - { name: legacy-1, id: 11111111-0000-4000-8000-000000000003, cloudInit: false }
    - { name: legacy-2, id: 11111111-0000-4000-8000-000000000005, cloudInit: false }
    - { name: broken, id: 11111111-0000-4000-8000-000000000004, fail: "the image's system disk is larger than the flavor allows" }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: cos-1, image: euler-1, keyPair: ops-2025, metadata: { role: web } }
    - { name: cos-v1, image: legacy-1, keyPair: ops-2025, status: SHUTOFF }
    - { name: ri-1, image: euler-1, keyPair: ops-2025, userData: "#cloud-config\\n" }
    - { name: ri-off, image: legacy-1, keyPair: ops-2025, status: SHUTOFF }
    - { name: pw-1, image: euler-1, keyPair: null }
    - { name: rb-1, image: euler-1, keyPair: ops-2025, metadata: { reform.reboot.token: t0 } }
    - { name: md-1, image: euler-1, keyPair: ops-2025, metadata: { role: db } }
    - { name: bad-1, image: euler-1, keyPair: ops-2025 }
    - { name: sub-1, image: euler-1, keyPair: ops-2025, metadata: { reform.reboot.token: t0 }, failJobs: "the hypervisor did not answer the reboot" }
    - { name: busy-1, image: euler-1, keyPair: ops-2025, busyFor: 400ms }
    - { name: err-1, image: euler-1, keyPair: ops-2025, status: ERROR, fault: "disk attach failed" }
    - { name: nat-1, image: euler-1, keyPair: ops-2025, metadata: { role: native } }
    - { name: fj-1, image: euler-1, keyPair: ops-2025, failJobs: "the host ran out of capacity" }
`;

function fleet(cloud: TestCloud, instances: string): string {
  const endpoint = cloud.emulator.urls.huaweicloud;
  return `providers:
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "${PROJECT}", endpoint: "${endpoint}", pollIntervalMs: 30 }
  hwn: { type: huaweicloud, region: ap-southeast-1, projectId: "${PROJECT}", endpoint: "${endpoint}", pollIntervalMs: 30, imageChange: rebuild }
instances:
${instances}`;
}

type HwServer = {
  name: string;
  status: string;
  imageId: string;
  keyName: string | null;
  metadata: Record<string, string>;
  userData: string | null;
};

describe("huaweicloud end to end", { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  const outputs: string[] = [];
  const run = async (args: readonly string[], env: Record<string, string> = ENV): Promise<CliRun> => {
    const result = await cloud.reform(args, env);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const server = (name: string): HwServer => {
    const found = (cloud.emulator.snapshot().huaweicloud?.servers as HwServer[] | undefined)?.find(
      (s) => s.name === name,
    );
    if (!found) throw new Error(`no server ${name}`);
    return found;
  };
  const actionsOf = (name: string) =>
    cloud.emulator.stats.actions.filter((a) => a.serverName === name).map((a) => a.action);
  /** Applies the fleet, expects every server converged, then a re-plan with no changes. */
  const applyAndReplan = async (): Promise<CliRun> => {
    const applied = await run(["apply", "--auto-approve"]);
    expect(applied.stderr).toBe("");
    expect(applied.stdout).toContain("0 failed");
    expect(applied.code).toBe(0);
    const again = await run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toMatch(/No changes/i);
    expect(again.code).toBe(0);
    return applied;
  };

  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, {
      timings: { reinstall: 150, reboot: 60, stop: 40, start: 40, rebuild: 120, build: 40 },
    });
  });
  afterAll(async () => cloud.close());

  it("changes the OS: v2 changeos for a Cloud-Init image, v1 for an image without; re-plan is empty", async () => {
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hw, name: cos-1, spec: { image: { name: euler-2 } } }\n  - { provider: hw, name: cos-v1, spec: { image: { name: legacy-2 } } }\n`,
      ),
    );
    const plan = await run(["plan", "--detailed-exitcode"]);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/hw\/cos-1[\s\S]*changeos/);
    const reasons = plan.stdout.replace(/\s+/g, " ");
    expect(reasons).toContain(
      "changeos through the v2 API: image euler-2 has __support_cloudinit: true (Cloud-Init: user_data is carried)",
    );
    expect(reasons).toContain(
      "changeos through the v1 API: image legacy-2 has __support_cloudinit: false (no Cloud-Init: user_data cannot be sent)",
    );
    await applyAndReplan();
    expect(actionsOf("cos-1")).toEqual(["v2 changeOS withStopServer"]);
    // The cloud starts a server it reprovisions; reform stops it again, as it was (and is meant to stay) stopped.
    expect(actionsOf("cos-v1")).toEqual(["v1 changeOS", "stopServer"]);
    expect(server("cos-v1")).toMatchObject({ imageId: "11111111-0000-4000-8000-000000000005", status: "SHUTOFF" });
    expect(server("cos-1")).toMatchObject({
      imageId: "11111111-0000-4000-8000-000000000002",
      status: "ACTIVE",
      keyName: "ops-2025",
    });
    expect(server("cos-1").metadata).toMatchObject({ role: "web", image_name: "euler-2" });
  });

  it("reinstalls a running server with a new key pair and user_data (v2, withStopServer); a stopped one without; re-plan is empty", async () => {
    const userData = "#cloud-config\\nruncmd: [echo hi]\\n";
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hw, name: ri-1, spec: { keyPair: ops-2026, userData: { inline: "${userData}" } } }\n  - { provider: hw, name: ri-off, spec: { keyPair: ops-2026 } }\n`,
      ),
    );
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hw\/ri-1[\s\S]*reinstall/);
    // The images are not managed here: the plan reads the servers' current images to choose the API.
    const reasons = plan.stdout.replace(/\s+/g, " ");
    expect(reasons).toContain("reinstall through the v2 API: image euler-1 has __support_cloudinit: true");
    expect(reasons).toContain("reinstall through the v1 API: image legacy-1 has __support_cloudinit: false");
    await applyAndReplan();
    expect(actionsOf("ri-1")).toEqual(["v2 reinstallServer withStopServer"]);
    expect(actionsOf("ri-off")).toEqual(["v1 reinstallServer", "stopServer"]);
    const ri1 = server("ri-1");
    expect(ri1).toMatchObject({
      keyName: "ops-2026",
      status: "ACTIVE",
      imageId: "11111111-0000-4000-8000-000000000001",
    });
    expect(Buffer.from(ri1.userData ?? "", "base64").toString("utf8")).toBe("#cloud-config\nruncmd: [echo hi]\n");
    expect(ri1.metadata["reform.user_data.sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(server("ri-off").keyName).toBe("ops-2026");
  });

  it("refuses at plan time a user_data change on an image without Cloud-Init (v1 cannot carry it), naming the API", async () => {
    await cloud.writeFleet(
      fleet(cloud, `  - { provider: hw, name: ri-off, spec: { userData: { inline: "#cloud-config\\n" } } }\n`),
    );
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hw\/ri-off[\s\S]*unsupported/);
    expect(plan.stdout.replace(/\s+/g, " ")).toContain(
      "user_data cannot change in place: the reinstall goes through the v1 API, which cannot set user_data: image legacy-1 has __support_cloudinit: false",
    );
    const before = actionsOf("ri-off");
    await run(["apply", "--auto-approve"]);
    expect(actionsOf("ri-off")).toEqual(before);
  });

  it("reinstalls a server without a key pair with the admin password from the environment", async () => {
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hw, name: pw-1, spec: { userData: { inline: "#cloud-config\\n", sensitive: true }, password: { env: HW_ROOT_PASSWORD } } }\n`,
      ),
    );
    const applied = await run(["apply", "--auto-approve", "--debug"]);
    expect(applied.stdout).toContain("0 failed");
    expect(applied.stderr).toMatch(/POST \S+\/v2\/\S+\/reinstallos 200/);
    expect((await run(["plan", "--detailed-exitcode"])).code).toBe(0);
    expect(actionsOf("pw-1")).toEqual(["v2 reinstallServer withStopServer adminpass"]);
    expect(server("pw-1").keyName).toBeNull();
  });

  it("reboots when the token changes: a batch reboot job, nothing reprovisioned", async () => {
    await cloud.writeFleet(
      fleet(cloud, `  - { provider: hw, name: rb-1, spec: { reboot: { token: "t1", type: HARD } } }\n`),
    );
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hw\/rb-1[\s\S]*reboot/);
    await applyAndReplan();
    expect(actionsOf("rb-1")).toEqual(["rebootServer"]);
    expect(server("rb-1").metadata["reform.reboot.token"]).toBe("t1");
  });

  it("changes metadata only with the metadata API: no reinstall, no downtime; Huawei's system keys are not drift", async () => {
    await cloud.writeFleet(
      fleet(cloud, `  - { provider: hw, name: md-1, spec: { metadata: { role: db, tier: gold } } }\n`),
    );
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hw\/md-1[\s\S]*update-metadata/);
    expect(plan.stdout).not.toMatch(/image_name|metering|virtual_env_type/);
    await applyAndReplan();
    expect(actionsOf("md-1")).toEqual([]);
    expect(server("md-1").metadata).toMatchObject({
      role: "db",
      tier: "gold",
      image_name: "euler-1",
      virtual_env_type: "FusionCompute",
    });
  });

  it("a failed withStopServer changeos job: reported with its fail_reason, and the server, running before, is started again", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: bad-1, spec: { image: { name: broken } } }\n`));
    const applied = await run(["apply", "--auto-approve"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout + applied.stderr).toMatch(
      /job [0-9a-f]+ failed: Ecs\.0032 the image's system disk is larger than the flavor allows; the server, running before and stopped by the failed sequence, was started again/,
    );
    expect(applied.stdout).toMatch(
      /hw\/bad-1: changeos failed with the server stopped; it was running before: starting it again/,
    );
    // the cloud stopped it for the job (withStopServer) and the failed job left it SHUTOFF; apply started it
    expect(actionsOf("bad-1")).toEqual(["v2 changeOS withStopServer", "startServer"]);
    expect(server("bad-1").status).toBe("ACTIVE");
  });

  it("when starting the server again fails too, says so: the server is left stopped, both failures reported", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: fj-1, spec: { keyPair: ops-2026 } }\n`));
    const applied = await run(["apply", "--auto-approve", "--output", "json"]);
    expect(applied.code).toBe(1);
    const report = JSON.parse(applied.stdout) as {
      results: { result: { type: string; step?: string; why: string; restart?: { outcome: string; why?: string } } }[];
    };
    const result = report.results[0]?.result;
    expect(result).toMatchObject({ type: "failed", step: "reinstall", restart: { outcome: "failed" } });
    expect(result?.restart?.why).toMatch(
      /start failed: job [0-9a-f]+ failed \(1 of 1 sub-jobs failed\): Ecs\.0000 the host ran out of capacity/,
    );
    expect(result?.why).toMatch(
      /reinstall failed: job [0-9a-f]+ failed: Ecs\.0000 the host ran out of capacity; the server, running before, is left stopped: starting it again failed too: start failed/,
    );
    expect(actionsOf("fj-1")).toEqual(["v2 reinstallServer withStopServer", "startServer"]);
    expect(server("fj-1").status).toBe("SHUTOFF");
  });

  it("reports a failed sub-job of a batch reboot with its fail_reason", async () => {
    await cloud.writeFleet(
      fleet(cloud, `  - { provider: hw, name: sub-1, spec: { reboot: { token: "t1", type: SOFT } } }\n`),
    );
    const applied = await run(["apply", "--auto-approve"]);
    expect(applied.code).toBe(1);
    expect(applied.stdout + applied.stderr).toMatch(
      /job [0-9a-f]+ failed \(1 of 1 sub-jobs failed\): Ecs\.0000 the hypervisor did not answer the reboot/,
    );
  });

  it("waits out a busy server (400 Ecs.0100), then reinstalls it; re-plan is empty", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: busy-1, spec: { keyPair: ops-2026 } }\n`));
    const applied = await run(["apply", "--auto-approve", "--debug"]);
    expect(applied.code).toBe(0);
    const reinstalls = applied.stderr.split("\n").filter((line) => /reinstallos/.test(line));
    expect(reinstalls[0]).toMatch(/ 400 /);
    expect(reinstalls.at(-1)).toMatch(/ 200 /);
    expect(actionsOf("busy-1")).toEqual(["v2 reinstallServer withStopServer"]);
    const again = await run(["plan", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  });

  it("does not reinstall a server in ERROR: the plan says so and apply leaves it alone", async () => {
    await cloud.writeFleet(fleet(cloud, `  - { provider: hw, name: err-1, spec: { keyPair: ops-2026 } }\n`));
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hw\/err-1 cannot be changed in place \(UNSUPPORTED\)/);
    expect(plan.stdout.replace(/\s+/g, " ")).toContain(
      "server is in ERROR (fault: disk attach failed) and the cloud cannot rebuild it",
    );
    await run(["apply", "--auto-approve"]);
    expect(actionsOf("err-1")).toEqual([]);
  });

  it("uses the native v2.1 rebuild where the provider declares it (imageChange: rebuild); re-plan is empty", async () => {
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hwn, name: nat-1, spec: { image: { name: euler-2 }, metadata: { role: native } } }\n`,
      ),
    );
    const plan = await run(["plan"]);
    expect(plan.stdout).toMatch(/hwn\/nat-1[\s\S]*rebuild/);
    await applyAndReplan();
    expect(actionsOf("nat-1")).toEqual(["rebuild"]);
    expect(server("nat-1")).toMatchObject({ imageId: "11111111-0000-4000-8000-000000000002", keyName: "ops-2025" });
    expect(server("nat-1").metadata).toMatchObject({ role: "native", image_name: "euler-2" });
  });

  it("plans with no project id configured (HW_PROJECT_ID unset): asks IAM once for the region's project; an unknown region is refused by name", async () => {
    const endpoint = cloud.emulator.urls.huaweicloud;
    const text = (region: string) =>
      `providers:\n  hw: { type: huaweicloud, region: ${region}, endpoint: "${endpoint}" }\ninstances:\n  - { provider: hw, name: md-1, spec: { metadata: { role: db, tier: platinum } } }\n`;
    expect(ENV).not.toHaveProperty("HW_PROJECT_ID");
    await cloud.writeFleet(text("ap-southeast-1"));
    const plan = await run(["plan", "--detailed-exitcode", "--debug"]);
    expect(plan.stdout).toMatch(/hw\/md-1[\s\S]*update-metadata/);
    expect(plan.code).toBe(2);
    const calls = plan.stderr.split("\n").filter((line) => line.startsWith("[debug] "));
    // The lookup comes first and once; the ECS and IMS calls after it carry the project it found.
    expect(calls.filter((line) => line.includes("/v3/projects"))).toEqual([
      expect.stringMatching(/^\[debug\] GET http:\S+\/v3\/projects\?name=ap-southeast-1 200 /),
    ]);
    expect(calls[0]).toContain("/v3/projects");
    expect(calls.some((line) => line.includes(`/v1/${PROJECT}/cloudservers/detail`) && / 200 /.test(line))).toBe(true);
    await cloud.writeFleet(text("cn-north-4"));
    const refused = await run(["plan"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "provider hw (huaweicloud): IAM lists no project for region cn-north-4, so the project id is unknown: set projectId in the provider or HW_PROJECT_ID",
    );
    // Left for the tests after this one (the secret scan then covers the lookup too).
    await cloud.writeFleet(text("ap-southeast-1"));
  });

  it("refuses wrongly signed and unsigned requests with Huawei's 401, saying which keys to check", async () => {
    const plan = await run(["plan"], { ...ENV, HW_SECRET_KEY: "wrong-secret" });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("APIGW.0301");
    expect(plan.stderr).toContain(
      `\n  Huawei Cloud refused the request's signature: check the access key (HW_ACCESS_KEY "${ENV.HW_ACCESS_KEY}"), the secret key (HW_SECRET_KEY: the secret of that access key), HW_SECURITY_TOKEN (temporary keys expire), and this machine's clock (requests are dated)\n`,
    );
    expect(plan.stderr).not.toContain("wrong-secret");
    const unsigned = await fetch(`${cloud.emulator.urls.huaweicloud}/v1/${PROJECT}/cloudservers/detail`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({
      error_code: "APIGW.0301",
      error_msg: expect.stringContaining("Authorization"),
    });
  });

  it("refuses a key with a non-ASCII character (a copied `AK…` placeholder) before any request, naming the provider and the variable", async () => {
    const requests = cloud.emulator.stats.requests;
    const placeholder = await run(["plan"], { ...ENV, HW_ACCESS_KEY: "AK…" });
    expect(placeholder.code).toBe(1);
    expect(placeholder.stderr).toBe(
      "Error: provider hw (huaweicloud): HW_ACCESS_KEY contains a non-ASCII character ('…' (U+2026) at character 3): keys, tokens and ids are plain ASCII; was a placeholder or a typographic quote copied into it?\n",
    );
    const secret = await run(["plan"], { ...ENV, HW_SECRET_KEY: "SK-“quoted”" });
    expect(secret.stderr).toContain("HW_SECRET_KEY contains a non-ASCII character (at character 4)");
    expect(secret.stderr).not.toMatch(/SK-|quoted|“/);
    expect(cloud.emulator.stats.requests).toBe(requests);
  });

  it("never shows the secret key, the security token or the admin password, in any output or file", async () => {
    const saved = await run(["plan", "-out", "saved.plan", "--output", "json", "--debug"]);
    expect(saved.code).toBe(0);
    const files = await readdir(cloud.dir);
    const contents = await Promise.all(files.map((f) => readFile(join(cloud.dir, f), "utf8").catch(() => "")));
    const texts = [...outputs, ...contents];
    expect(texts.join("").length).toBeGreaterThan(1000);
    expect(
      SECRETS.flatMap((secret) =>
        texts.filter((t) => t.includes(secret)).map((t) => `${secret} in: ${t.slice(0, 120)}`),
      ),
    ).toEqual([]);
  });
});

describe("huaweicloud under throttling (429 APIGW.0308)", { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD, {
      timings: { reinstall: 150, reboot: 60, stop: 40, start: 40, rebuild: 120, build: 40 },
      faults: { rate429: 0.25, retryAfterSeconds: 0 },
      seed: 7,
    });
  });
  afterAll(async () => cloud.close());

  it("backs off and completes a plan and an apply", async () => {
    await cloud.writeFleet(
      fleet(
        cloud,
        `  - { provider: hw, name: md-1, spec: { metadata: { tier: silver } } }\n  - { provider: hw, name: rb-1, spec: { reboot: { token: "t9", type: SOFT } } }\n`,
      ),
    );
    const applied = await cloud.reform(["apply", "--auto-approve"], ENV);
    expect(applied.stdout).toContain("0 failed");
    expect(applied.code).toBe(0);
    expect(cloud.emulator.stats.faults.throttled).toBeGreaterThan(0);
    const again = await cloud.reform(["plan", "--detailed-exitcode"], ENV);
    expect(again.code).toBe(0);
  });
});

describe("reform sim with the quickstart world", { timeout: 120_000 }, () => {
  it("prints the huaweicloud-ecs URL; a huaweicloud provider pointed at it plans and applies a changeos of the world's Huawei server", async () => {
    const dir = await mkdtemp(join(tmpdir(), "reform-hw-sim-"));
    const world = resolve(import.meta.dirname, "../../examples/quickstart-world.yaml");
    const child = spawn(
      process.execPath,
      [resolve(import.meta.dirname, "../../bin/reform.js"), "sim", "--world", world, "--port", "0"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let printed = "";
      while (!/huaweicloud-ecs \S+\n/.test(printed)) printed += String((await once(child.stdout, "data"))[0]);
      const url = /huaweicloud-ecs (\S+)\n/.exec(printed)?.[1] ?? "";
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/huaweicloud$/);
      const env = {
        HW_ACCESS_KEY: "QUICKSTARTACCESSKEY1",
        HW_SECRET_KEY: "quickstart-emulator-only-secret",
        HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e",
      };
      await writeFile(
        join(dir, "fleet.yaml"),
        `providers:\n  hw: { type: huaweicloud, region: r, projectId: "${PROJECT}", endpoint: "${url}", pollIntervalMs: 100 }\ninstances:\n  - { provider: hw, name: hw-web-1, spec: { image: { name: euler-2.12 }, keyPair: ops-2026 } }\n`,
      );
      const plan = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
      expect(plan.stdout).toMatch(/hw\/hw-web-1[\s\S]*changeos/);
      expect(plan.code).toBe(2);
      const applied = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
      expect(applied.stdout).toContain("0 failed");
      expect((await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env })).code).toBe(0);
    } finally {
      child.kill("SIGTERM");
      await once(child, "close");
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("examples/huaweicloud.yaml", { timeout: 120_000 }, () => {
  // The servers and keys of the world shipped beside it (examples/worlds/huaweicloud.yaml), as docs/clouds-huaweicloud.md runs it.
  const env = {
    HW_ACCESS_KEY: "HWEXAMPLEACCESSKEY01",
    HW_SECRET_KEY: "hw-example-emulator-only-secret",
    HW_USER_ID: "7e25b1da389f4697a79df3a0e5bd494e",
    HW_ROOT_PASSWORD: ROOT_PASSWORD,
  };
  let cloud: TestCloud;
  beforeAll(async () => {
    const world = await readFile(resolve(import.meta.dirname, "../../examples/worlds/huaweicloud.yaml"), "utf8");
    cloud = await startTestCloud(world, {
      timings: { reinstall: 150, reboot: 60, stop: 40, start: 40, rebuild: 120, build: 40 },
    });
  });
  afterAll(async () => cloud.close());

  it("plans, applies and converges against the emulator (only the endpoint changed)", async () => {
    const examples = resolve(import.meta.dirname, "../../examples");
    const text = await readFile(join(examples, "huaweicloud.yaml"), "utf8");
    const pointed = text.replace(
      /# endpoint: "[^"]*"[^\n]*/,
      `endpoint: "${cloud.emulator.urls.huaweicloud}"\n    pollIntervalMs: 30`,
    );
    expect(pointed).not.toBe(text);
    await writeFile(join(cloud.dir, "web.yaml"), await readFile(join(examples, "cloud-init/web.yaml"), "utf8"));
    await cloud.writeFleet(pointed.replace("cloud-init/web.yaml", "web.yaml"));
    const plan = await cloud.reform(["plan"], env);
    expect(plan.stdout).toContain("Plan: 2 rebuild, 2 reinstall, 1 reboot.");
    expect(plan.stdout).toMatch(/hw\/web-1[\s\S]*changeos/);
    const applied = await cloud.reform(["apply", "--auto-approve"], env);
    expect(applied.stdout).toContain("0 failed");
    expect(applied.code).toBe(0);
    const actions = cloud.emulator.stats.actions.map((a) => `${a.serverName}: ${a.action}`).sort();
    expect(actions).toEqual([
      "db-1: rebootServer",
      "kiosk-1: v2 reinstallServer withStopServer adminpass",
      "legacy-1: v1 reinstallServer withStopServer",
      "web-1: v2 changeOS withStopServer",
      "web-2: v2 changeOS withStopServer",
    ]);
    const again = await cloud.reform(["plan", "--detailed-exitcode"], env);
    expect(again.code).toBe(0);
  });
});
