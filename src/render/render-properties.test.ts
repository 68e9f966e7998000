import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT } from "../model/index.js";
import type { Plan, RolloutPolicy } from "../model/index.js";
import { planFleet } from "../plan/plan-fleet.js";
import { SECRET, guardedScenarioArb } from "../plan/test-arbitraries.js";
import { renderPlanJson } from "./json.js";
import { renderPlanMarkdown } from "./markdown.js";
import type { PlanDocument } from "./plan-document.js";
import { fromPlanDocument, toPlanDocument } from "./plan-document.js";
import { FIXTURE_SECRET, fixturePlan } from "./test-fleet.js";
import { renderPlanText, shownInText } from "./text.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const schema = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "schemas", "plan.schema.json"), "utf8"),
) as object;
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: true }));
const validate = ajv.compile(schema);

/**
 * Plans of 1–4 random servers. Some servers show their old user_data content, with a secret in it, where
 * the configuration says user_data is sensitive or asks for none: that content must never leak.
 */
const rolloutArb: fc.Arbitrary<RolloutPolicy> = fc.record(
  {
    parallelism: fc.integer({ min: 1, max: 50 }),
    maxUnavailable: fc.oneof(
      fc.nat(10),
      fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
    ),
    canary: fc.nat(5),
    onFailure: fc.constantFrom("halt" as const, "continue" as const, "rollback" as const),
    maxFailures: fc.oneof(
      fc.nat(10),
      fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
    ),
    pauseMs: fc.nat(600_000),
    canaryApproval: fc.constantFrom("auto" as const, "manual" as const),
    gate: fc.oneof(
      fc.record({
        type: fc.constant("tcp" as const),
        port: fc.integer({ min: 1, max: 65535 }),
        timeoutMs: fc.nat(600_000),
        intervalMs: fc.integer({ min: 1, max: 60_000 }),
      }),
      fc.record(
        {
          type: fc.constant("http" as const),
          url: fc.constantFrom("http://{address}:8080/healthz", "https://health.example/ready"),
          expectStatus: fc.integer({ min: 100, max: 599 }),
          timeoutMs: fc.nat(600_000),
          intervalMs: fc.integer({ min: 1, max: 60_000 }),
        },
        { requiredKeys: ["type", "url", "timeoutMs", "intervalMs"] },
      ),
    ),
    timeoutsMs: fc.record(
      { rebuild: fc.nat(3_600_000), wait: fc.nat(3_600_000), "update-metadata": fc.nat(60_000) },
      { requiredKeys: [] },
    ),
    checkpoints: fc.array(
      fc.integer({ min: 1, max: 100 }).map((n) => `${n}%`),
      { minLength: 1, maxLength: 3 },
    ),
    bakeMs: fc.nat(3_600_000),
    maxUnhealthy: fc.oneof(
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 100 }).map((n) => `${n}%`),
    ),
  },
  { requiredKeys: ["parallelism", "maxUnavailable", "canary", "onFailure"] },
);

const limitArb = fc.option(fc.constantFrom(0, 1, "50%"), { nil: undefined });

const planArb: fc.Arbitrary<Plan> = fc
  .tuple(fc.array(fc.tuple(guardedScenarioArb, fc.boolean()), { minLength: 1, maxLength: 4 }), rolloutArb, limitArb)
  .map(([items, db, limit]) =>
    planFleet({
      ...(limit === undefined ? {} : { reprovisionLimit: { limit, source: "fleet file" as const } }),
      inputs: items.map(([s, visible], i) => {
        const address = `p${i % 2}/srv-${i}`;
        const wanted = s.input.desired.spec.userData;
        const secretBefore = visible && (wanted === null || wanted?.sensitive === true);
        const observed = secretBefore
          ? { ...s.input.observed, userData: `#cloud-config\npassword: old-${SECRET}\n` }
          : s.input.observed;
        return { ...s.input, desired: { ...s.input.desired, address }, observed };
      }),
      createdAt: "2026-11-22T10:00:00.000Z",
      configFile: "/fleet.yaml",
      configSha256: "f".repeat(64),
      rollout: { web: DEFAULT_ROLLOUT, db },
    }),
  );

function renderAll(doc: PlanDocument): string[] {
  return [
    renderPlanText(doc, { color: false, width: 80 }),
    renderPlanText(doc, { color: true, width: 120 }),
    renderPlanMarkdown(doc),
    renderPlanJson(doc),
  ];
}

