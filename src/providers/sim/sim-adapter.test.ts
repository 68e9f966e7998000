import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderConfig } from "../../model/desired.js";
import { ReformError } from "../../model/errors.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { ProviderAdapter, ProviderRuntime } from "../../model/provider.js";
import { systemClock } from "../../runtime/clock.js";
import { createAdapter } from "../registry.js";
import { followStep } from "../test-support.js";
import { createSimAdapter } from "./sim-adapter.js";
import { SIM_KEY_PREFIX, runningEmulators } from "./shared-emulator.js";

const WORLD = `openstack:
  users: [{ name: demo, password: demo-password, project: demo, roles: [admin] }]
  images: [{ name: debian-12 }]
  keypairs: [{ name: ops }]
  servers: [{ name: os-1, image: debian-12, keyPair: ops, metadata: { role: db } }]
huaweicloud:
  credentials: [{ accessKey: WORLDHWKEY, secretKey: world-hw-secret }]
  images: [{ name: euler-2.10 }]
  keypairs: [{ name: ops }]
  servers: [{ name: hw-1, image: euler-2.10, keyPair: ops, metadata: { role: web } }]
jdcloud:
  credentials: [{ accessKey: WORLDJDKEY, secretKey: world-jd-secret }]
  images: [{ name: ubuntu-22.04, id: img-2204 }]
  keypairs: [{ name: ops }]
  instances: [{ name: jd-1, id: i-jd1, image: ubuntu-22.04, keyPair: ops, metadata: { role: web } }]
timings: { rebuild: 50ms, reboot: 20ms, stop: 20ms, start: 20ms, reinstall: 50ms }
`;

const signal = new AbortController().signal;
const warnings: string[] = [];
const runtime = (dir: string): ProviderRuntime => ({
  env: { HW_SECURITY_TOKEN: "a-user-token-that-must-not-leak-in" },
  cwd: dir,
  homeDir: dir,
  readFile: (p) => readFile(p),
  clock: systemClock,
  warn: (m) => warnings.push(m),
});
const provider = (dir: string, name: string, options: Record<string, unknown>): ProviderConfig => ({
  name,
  type: "sim",
  options: { world: "world.yaml", state: ".reform/shared.json", ...options },
  source: { file: join(dir, "fleet.yaml"), line: 1, column: 1 },
});

async function openAll(dir: string): Promise<ProviderAdapter[]> {
  const configs = [
    provider(dir, "os", {}),
    provider(dir, "hw", { api: "huaweicloud" }),
    provider(dir, "jd", { api: "jdcloud" }),
  ];
  const adapters: ProviderAdapter[] = [];
  for (const config of configs) adapters.push(await createAdapter(config, dir, runtime(dir)));
  return adapters;
}
async function closeAll(adapters: readonly ProviderAdapter[]): Promise<void> {
  for (const adapter of adapters) await adapter.close();
}
async function one(adapter: ProviderAdapter): Promise<ObservedInstance> {
  const [instance] = await adapter.listInstances({ selectors: [] }, signal);
  if (!instance) throw new Error(`${adapter.name}: no server`);
  return instance;
}
async function setMetadata(adapter: ProviderAdapter, key: string, value: string): Promise<void> {
  const instance = await one(adapter);
  const full = { ...instance.metadata, [key]: value };
  await adapter.startStep(
    {
      instance,
      step: {
        kind: "update-metadata",
        impact: "none",
        params: { metadata: { set: { [key]: value }, remove: [], full } },
      },
      inputs: {},
    },
    signal,
  );
}

