import { describe, expect, it } from "vitest";
import type { ProviderAdapter } from "../model/provider.js";
import { planInstance } from "../plan/plan-instance.js";
import { JD_LIKE, NOVA_2_96, desired, input, observed } from "../plan/test-builders.js";
import { preflightChanges } from "./preflight.js";

/** Only the key pair lookup is used here: it records the names asked and answers from `existing`, or fails. */
function lookup(existing: readonly string[] | Error): { adapter: ProviderAdapter; asked: string[][] } {
  const asked: string[][] = [];
  const adapter = {
    findKeyPairs: (names: readonly string[]) => {
      asked.push([...names]);
      return existing instanceof Error
        ? Promise.reject(existing)
        : Promise.resolve(new Set(names.filter((n) => existing.includes(n))));
    },
  } as unknown as ProviderAdapter;
  return { adapter, asked };
}

const sources = {
  env: {},
  readFile: () => Promise.reject(new Error("no files")),
  realPath: (path: string) => Promise.resolve({ path, exists: false }),
};
const root = { baseDir: "/", root: "/", label: "the fleet file's directory" };
const signal = new AbortController().signal;

describe("preflightChanges: key pairs", () => {
  const want = desired({ keyPair: "ops-2099" });
  const change = planInstance(input(want, observed(), JD_LIKE));
  const desiredMap = new Map([[want.address, want]]);

  it("asks the cloud once per provider for the names the steps set, and names a missing one", async () => {
    const { adapter, asked } = lookup(["ops-2025"]);
    const problems = await preflightChanges([change, change], desiredMap, {
      adapters: new Map([["dc1", adapter]]),
      capabilities: new Map([["dc1", JD_LIKE]]),
      sources,
      root,
      signal,
    });
    expect(asked).toEqual([["ops-2099"]]);
    expect(problems.get("dc1/web-1")).toEqual([
      {
        field: "keyPair",
        message:
          '/fleet.yaml:10:5: key pair "ops-2099" does not exist on provider dc1 (spec.keyPair of dc1/web-1, needed by its rebuild)',
      },
    ]);
  });

  it("names the key pair meant when the missing one is a typo of one the cloud lists, listing them only then", async () => {
    const listed: string[] = [];
    const { adapter } = lookup(["ops-2090", "ops-2025"]);
    const withNames = {
      ...adapter,
      keyPairNames: () => (listed.push("listed"), Promise.resolve(["ops-2090", "ops-2025"])),
    } as ProviderAdapter;
    const context = {
      adapters: new Map([["dc1", withNames]]),
      capabilities: new Map([["dc1", JD_LIKE]]),
      sources,
      root,
      signal,
    };
    const problems = await preflightChanges([change], desiredMap, context);
    expect(problems.get("dc1/web-1")?.[0]?.message).toMatch(/needed by its rebuild\); did you mean 'ops-2090'\?$/);
    expect(listed).toEqual(["listed"]);
    const fine = planInstance(input(desired({ keyPair: "ops-2025" }), observed(), JD_LIKE));
    await preflightChanges([fine], new Map([[fine.address, desired({ keyPair: "ops-2025" })]]), context);
    expect(listed).toEqual(["listed"]);
  });

  it("leaves key pairs of the calling user (Nova, Huawei) to apply: the planning user may not be the applying one", async () => {
    const { adapter, asked } = lookup([]);
    const nova = planInstance(input(want, observed(), NOVA_2_96));
    const problems = await preflightChanges([nova], desiredMap, {
      adapters: new Map([["dc1", adapter]]),
      capabilities: new Map([["dc1", { ...NOVA_2_96, keyPairsOfCaller: true }]]),
      sources,
      root,
      signal,
    });
    expect(asked).toEqual([]);
    expect(problems.size).toBe(0);
  });

  it("does not fail the plan when the key pairs cannot be listed (no permission): the cloud's refusal still stops the step", async () => {
    const { adapter, asked } = lookup(new Error("403 Forbidden"));
    const problems = await preflightChanges([change], desiredMap, {
      adapters: new Map([["dc1", adapter]]),
      capabilities: new Map([["dc1", JD_LIKE]]),
      sources,
      root,
      signal,
    });
    expect(asked).toEqual([["ops-2099"]]);
    expect(problems.size).toBe(0);
  });
});
