import type { StepKind } from "../model/action.js";
import type { ReadinessGate, RolloutPolicy, SpecLayer, TimeoutKind } from "../model/desired.js";
import { DEFAULT_ROLLOUT } from "../model/desired.js";
import { tryParseDuration } from "./duration.js";
import type { RawDuration, RawGate, RawRollout } from "./raw.js";

/** A gate's defaults: 5 minutes to pass, an attempt every 2 seconds. */
export const DEFAULT_GATE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_GATE_INTERVAL_MS = 2000;

export const TIMEOUT_KINDS: readonly TimeoutKind[] = [
  "rebuild",
  "reinstall",
  "changeos",
  "reboot",
  "stop",
  "start",
  "update-metadata",
  "wait",
] satisfies readonly (StepKind | "wait")[];

/** `rollout:` of one layer as the model holds it: durations in milliseconds (the schema has checked their syntax). */
export function buildRollout(raw: RawRollout): Partial<RolloutPolicy> {
  const { pause, bake, gate, timeouts, ...plain } = raw;
  const rollout: { -readonly [K in keyof RolloutPolicy]?: RolloutPolicy[K] } = { ...plain };
  if (pause !== undefined) rollout.pauseMs = durationOf(pause);
  if (bake !== undefined) rollout.bakeMs = durationOf(bake);
  if (gate !== undefined) rollout.gate = buildGate(gate);
  if (timeouts !== undefined) rollout.timeoutsMs = buildTimeouts(timeouts);
  return rollout;
}

function buildGate(raw: RawGate): ReadinessGate {
  const timeoutMs = raw.timeout === undefined ? DEFAULT_GATE_TIMEOUT_MS : durationOf(raw.timeout);
  const intervalMs = raw.interval === undefined ? DEFAULT_GATE_INTERVAL_MS : Math.max(1, durationOf(raw.interval));
  if (raw.http !== undefined)
    return {
      type: "http",
      url: raw.http,
      ...(raw.status !== undefined ? { expectStatus: raw.status } : {}),
      timeoutMs,
      intervalMs,
    };
  return { type: "tcp", port: raw.tcp ?? 0, timeoutMs, intervalMs };
}

function buildTimeouts(raw: Readonly<Record<string, RawDuration>>): Partial<Record<TimeoutKind, number>> {
  const timeouts: Partial<Record<TimeoutKind, number>> = {};
  for (const kind of TIMEOUT_KINDS) {
    const text = raw[kind];
    if (text !== undefined) timeouts[kind] = durationOf(text);
  }
  return timeouts;
}

function durationOf(text: RawDuration): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new TypeError(`invalid duration "${text}" passed the schema`);
  return ms;
}

/** Built-in defaults ← `defaults.rollout` ← the group's: field by field, and timeouts kind by kind. */
export function mergeRollout(defaults: SpecLayer, group: SpecLayer | undefined): RolloutPolicy {
  const merged: RolloutPolicy = { ...DEFAULT_ROLLOUT, ...defaults.rollout, ...group?.rollout };
  const timeouts = { ...defaults.rollout.timeoutsMs, ...group?.rollout.timeoutsMs };
  return Object.keys(timeouts).length > 0 ? { ...merged, timeoutsMs: timeouts } : merged;
}