describe("plan document properties", () => {
  it("never renders sensitive user_data content, in any output", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        for (const out of renderAll(toPlanDocument(plan))) {
          expect(out).not.toContain(SECRET);
          expect(out).not.toContain("password:");
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps a gate URL's user and password out of the document", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const gate = {
          type: "http" as const,
          url: `https://probe:${SECRET}@health.example/{address}`,
          timeoutMs: 1000,
          intervalMs: 100,
        };
        const doc = toPlanDocument({ ...plan, rollout: { ...plan.rollout, web: { ...DEFAULT_ROLLOUT, gate } } });
        expect(doc.rollout["web"]?.gate).toEqual({
          type: "http",
          url: "https://(sensitive)@health.example/{address}",
          timeout_ms: 1000,
          interval_ms: 100,
        });
        for (const out of renderAll(doc)) expect(out).not.toContain(SECRET);
        // A password holding '@' (a pattern up to the first '@' showed the rest of it).
        const withAt = { ...gate, url: `https://probe:p@${SECRET}@health.example/{address}` };
        const docAt = toPlanDocument({
          ...plan,
          rollout: { ...plan.rollout, web: { ...DEFAULT_ROLLOUT, gate: withAt } },
        });
        expect(docAt.rollout["web"]?.gate).toMatchObject({ url: "https://(sensitive)@health.example/{address}" });
        for (const out of renderAll(docAt)) expect(out).not.toContain(SECRET);
      }),
      { numRuns: 20 },
    );
  });

  it("round-trips through the document: steps, fingerprints, complete rollout policies and everything else", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const back = fromPlanDocument(JSON.parse(renderPlanJson(toPlanDocument(plan))) as PlanDocument);
        expect(back.changes.map((c) => c.steps)).toEqual(plan.changes.map((c) => c.steps));
        expect(back.changes.map((c) => c.fingerprint)).toEqual(plan.changes.map((c) => c.fingerprint));
        expect(back).toEqual(plan);
      }),
      { numRuns: 300 },
    );
  });

  it("renders the same text from the document of the servers the text shows as from the whole document", () => {
    let left = 0;
    // The fixture's servers, among them unchanged ones with nothing unknown, mixed into the random plans.
    const fixture = fixturePlan().changes;
    fc.assert(
      fc.property(planArb, fc.subarray([...fixture]), fc.boolean(), (random, mixed, verbose) => {
        const plan = { ...random, changes: [...mixed, ...random.changes] };
        const options = { color: false, width: 100, verbose };
        const shown = toPlanDocument(plan, shownInText);
        left += plan.changes.length - shown.changes.length;
        expect(renderPlanText(shown, options)).toBe(renderPlanText(toPlanDocument(plan), options));
      }),
      { numRuns: 300 },
    );
    // The generated plans do leave unchanged servers out.
    expect(left).toBeGreaterThan(0);
  });

  it("generates documents that the published schema accepts", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const doc = JSON.parse(renderPlanJson(toPlanDocument(plan))) as unknown;
        expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("the schema rejects unknown keys and a wrong format version", () => {
    const doc = toPlanDocument(fixturePlan());
    expect(validate(JSON.parse(renderPlanJson(doc)))).toBe(true);
    expect(validate({ ...doc, extra: 1 })).toBe(false);
    expect(validate({ ...doc, format_version: "1.0" })).toBe(false);
    const change = doc.changes[0]!;
    expect(validate({ ...doc, changes: [{ ...change, fingerprint: "nope" }] })).toBe(false);
    expect(
      validate({ ...doc, changes: [{ ...change, steps: [{ kind: "rebuild", impact: "none", params: {} }] }] }),
    ).toBe(false);
  });

  it("keeps the fixture's secret out of every output while still showing that user_data changes", () => {
    const doc = toPlanDocument(fixturePlan());
    for (const out of renderAll(doc)) expect(out).not.toContain(FIXTURE_SECRET);
    const secret = doc.changes.find((c) => c.address === "dc1/secret-1")!;
    expect(secret.fields).toEqual([
      { path: "user_data", before: "(sensitive)", after: "(sensitive)", sensitive: true },
    ]);
    expect(secret.action).toBe("rebuild");
  });
});

describe("toPlanDocument", () => {
  const doc = toPlanDocument(fixturePlan());
  const web1 = doc.changes.find((c) => c.address === "dc1/web-1")!;

  it("uses snake_case on the wire and keeps the user's metadata keys", () => {
    expect(web1.fields.map((f) => f.path)).toEqual(["image", "key_pair", "user_data", "metadata.role"]);
    expect(Object.keys(web1.before).sort()).toEqual(["image", "key_pair", "metadata", "user_data"]);
    const step = web1.steps[0]!;
    expect(step.kind).toBe("rebuild");
    expect(Object.keys(step.params).sort()).toEqual([
      "image_id",
      "keep_stopped",
      "key_pair",
      "metadata",
      "user_data_sha256",
    ]);
  });

  it("carries an RFC 6902 patch from before to after", () => {
    expect(web1.patch).toEqual(
      expect.arrayContaining([
        { op: "replace", path: "/key_pair", value: "ops-2026" },
        { op: "replace", path: "/metadata/role", value: "web" },
        { op: "add", path: "/image/name", value: "ubuntu-24.04" },
      ]),
    );
  });

  it("marks downtime from the impact", () => {
    expect(doc.changes.filter((c) => c.downtime).map((c) => c.impact)).not.toContain("none");
    expect(doc.changes.find((c) => c.address === "dc1/web-5")!.downtime).toBe(false);
  });
});
