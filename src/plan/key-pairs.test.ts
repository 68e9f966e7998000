import { describe, expect, it } from "vitest";
import { keyPairsNamed, missingKeyPair } from "./key-pairs.js";
import { planInstance } from "./plan-instance.js";
import { JD_LIKE, NOVA_2_96, desired, input, observed } from "./test-builders.js";

describe("keyPairsNamed", () => {
  it("names the key pair a reprovisioning step sets, with the step", () => {
    const change = planInstance(input(desired({ keyPair: "ops-2026" }), observed(), JD_LIKE));
    expect(change.steps.map((s) => s.kind)).toEqual(["stop", "rebuild", "start"]);
    expect(keyPairsNamed(change)).toEqual([{ name: "ops-2026", step: "rebuild" }]);
    expect(missingKeyPair(change, { name: "ops-2026", step: "rebuild" })).toEqual({
      field: "keyPair",
      message:
        '/fleet.yaml:10:5: key pair "ops-2026" does not exist on provider dc1 (spec.keyPair of dc1/web-1, needed by its rebuild)',
    });
  });

  it("names none when the steps keep the server's key pair, remove it, or do not reprovision", () => {
    const kept = planInstance(input(desired({ image: { name: "ubuntu-24.04" } }), observed(), NOVA_2_96));
    const removed = planInstance(input(desired({ keyPair: null }), observed(), NOVA_2_96));
    const metadata = planInstance(input(desired({ metadata: { role: "db" } }), observed(), NOVA_2_96));
    expect([kept, removed, metadata].map((c) => c.action)).toEqual(["rebuild", "rebuild", "update-metadata"]);
    expect([kept, removed, metadata].map(keyPairsNamed)).toEqual([[], [], []]);
  });
});
