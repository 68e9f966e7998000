import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudFixture } from "./support/fixture.js";
import { address, fleetYaml } from "./support/fleet.js";
import { closeSuite, findLeakedSecrets, openSuite } from "./support/suite.js";
import type { Workspace } from "./support/workspace.js";
import { changeOf, describeRun, planChanges } from "./support/workspace.js";

// SOFT and HARD reboots through reboot tokens, stop and start through `power`, checked through Nova.
let cloud: CloudFixture;
let work: Workspace;
let id: string;
let serverName: string;
let kp: string;
let image: string;

async function writeFleet(spec: Record<string, unknown>): Promise<void> {
  await work.write(
    "fleet.yaml",
    fleetYaml(cloud.cloud.name, [
      { name: serverName, spec: { image: { id: image }, keyPair: kp, metadata: { role: "r" }, ...spec } },
    ]),
  );
}

/** Polls the server every 50 ms while `during` runs and returns every status it saw (REBOOT vs HARD_REBOOT...). */
async function statusesDuring(during: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  let done = false;
  const watcher = (async () => {
    while (!done) {
      seen.add((await cloud.server(id)).status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    await during();
  } finally {
    done = true;
    await watcher;
  }
  return seen;
}

async function applyConverges(): Promise<void> {
  const run = await work.reform(["apply", "-c", "fleet.yaml", "--auto-approve"]);
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.stdout, describeRun(run)).toContain(`${address(serverName)}: converged`);
}

beforeAll(async () => {
  ({ cloud, work } = await openSuite());
  const [img, key] = await Promise.all([cloud.image("a", { fromEnv: "A" }), cloud.keyPair("kp")]);
  image = img.id;
  kp = key;
  serverName = `${cloud.prefix}-power`;
  id = await cloud.boot("power", { image, keyName: kp, metadata: { role: "r", owner: "team-r" } });
  await cloud.settle(id);
});

afterAll(() => closeSuite(cloud, work));

describe("reboot tokens and power on a real Nova", () => {
  it("apply --adopt records the first reboot token without rebooting", async () => {
    await writeFleet({ reboot: { token: "t1", type: "SOFT" } });
    const run = await work.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--adopt"]);
    expect(run.code, describeRun(run)).toBe(0);
    expect((await cloud.server(id)).metadata).toMatchObject({ "reform.reboot.token": "t1", owner: "team-r" });
    expect(await cloud.actions(id)).toEqual(["create"]);
  });

  it("a changed token with type SOFT is one soft reboot (Nova status REBOOT, never HARD_REBOOT)", async () => {
    await writeFleet({ reboot: { token: "t2", type: "SOFT" } });
    const change = changeOf(
      planChanges(await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"])),
      address(serverName),
    );
    // the reboot, then update-metadata recording the new token
    expect([change.action, change.impact, change.steps.map((s) => [s.kind, s.params["type"]])]).toEqual([
      "reboot",
      "reboot",
      [
        ["reboot", "SOFT"],
        ["update-metadata", undefined],
      ],
    ]);
    const seen = await statusesDuring(applyConverges);
    expect(seen.has("REBOOT"), [...seen].join(",")).toBe(true);
    expect(seen.has("HARD_REBOOT")).toBe(false);
    expect(await cloud.actions(id)).toEqual(["create", "reboot"]);
    expect((await cloud.settle(id)).metadata).toMatchObject({ "reform.reboot.token": "t2", owner: "team-r" });
  });

  it("a changed token with type HARD is one hard reboot (Nova status HARD_REBOOT)", async () => {
    await writeFleet({ reboot: { token: "t3", type: "HARD" } });
    const seen = await statusesDuring(applyConverges);
    expect(seen.has("HARD_REBOOT"), [...seen].join(",")).toBe(true);
    expect(seen.has("REBOOT")).toBe(false);
    expect(await cloud.actions(id)).toEqual(["create", "reboot", "reboot"]);
    expect((await cloud.settle(id)).metadata["reform.reboot.token"]).toBe("t3");
  });

  it("power: stopped stops the server (SHUTOFF) and power: running starts it again", async () => {
    await writeFleet({ reboot: { token: "t3", type: "HARD" }, power: "stopped" });
    const change = changeOf(
      planChanges(await work.reform(["plan", "-c", "fleet.yaml", "--output", "json"])),
      address(serverName),
    );
    expect([change.action, change.steps.map((s) => s.kind)]).toEqual(["stop", ["stop", "update-metadata"]]);
    await applyConverges();
    expect((await cloud.settle(id, "SHUTOFF")).status).toBe("SHUTOFF");
    await writeFleet({ reboot: { token: "t3", type: "HARD" }, power: "running" });
    await applyConverges();
    expect((await cloud.settle(id)).status).toBe("ACTIVE");
    expect(await cloud.actions(id)).toEqual(["create", "reboot", "reboot", "stop", "start"]);
  });

  it("the next plan is empty and the unmanaged metadata survived every step", async () => {
    const run = await work.reform(["plan", "-c", "fleet.yaml", "--detailed-exitcode"]);
    expect(run.code, describeRun(run)).toBe(0);
    expect((await cloud.server(id)).metadata).toMatchObject({ role: "r", owner: "team-r" });
  });

  it("no password, token or credential secret appears in anything reform printed or wrote", async () => {
    expect(await findLeakedSecrets(cloud, work)).toEqual([]);
  });
});