describe("sim providers for every cloud API, sharing one emulator per state file", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "reform-sim-"));
    await writeFile(join(dir, "world.yaml"), WORLD);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("drives the OpenStack, Huawei and JD APIs through their real clients, one emulator for the three", async () => {
    const before = runningEmulators();
    const [os, hw, jd] = await openAll(dir);
    try {
      expect(runningEmulators()).toBe(before + 1);
      expect([os!.type, hw!.type, jd!.type]).toEqual(["sim", "sim", "sim"]);
      expect((await one(os!)).name).toBe("os-1");
      expect(await one(hw!)).toMatchObject({ name: "hw-1", provider: "hw", metadata: { role: "web" } });
      expect(await one(jd!)).toMatchObject({ name: "jd-1", id: "i-jd1", provider: "jd" });
      // The capabilities are the real clients' own: Huawei's changeos and its v1/v2 choice, JD's stop-rebuild-start.
      expect(await hw!.capabilities(signal)).toMatchObject({
        imageChangeStep: "changeos",
        reprovisionVariants: { imageProperty: "__support_cloudinit" },
      });
      expect(await jd!.capabilities(signal)).toMatchObject({
        reprovisionRequiresStopped: true,
        reprovisionLeavesStopped: true,
      });
      const [euler] = await hw!.resolveImages([{ name: "euler-2.10" }], signal);
      expect(euler?.result).toMatchObject({ type: "found", properties: { __support_cloudinit: "true" } });
    } finally {
      await closeAll([os!, hw!, jd!]);
    }
    expect(runningEmulators()).toBe(before);
  });

  it("gives every sim provider the emulator's health route on loopback ({health} in gate URLs), which knows each cloud's servers by the ids the adapters read", async () => {
    const adapters = await openAll(dir);
    try {
      const urls = new Set(adapters.map((a) => a.healthUrl));
      expect(urls.size).toBe(1);
      const base = [...urls][0] ?? "";
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
      for (const adapter of adapters) {
        const instance = await one(adapter);
        const reply = await fetch(`${base}/servers/${encodeURIComponent(instance.id)}`);
        expect([
          adapter.name,
          reply.status,
          ((await reply.json()) as { server: { name: string } }).server.name,
        ]).toEqual([adapter.name, 200, instance.name]);
      }
    } finally {
      await closeAll(adapters);
    }
  });

  it("finds and lists key pairs through each cloud's own call (Nova os-keypairs, Huawei's native os-keypairs list, JD describeKeypairs)", async () => {
    const adapters = await openAll(dir);
    try {
      for (const adapter of adapters) {
        expect([adapter.name, [...(await adapter.findKeyPairs(["ops", "ops-gone"], signal))]]).toEqual([
          adapter.name,
          ["ops"],
        ]);
        expect((await adapter.findKeyPairs([], signal)).size).toBe(0);
        // and list them all (Nova os-keypairs, the same Huawei list, JD describeKeypairs without a filter), for a suggestion
        expect([adapter.name, await adapter.keyPairNames?.(signal)]).toEqual([adapter.name, ["ops"]]);
      }
    } finally {
      await closeAll(adapters);
    }
  });

  it("keeps writes made through different APIs in the one state file, across runs, with this run's keys only", async () => {
    const first = await openAll(dir);
    await setMetadata(first[1]!, "written-by", "huawei");
    await setMetadata(first[2]!, "written-by", "jd");
    await setMetadata(first[0]!, "written-by", "openstack");
    await closeAll(first);
    const again = await openAll(dir);
    try {
      expect((await one(again[0]!)).metadata["written-by"]).toBe("openstack");
      expect((await one(again[1]!)).metadata["written-by"]).toBe("huawei");
      expect((await one(again[2]!)).metadata["written-by"]).toBe("jd");
    } finally {
      await closeAll(again);
    }
    const state = JSON.parse(await readFile(join(dir, ".reform/shared.json"), "utf8")) as {
      huaweicloud: { credentials: { accessKey: string }[] };
      jdcloud: { credentials: { accessKey: string }[] };
    };
    for (const keys of [state.huaweicloud.credentials, state.jdcloud.credentials]) {
      expect(keys.filter((k) => k.accessKey.startsWith(SIM_KEY_PREFIX))).toHaveLength(1);
      expect(keys.filter((k) => !k.accessKey.startsWith(SIM_KEY_PREFIX))).toHaveLength(1);
    }
  });

  it("sends the API variant the plan chose (v1: the emulator refuses it for a Cloud-Init image), else the image's own (v2)", async () => {
    const hw = await createAdapter(
      provider(dir, "hw", { api: "huaweicloud", state: ".reform/variant.json" }),
      dir,
      runtime(dir),
    );
    try {
      const reinstall = async (variant?: string) => {
        const instance = await one(hw);
        const params = {
          imageId: instance.imageId,
          keyPair: "ops",
          metadata: { set: {}, remove: [], full: instance.metadata },
          keepStopped: false,
          ...(variant ? { variant } : {}),
        };
        return hw.startStep(
          { instance, step: { kind: "reinstall", impact: "reprovision", params }, inputs: {} },
          signal,
        );
      };
      const refused = await reinstall("v1").catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(
        /POST \/v1\/\{project_id\}\/cloudservers\/\{id\}\/reinstallos failed 400 Ecs\.0005/,
      );
      const handle = await reinstall();
      expect((await followStep(hw, handle, signal)).final.type).toBe("done");
    } finally {
      await hw.close();
    }
    const state = JSON.parse(await readFile(join(dir, ".reform/variant.json"), "utf8")) as {
      actions: { serverName: string; action: string }[];
    };
    expect(state.actions.filter((a) => a.serverName === "hw-1").map((a) => a.action)).toEqual([
      "v2 reinstallServer withStopServer",
    ]);
  });

  it("refuses two sim providers that name one state file with different settings, and leaves nothing running", async () => {
    const before = runningEmulators();
    const a = await createAdapter(provider(dir, "a", {}), dir, runtime(dir));
    const error = await createAdapter(
      provider(dir, "b", { api: "jdcloud", timings: { rebuild: "1s" } }),
      dir,
      runtime(dir),
    ).catch((e: unknown) => e);
    await a.close();
    expect(error).toBeInstanceOf(ReformError);
    expect((error as ReformError).code).toBe("CONFIG_INVALID");
    expect((error as Error).message).toContain("sim providers a and b share the state file");
    expect(runningEmulators()).toBe(before);
  });

  it("gives separate emulators to sim providers with separate state files", async () => {
    const before = runningEmulators();
    const a = await createAdapter(provider(dir, "a", { state: ".reform/a.json" }), dir, runtime(dir));
    const b = await createAdapter(
      provider(dir, "b", { state: ".reform/b.json", api: "huaweicloud" }),
      dir,
      runtime(dir),
    );
    expect(runningEmulators()).toBe(before + 2);
    await closeAll([a, b]);
    expect(runningEmulators()).toBe(before);
  });

  it("refuses an api whose section the world lacks, and an unknown api, before starting anything", async () => {
    await writeFile(join(dir, "os-only.yaml"), "openstack:\n  images: [{ name: debian-12 }]\n");
    const before = runningEmulators();
    const missing = await createAdapter(
      provider(dir, "hw", { api: "huaweicloud", world: "os-only.yaml", state: ".reform/x.json" }),
      dir,
      runtime(dir),
    ).catch((e: unknown) => e);
    expect((missing as Error).message).toBe(
      `provider hw: api huaweicloud, but the world ${join(dir, "os-only.yaml")} has no huaweicloud: section`,
    );
    const unknown = await createAdapter(provider(dir, "z", { api: "aws" }), dir, runtime(dir)).catch((e: unknown) => e);
    expect((unknown as Error).message).toContain('unknown sim api "aws"');
    expect(runningEmulators()).toBe(before);
  });

  it("says so when created without the Huawei and JD clients (outside the registry), and releases the emulator", async () => {
    const before = runningEmulators();
    const error = await createSimAdapter({
      name: "hw",
      settings: { api: "huaweicloud", world: "world.yaml", state: ".reform/y.json" },
      baseDir: dir,
      runtime: runtime(dir),
    }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("created without the Huawei and JD clients");
    expect(runningEmulators()).toBe(before);
  });
});
