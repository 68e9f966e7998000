import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT } from "../model/desired.js";
import type { SpecLayer } from "../model/desired.js";
import { parseDuration } from "./duration.js";
import { buildRollout, DEFAULT_GATE_INTERVAL_MS, DEFAULT_GATE_TIMEOUT_MS, mergeRollout } from "./rollout.js";

const layer = (rollout: SpecLayer["rollout"]): SpecLayer => ({ spec: {}, rollout });

describe("parseDuration", () => {
  it("reads units and compound durations, and refuses anything else", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("5 minutes")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
    expect(parseDuration("10")).toBeUndefined();
  });
});

describe("buildRollout", () => {
  it("converts pause, gate and timeouts to milliseconds and keeps the rest", () => {
    expect(buildRollout({ parallelism: 3, canary: 1, canaryApproval: "manual", maxFailures: "10%", pause: "30s", gate: { http: "http://{address}:8080/healthz", timeout: "2m" }, timeouts: { rebuild: "45m", wait: "1h" } })).toEqual({
      parallelism: 3,
      canary: 1,
      canaryApproval: "manual",
      maxFailures: "10%",
      pauseMs: 30_000,
      gate: { type: "http", url: "http://{address}:8080/healthz", timeoutMs: 120_000, intervalMs: DEFAULT_GATE_INTERVAL_MS },
      timeoutsMs: { rebuild: 2_700_000, wait: 3_600_000 },
    });
  });

  it("gives a tcp gate the default timeout and interval", () => {
    expect(buildRollout({ gate: { tcp: 22 } }).gate).toEqual({ type: "tcp", port: 22, timeoutMs: DEFAULT_GATE_TIMEOUT_MS, intervalMs: DEFAULT_GATE_INTERVAL_MS });
    expect(buildRollout({ gate: { http: "https://x/", status: 204, interval: "250ms" } }).gate).toMatchObject({ expectStatus: 204, intervalMs: 250 });
  });
});

describe("mergeRollout", () => {
  it("lets the group override defaults field by field, and merges timeouts kind by kind", () => {
    const defaults = layer({ parallelism: 4, timeoutsMs: { rebuild: 1000, reboot: 2000 } });
    const group = layer({ canary: 2, timeoutsMs: { reboot: 3000 } });
    expect(mergeRollout(defaults, group)).toEqual({ ...DEFAULT_ROLLOUT, parallelism: 4, canary: 2, timeoutsMs: { rebuild: 1000, reboot: 3000 } });
    expect(mergeRollout(layer({}), undefined)).toEqual(DEFAULT_ROLLOUT);
  });
});
