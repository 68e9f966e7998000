import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT } from "../model/desired.js";
import type { SpecLayer } from "../model/desired.js";
import { formatDiagnostic } from "../model/errors.js";
import { tryParseDuration } from "./duration.js";
import { parseFleetText } from "./parse.js";
import { validateFleet } from "./validate.js";
import { buildRollout, DEFAULT_GATE_INTERVAL_MS, DEFAULT_GATE_TIMEOUT_MS, mergeRollout } from "./rollout.js";

const layer = (rollout: SpecLayer["rollout"]): SpecLayer => ({ spec: {}, rollout });

describe("tryParseDuration", () => {
  it("reads units and compound durations, and refuses anything else", () => {
    expect(tryParseDuration("500ms")).toBe(500);
    expect(tryParseDuration("30s")).toBe(30_000);
    expect(tryParseDuration("5m")).toBe(300_000);
    expect(tryParseDuration("1h30m")).toBe(5_400_000);
    expect(tryParseDuration("1.5s")).toBe(1500);
    expect(tryParseDuration(250)).toBe(250);
    expect(tryParseDuration("5 minutes")).toBeUndefined();
    expect(tryParseDuration("")).toBeUndefined();
    expect(tryParseDuration("10")).toBeUndefined();
    expect(tryParseDuration(-1)).toBeUndefined();
  });
});

describe("buildRollout", () => {
  it("converts pause, gate and timeouts to milliseconds and keeps the rest", () => {
    expect(
      buildRollout({
        parallelism: 3,
        canary: 1,
        canaryApproval: "manual",
        maxFailures: "10%",
        pause: "30s",
        gate: { http: "http://{address}:8080/healthz", timeout: "2m" },
        timeouts: { rebuild: "45m", wait: "1h" },
      }),
    ).toEqual({
      parallelism: 3,
      canary: 1,
      canaryApproval: "manual",
      maxFailures: "10%",
      pauseMs: 30_000,
      gate: {
        type: "http",
        url: "http://{address}:8080/healthz",
        timeoutMs: 120_000,
        intervalMs: DEFAULT_GATE_INTERVAL_MS,
      },
      timeoutsMs: { rebuild: 2_700_000, wait: 3_600_000 },
    });
  });

  it("gives a tcp gate the default timeout and interval", () => {
    expect(buildRollout({ gate: { tcp: 22 } }).gate).toEqual({
      type: "tcp",
      port: 22,
      timeoutMs: DEFAULT_GATE_TIMEOUT_MS,
      intervalMs: DEFAULT_GATE_INTERVAL_MS,
    });
    expect(buildRollout({ gate: { http: "https://x/", status: 204, interval: "250ms" } }).gate).toMatchObject({
      expectStatus: 204,
      intervalMs: 250,
    });
  });
});

describe("mergeRollout", () => {
  it("lets the group override defaults field by field, and merges timeouts kind by kind", () => {
    const defaults = layer({ parallelism: 4, timeoutsMs: { rebuild: 1000, reboot: 2000 } });
    const group = layer({ canary: 2, timeoutsMs: { reboot: 3000 } });
    expect(mergeRollout(defaults, group)).toEqual({
      ...DEFAULT_ROLLOUT,
      parallelism: 4,
      canary: 2,
      timeoutsMs: { rebuild: 1000, reboot: 3000 },
    });
    expect(mergeRollout(layer({}), undefined)).toEqual(DEFAULT_ROLLOUT);
  });
});

describe("rollout keys in the fleet schema", () => {
  const head = "providers:\n  p: { type: sim }\ninstances:\n  - provider: p\n    name: a\n";
  const messages = (rollout: string): string[] => {
    const parsed = parseFleetText(`${head}defaults: { rollout: ${rollout} }\n`, "f.yaml");
    expect(parsed.diagnostics).toEqual([]);
    return validateFleet(parsed.doc.toJS(), parsed).map(formatDiagnostic);
  };

  it("accepts the documented example", () => {
    expect(
      messages(
        `{ canary: 1, canaryApproval: manual, pause: 2m, onFailure: continue, maxFailures: "10%", gate: { http: "http://{address}:8080/healthz", timeout: 5m }, timeouts: { rebuild: 45m, wait: 1h } }`,
      ),
    ).toEqual([]);
    expect(messages("{ gate: { tcp: 22, interval: 500ms } }")).toEqual([]);
    expect(messages('{ onFailure: rollback, checkpoints: ["25%"], maxUnhealthy: 1 }')).toEqual([]);
  });

  it("refuses an unknown onFailure with its location and the values it takes", () => {
    expect(messages("{ onFailure: rollbak }")).toEqual([
      "f.yaml:6:35: defaults.rollout.onFailure: expected one of halt, continue, rollback, got 'rollbak'; did you mean 'rollback'?",
    ]);
  });

  it("gives located, readable errors for bad durations, gates, timeout kinds and budgets", () => {
    expect(messages("{ pause: 5 minutes }")).toEqual([
      "f.yaml:6:31: defaults.rollout.pause: expected a duration such as 500ms, 2s or 1m, or a number of milliseconds, got a string",
    ]);
    expect(messages('{ gate: { tcp: 22, http: "http://x/" } }')).toEqual([
      "f.yaml:6:30: defaults.rollout.gate: use only one of 'tcp', 'http'",
    ]);
    expect(messages("{ gate: { timeout: 5m } }")).toEqual([
      "f.yaml:6:30: defaults.rollout.gate: missing key: expected exactly one of 'tcp', 'http'",
    ]);
    expect(messages("{ timeouts: { rebuidl: 5m } }")).toEqual([
      "f.yaml:6:36: unknown key 'rebuidl' in timeouts; expected one of rebuild, reinstall, changeos, reboot, stop, start, update-metadata, wait; did you mean 'rebuild'?",
    ]);
    expect(messages("{ maxFailures: -1 }")).toEqual(["f.yaml:6:37: defaults.rollout.maxFailures: must be >= 0"]);
    expect(messages("{ canaryApproval: later }")).toEqual([
      "f.yaml:6:40: defaults.rollout.canaryApproval: expected one of auto, manual, got 'later'",
    ]);
  });
});
