import type { Clock } from "../model/clock.js";
import type { ReadinessGate } from "../model/desired.js";
import { formatDuration } from "./duration.js";

/** What one attempt probes: a TCP port or a URL, with `{address}` already replaced. */
export type GateTarget = { readonly type: "tcp"; readonly host: string; readonly port: number } | { readonly type: "http"; readonly url: string; readonly expectStatus?: number };

/** One attempt: `ok`, or why it did not pass (connection refused, status 503...). Never throws. */
export type GateProbe = (target: GateTarget, attemptTimeoutMs: number, signal: AbortSignal) => Promise<{ readonly ok: true } | { readonly ok: false; readonly why: string }>;

export type GateResult = { readonly type: "passed"; readonly attempts: number; readonly waitedMs: number } | { readonly type: "failed"; readonly why: string };

/** Longest single attempt: a hung port does not eat a whole gate timeout in one go. */
const MAX_ATTEMPT_MS = 10_000;

/** The probe target for a server: `{address}` in the URL becomes its first address ([bracketed] when IPv6). */
export function gateTarget(gate: ReadinessGate, addresses: readonly string[]): GateTarget | { readonly type: "error"; readonly why: string } {
  const address = addresses[0];
  const needsAddress = gate.type === "tcp" || gate.url.includes("{address}");
  if (needsAddress && address === undefined) return { type: "error", why: "the server has no IP address to probe" };
  if (gate.type === "tcp") return { type: "tcp", host: address ?? "", port: gate.port };
  const host = address?.includes(":") ? `[${address}]` : (address ?? "");
  return { type: "http", url: gate.url.replaceAll("{address}", host), ...(gate.expectStatus !== undefined ? { expectStatus: gate.expectStatus } : {}) };
}

/** For messages: a URL's user and password are never shown. */
export function describeTarget(target: GateTarget): string {
  if (target.type === "tcp") return `tcp ${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return target.url.replace(/^(https?:\/\/)[^/@]*@/, "$1(credentials)@");
}

/**
 * Probes until the gate passes or its timeout ends, an attempt every `intervalMs` of the clock.
 * The deadline is checked on the clock, so tests drive it with a fake one.
 */
export async function waitForGate(gate: ReadinessGate, addresses: readonly string[], deps: { clock: Clock; signal: AbortSignal; probe: GateProbe }): Promise<GateResult> {
  const target = gateTarget(gate, addresses);
  if (target.type === "error") return { type: "failed", why: `readiness gate: ${target.why}` };
  const started = deps.clock.now();
  const deadline = started + gate.timeoutMs;
  let attempts = 0;
  let last = "no attempt made";
  for (;;) {
    deps.signal.throwIfAborted();
    attempts += 1;
    const attemptMs = Math.min(MAX_ATTEMPT_MS, Math.max(1000, gate.intervalMs * 5));
    const outcome = await deps.probe(target, attemptMs, deps.signal);
    if (outcome.ok) return { type: "passed", attempts, waitedMs: deps.clock.now() - started };
    last = outcome.why;
    const now = deps.clock.now();
    if (now + gate.intervalMs > deadline) {
      const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
      return { type: "failed", why: `readiness gate ${describeTarget(target)} did not pass within ${formatDuration(gate.timeoutMs)} (${tries}; last: ${last})` };
    }
    await deps.clock.sleep(gate.intervalMs, deps.signal);
  }
}
