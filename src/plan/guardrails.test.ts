import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChangePolicy, Impact, InstanceChange } from "../model/index.js";
import { DEFAULT_CHANGE_POLICY, IMPACT_RANK, isExecutable, isReprovisionStep, worstImpact } from "../model/index.js";
import { exceeds } from "./guardrails.js";
import { planInstance } from "./plan-instance.js";
import { applySteps } from "./test-apply.js";
import { guardedScenarioArb } from "./test-arbitraries.js";
import {
  HUAWEI_LIKE,
  IMAGES,
  JD_LIKE,
  NOVA_2_53,
  NOVA_2_96,
  desired,
  input,
  observed,
  stopped,
  userData,
} from "./test-builders.js";

const policy = (p: Partial<ChangePolicy>): ChangePolicy => ({ ...DEFAULT_CHANGE_POLICY, ...p });

describe("disruption ranking", () => {
  it("ranks none < reboot < reprovision, and exceeds follows the rank", () => {
    const impacts: Impact[] = ["none", "reboot", "reprovision"];
    expect([...impacts].sort((a, b) => IMPACT_RANK[a] - IMPACT_RANK[b])).toEqual(impacts);
    expect(impacts.flatMap((a) => impacts.filter((b) => exceeds(a, b)).map((b) => `${a}>${b}`))).toEqual([
      "reboot>none",
      "reprovision>none",
      "reprovision>reboot",
    ]);
  });

  it("counts a power start or stop as a reboot", () => {
    const start = planInstance(input(desired({ power: "running" }), stopped()));
    const stop = planInstance(input(desired({ power: "stopped" }), observed()));
    expect([start.steps[0], stop.steps[0]].map((s) => [s?.kind, s?.impact])).toEqual([
      ["start", "reboot"],
      ["stop", "reboot"],
    ]);
    expect([start.impact, stop.impact]).toEqual(["reboot", "reboot"]);
    expect(
      planInstance(input(desired({ power: "stopped", changePolicy: policy({ maxDisruption: "none" }) }), observed())),
    ).toMatchObject({
      action: "error",
      steps: [],
      blocked: { by: "maxDisruption" },
    });
  });
});

describe("policy maxDisruption", () => {
  it("refuses a rebuild over maxDisruption: reboot, naming the server, the field and the action, and plans nothing of it", () => {
    const change = planInstance(
      input(
        desired({
          image: { name: IMAGES.noble.name },
          metadata: { role: "api" },
          changePolicy: policy({ maxDisruption: "reboot" }),
        }),
        observed(),
      ),
    );
    expect(change).toMatchObject({ action: "error", impact: "none", steps: [], blocked: { by: "maxDisruption" } });
    expect(change.blocked?.message).toBe(
      "dc1/web-1: image needs rebuild (reprovision: rebuild), over policy maxDisruption: reboot; nothing of this server is planned",
    );
    expect(change.reasons[0]).toEqual({ field: "image", message: change.blocked?.message });
    // What differs is still shown.
    expect(change.fields.map((f) => f.path)).toEqual(["image", "metadata.role"]);
  });

  it("names every field that forces the action (JD: stop → rebuild → start for a key pair and user_data)", () => {
    const d = desired({
      keyPair: "ops-2026",
      userData: userData("#cloud-config\n"),
      password: { env: "P" },
      changePolicy: policy({ maxDisruption: "reboot" }),
    });
    const change = planInstance(input(d, observed(), JD_LIKE));
    expect(change.blocked?.message).toBe(
      "dc1/web-1: key pair, user_data need rebuild (reprovision: stop → rebuild → start), over policy maxDisruption: reboot; nothing of this server is planned",
    );
  });

  it("refuses a reboot token change over maxDisruption: none, and allows it at reboot", () => {
    const o = observed({ annotations: { rebootToken: "t1" } });
    const none = planInstance(
      input(desired({ reboot: { token: "t2", type: "SOFT" }, changePolicy: policy({ maxDisruption: "none" }) }), o),
    );
    expect(none.blocked?.message).toMatch(
      /^dc1\/web-1: reboot token needs reboot \(reboot: reboot → update-metadata\), over policy maxDisruption: none/,
    );
    const reboot = planInstance(
      input(desired({ reboot: { token: "t2", type: "SOFT" }, changePolicy: policy({ maxDisruption: "reboot" }) }), o),
    );
    expect(reboot.action).toBe("reboot");
  });

  it("leaves changes within the limit alone", () => {
    const change = planInstance(
      input(desired({ metadata: { role: "api" }, changePolicy: policy({ maxDisruption: "none" }) }), observed()),
    );
    expect(change.action).toBe("update-metadata");
    expect(change.blocked).toBeUndefined();
  });
});

