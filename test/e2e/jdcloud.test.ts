import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, JdInstanceState } from "../../src/emulator/index.js";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud } from "../support/cloud.js";

const ACCESS_KEY = "JDTESTACCESSKEY0001";
const SECRET_KEY = "Jd-Secret-Key-Known-To-The-Test";
const STRONG_PASSWORD = "Rebuild-Pa55w0rd-Known";
const WEAK_PASSWORD = "weakpass";

const WORLD = `jdcloud:
  region: cn-north-1
  credentials: [{ accessKey: ${ACCESS_KEY}, secretKey: ${SECRET_KEY} }]
  images:
    - { name: ubuntu-22.04, id: img-2204 }
    - { name: ubuntu-24.04, id: img-2404 }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  instances:
    - { name: web-1, id: i-web1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web }, userData: "#!/bin/bash\\necho old\\n" }
    - { name: cold-1, id: i-cold1, image: ubuntu-22.04, keyPair: ops-2025, status: stopped }
    - { name: api-1, id: i-api1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: api, owner: team-api } }
    - { name: bad-1, id: i-bad1, image: ubuntu-22.04, metadata: { role: bad } }
`;

function fleet(endpoint: string, only?: string): string {
  const instances: Record<string, string> = {
    "web-1": `  - provider: jd
    name: web-1
    spec:
      image: { name: ubuntu-24.04 }
      keyPair: ops-2026
      metadata: { role: web }
      userData: { inline: "#!/bin/bash\\necho new\\n" }`,
    "cold-1": `  - provider: jd
    name: cold-1
    spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2025, power: stopped }`,
    "api-1": `  - provider: jd
    name: api-1
    spec: { metadata: { role: api, tier: "2" } }`,
    "bad-1": `  - provider: jd
    name: bad-1
    spec: { image: { name: ubuntu-24.04 }, password: { env: JD_ROOT_PASSWORD }, power: running }`,
  };
  const chosen = only ? [instances[only]!] : [instances["web-1"]!, instances["cold-1"]!, instances["api-1"]!];
  return `providers:\n  jd: { type: jdcloud, region: cn-north-1, endpoint: "${endpoint}" }\ninstances:\n${chosen.join("\n")}\n`;
}

function vm(emulator: Emulator, name: string): JdInstanceState {
  const found = emulator.snapshot().jdcloud?.instances.find((i) => i.name === name);
  if (!found) throw new Error(`no JD instance ${name}`);
  return found;
}

function actions(emulator: Emulator, name: string): string[] {
  return emulator.stats.actions.filter((a) => a.serverName === name).map((a) => a.action);
}

function expectNoSecrets(text: string): void {
  for (const secret of [SECRET_KEY, STRONG_PASSWORD, WEAK_PASSWORD]) expect(text).not.toContain(secret);
}

describe("JD Cloud VM end to end: the real CLI against the emulated JD API", () => {
  let cloud: TestCloud;
  const env = (password = STRONG_PASSWORD) => ({ JDC_ACCESS_KEY: ACCESS_KEY, JDC_SECRET_KEY: SECRET_KEY, JD_ROOT_PASSWORD: password });
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(fleet(cloud.emulator.urls.jdcloud));
  });
  afterAll(async () => cloud.close());

  it("plans stop → rebuild → start for a running VM, a lone rebuild for a stopped one, and metadata without downtime", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml", "--output", "json", "--detailed-exitcode"], env());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { changes: { address: string; action: string; impact: string; steps: { kind: string }[] }[] };
    const by = Object.fromEntries(doc.changes.map((c) => [c.address, c]));
    expect(by["jd/web-1"]).toMatchObject({ action: "rebuild", impact: "reprovision" });
    expect(by["jd/web-1"]!.steps.map((s) => s.kind)).toEqual(["stop", "rebuild", "start"]);
    expect(by["jd/cold-1"]!.steps.map((s) => s.kind)).toEqual(["rebuild"]);
    expect(by["jd/api-1"]).toMatchObject({ action: "update-metadata", impact: "none" });
    expectNoSecrets(run.stdout);
  });

  it("applies, verifies, leaves the stopped VM stopped, and re-plans empty", async () => {
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve"], env());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/3 converged/);
    expectNoSecrets(run.stdout);

    const web = vm(cloud.emulator, "web-1");
    expect(web).toMatchObject({ status: "running", imageId: "img-2404", keyNames: ["ops-2026"] });
    expect(Buffer.from(web.userData ?? "", "base64").toString()).toBe("#!/bin/bash\necho new\n");
    expect(web.metadata["role"]).toBe("web");
    expect(actions(cloud.emulator, "web-1")).toEqual(["stop", "rebuild", "start"]);

    expect(vm(cloud.emulator, "cold-1")).toMatchObject({ status: "stopped", imageId: "img-2404", keyNames: ["ops-2025"] });
    expect(actions(cloud.emulator, "cold-1")).toEqual(["rebuild"]);

    expect(vm(cloud.emulator, "api-1")).toMatchObject({ status: "running", metadata: { role: "api", tier: "2", owner: "team-api" } });
    expect(actions(cloud.emulator, "api-1")).toEqual(["modify"]);

    const again = await cloud.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"], env());
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
  });

  it("reports a rebuild refused after the stop precisely, and the next plan starts from the stopped VM", async () => {
    await cloud.writeFleet(fleet(cloud.emulator.urls.jdcloud, "bad-1"), "bad.yaml");
    const run = await cloud.reform(["apply", "-c", "bad.yaml", "--auto-approve"], env(WEAK_PASSWORD));
    expect(run.code).toBe(1);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toMatch(/rebuild/);
    expect(output).toMatch(/INVALID_ARGUMENT/);
    expect(output).toMatch(/password does not meet the rules/);
    expect(output).toMatch(/left stopped with image img-2204/);
    expectNoSecrets(output);
    expect(actions(cloud.emulator, "bad-1")).toEqual(["stop"]);
    expect(vm(cloud.emulator, "bad-1")).toMatchObject({ status: "stopped", imageId: "img-2204" });

    // power: running is declared, so the next plan starts the VM after the rebuild (without it, a stopped VM stays stopped)
    const plan = await cloud.reform(["plan", "-c", "bad.yaml", "--output", "json"], env());
    const doc = JSON.parse(plan.stdout) as { changes: { steps: { kind: string }[] }[] };
    expect(doc.changes[0]!.steps.map((s) => s.kind)).toEqual(["rebuild", "start"]);

    const fixed = await cloud.reform(["apply", "-c", "bad.yaml", "--auto-approve"], env());
    expect(fixed.code).toBe(0);
    expectNoSecrets(`${fixed.stdout}${fixed.stderr}`);
    expect(vm(cloud.emulator, "bad-1")).toMatchObject({ status: "running", imageId: "img-2404" });
    expect((await cloud.reform(["plan", "-c", "bad.yaml", "--detailed-exitcode"], env())).code).toBe(0);
  });

  it("refuses requests signed with the wrong secret key, naming the gateway's reason", async () => {
    const run = await cloud.reform(["plan", "-c", "fleet.yaml"], { ...env(), JDC_SECRET_KEY: "wrong-secret" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/APIGW_SIGN_RESULT_NOT_SAME/);
    expect(run.stderr).not.toContain("wrong-secret");
  });
});