describe("policy protect", () => {
  it("refuses a reprovision of a protected server", () => {
    const change = planInstance(
      input(desired({ keyPair: "ops-2026", changePolicy: policy({ protect: true }) }), observed()),
    );
    expect(change).toMatchObject({ action: "error", steps: [], blocked: { by: "protect" } });
    expect(change.blocked?.message).toBe(
      "dc1/web-1: key pair needs rebuild (reprovision: rebuild), protected by policy protect: true (never reprovisioned); nothing of this server is planned",
    );
  });

  it("still allows metadata and reboots", () => {
    const p = policy({ protect: true });
    expect(planInstance(input(desired({ metadata: { role: "db" }, changePolicy: p }), observed())).action).toBe(
      "update-metadata",
    );
    expect(
      planInstance(
        input(
          desired({ reboot: { token: "t2", type: "SOFT" }, changePolicy: p }),
          observed({ annotations: { rebootToken: "t1" } }),
        ),
      ).action,
    ).toBe("reboot");
  });
});

describe("policy minDisruption", () => {
  it("reboots after a metadata-only change, and says why", () => {
    const change = planInstance(
      input(desired({ metadata: { role: "api" }, changePolicy: policy({ minDisruption: "reboot" }) }), observed()),
    );
    expect(change.action).toBe("reboot");
    expect(change.impact).toBe("reboot");
    expect(change.steps.map((s) => s.kind)).toEqual(["update-metadata", "reboot"]);
    expect(change.reasons.at(-1)?.message).toBe(
      "policy minDisruption: reboot: SOFT reboot after the metadata step, so that what reads metadata at boot sees the new values",
    );
  });

  it("does not reboot a server that is stopped and stays stopped, nor an unchanged one, and says so", () => {
    const p = policy({ minDisruption: "reboot" });
    const off = planInstance(input(desired({ metadata: { role: "api" }, changePolicy: p }), stopped()));
    expect(off.steps.map((s) => s.kind)).toEqual(["update-metadata"]);
    expect(off.reasons.at(-1)?.message).toBe(
      "policy minDisruption: reboot: the server is stopped and stays stopped: not rebooted",
    );
    expect(planInstance(input(desired({ metadata: { role: "web" }, changePolicy: p }), observed())).action).toBe(
      "no-op",
    );
  });

  it("never reboots over maxDisruption: none", () => {
    const change = planInstance(
      input(
        desired({
          metadata: { role: "api" },
          changePolicy: policy({ minDisruption: "reboot", maxDisruption: "none" }),
        }),
        observed(),
      ),
    );
    expect(change.steps.map((s) => s.kind)).toEqual(["update-metadata"]);
    expect(change.reasons.at(-1)?.message).toBe(
      "policy minDisruption: reboot: policy maxDisruption: none forbids a reboot: not rebooted",
    );
  });

  it("adds nothing to a change that already reboots or reprovisions", () => {
    const p = policy({ minDisruption: "reboot" });
    expect(
      planInstance(input(desired({ image: { name: IMAGES.noble.name }, changePolicy: p }), observed())).steps.map(
        (s) => s.kind,
      ),
    ).toEqual(["rebuild"]);
  });
});

describe("explained actions", () => {
  const why = (change: InstanceChange) => (change.considered ?? []).map((c) => `${c.action}: ${c.why}`);

  it("says a metadata step and a reboot cannot carry user_data", () => {
    const change = planInstance(input(desired({ userData: userData("#cloud-config\nx: 1\n") }), observed()));
    expect(change.action).toBe("rebuild");
    expect(why(change)).toEqual(["update-metadata: cannot carry user_data", "reboot: cannot carry user_data"]);
  });

  it("says the same-image step keeps the image when the image changes (Huawei reinstall, Nova rebuild)", () => {
    const huawei = planInstance(input(desired({ image: { name: IMAGES.noble.name } }), observed(), HUAWEI_LIKE));
    expect(why(huawei)).toContain("reinstall: keeps the image, and the image changes");
    const nova = planInstance(input(desired({ image: { name: IMAGES.noble.name } }), observed(), NOVA_2_96));
    expect(why(nova)).toContain("rebuild with the same image: keeps the image, and the image changes");
  });

  it("gives the cloud's missing capability for an unsupported change (Nova 2.53: key pair needs 2.54)", () => {
    const change = planInstance(
      input(desired({ keyPair: "ops-2026" }), observed(), {
        ...NOVA_2_53,
        description: "compute API microversion 2.53; a rebuild that sets the key pair needs 2.54",
      }),
    );
    expect(change.action).toBe("unsupported");
    expect(why(change).at(-1)).toBe(
      "rebuild with the same image: the cloud's reprovisioning cannot set a key pair (reprovisionSetsKeyPair: false) (compute API microversion 2.53; a rebuild that sets the key pair needs 2.54): key pair cannot change in place",
    );
  });

  it("explains nothing for a busy server (planned again once it settles)", () => {
    const busy = planInstance(
      input(
        desired({ image: { name: IMAGES.noble.name } }),
        observed({ status: "rebuilding", rawStatus: "REBUILD", task: "rebuilding" }),
      ),
    );
    expect([busy.action, busy.considered]).toEqual(["wait", []]);
  });

  it("considers nothing cheaper than a metadata update", () => {
    expect(planInstance(input(desired({ metadata: { role: "api" } }), observed())).considered).toEqual([]);
  });
});

describe("guardrail properties", () => {
  const samples = () =>
    fc.sample(guardedScenarioArb, { numRuns: 4000, seed: 7 }).map((s) => ({ s, change: planInstance(s.input) }));

  it("the random scenarios reach each guardrail (the properties below are not vacuous)", () => {
    const seen = new Set<string>();
    for (const { change } of samples()) {
      if (change.blocked) seen.add(change.blocked.by);
      if (
        change.reasons.some(
          (r) =>
            r.message.startsWith("policy minDisruption: reboot: SOFT") ||
            r.message.startsWith("policy minDisruption: reboot: HARD"),
        )
      )
        seen.add("minDisruption");
    }
    expect([...seen].sort()).toEqual(["maxDisruption", "minDisruption", "protect"]);
  });

  it("a protected server is never in a reprovision step", () => {
    fc.assert(
      fc.property(guardedScenarioArb, ({ input: i }) => {
        const change = planInstance(i);
        if (i.desired.spec.changePolicy.protect) expect(change.steps.filter(isReprovisionStep)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("no planned server exceeds its maxDisruption; a refused one has no steps and says which policy", () => {
    fc.assert(
      fc.property(guardedScenarioArb, ({ input: i }) => {
        const change = planInstance(i);
        const max = i.desired.spec.changePolicy.maxDisruption;
        expect(IMPACT_RANK[worstImpact(change.steps.map((s) => s.impact))]).toBeLessThanOrEqual(IMPACT_RANK[max]);
        expect(change.impact).toBe(worstImpact(change.steps.map((s) => s.impact)));
        if (change.blocked) {
          expect(change.action).toBe("error");
          expect(change.steps).toEqual([]);
          expect(change.blocked.message).toContain(
            change.blocked.by === "protect" ? "protect: true" : `maxDisruption: ${max}`,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("converges under random guardrails: applying the planned steps and planning again gives no-op (or the same refusal)", () => {
    fc.assert(
      fc.property(guardedScenarioArb, ({ caps, server, input: i }) => {
        const first = planInstance(i);
        if (first.action === "wait" || !isExecutable(first.action)) return;
        const second = planInstance({ ...i, observed: applySteps(server, first, caps).observed });
        expect(second.action).toBe("no-op");
      }),
      { numRuns: 2000 },
    );
  });

  it("every action considered is cheaper than the one planned and says why it cannot do the job", () => {
    fc.assert(
      fc.property(guardedScenarioArb, ({ input: i }) => {
        const change = planInstance(i);
        for (const considered of change.considered ?? []) {
          expect(considered.why.length).toBeGreaterThan(10);
          if (change.steps.length > 0 && change.blocked === undefined)
            expect(IMPACT_RANK[considered.impact]).toBeLessThanOrEqual(IMPACT_RANK[change.impact]);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
