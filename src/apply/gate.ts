import type { Clock } from "../model/clock.js";
import type { InstanceChange } from "../model/change.js";
import type { ReadinessGate } from "../model/desired.js";
import { withoutCredentials } from "../model/url-credentials.js";
import type { ObservedInstance } from "../model/observed.js";
import type { ProviderAdapter } from "../model/provider.js";
import { formatDuration } from "./duration.js";

/** What one attempt probes: a TCP port or a URL, with its placeholders already replaced. */
export type GateTarget =
  | { readonly type: "tcp"; readonly host: string; readonly port: number }
  | { readonly type: "http"; readonly url: string; readonly expectStatus?: number };

/** One attempt: `ok`, or why it did not pass (connection refused, status 503...). Never throws. */
export type GateProbe = (
  target: GateTarget,
  attemptTimeoutMs: number,
  signal: AbortSignal,
) => Promise<{ readonly ok: true } | { readonly ok: false; readonly why: string }>;

export type GateResult =
  | { readonly type: "passed"; readonly attempts: number; readonly waitedMs: number }
  | { readonly type: "failed"; readonly why: string };

/** Longest single attempt: a hung port does not eat a whole gate timeout in one go. */
const MAX_ATTEMPT_MS = 10_000;

/** What a gate's placeholders stand for, for one server. */
export interface GateSubject {
  /** The cloud's server id: `{id}`. */
  readonly id: string;
  /** The server's name: `{name}`. */
  readonly name: string;
  /** Its IP addresses as the cloud lists them, the first one being `{address}` (and a `tcp` gate's host). */
  readonly addresses: readonly string[];
  /** The server's provider, for messages. */
  readonly provider: string;
  /** `{health}`: the base URL of the embedded emulator's health route, known only for a `sim` provider. */
  readonly health?: string;
}

/** A server's placeholders: as last read (after verification), else as planned (no address then). */
export function gateSubjectOf(
  change: InstanceChange,
  instance: ObservedInstance | undefined,
  adapter: Pick<ProviderAdapter, "healthUrl">,
): GateSubject {
  return {
    id: instance?.id ?? change.id,
    name: instance?.name ?? change.name,
    addresses: instance?.addresses ?? [],
    provider: change.provider,
    ...(adapter.healthUrl !== undefined ? { health: adapter.healthUrl } : {}),
  };
}

/** `{health}` stands for the emulator's health route only at the very start of a URL. */
const HEALTH_PLACEHOLDER = "{health}";

/**
 * The probe target for a server. In a URL, `{address}` becomes its first address ([bracketed] when IPv6), `{id}` and
 * `{name}` its id and name percent-encoded (a cloud's value can never add a host, port, path, query or credentials
 * to the URL the fleet file wrote), and a leading `{health}` the health route of a sim provider's emulator.
 */
export function gateTarget(
  gate: ReadinessGate,
  subject: GateSubject,
): GateTarget | { readonly type: "error"; readonly why: string } {
  const address = subject.addresses[0];
  const needsAddress = gate.type === "tcp" || gate.url.includes("{address}");
  if (needsAddress && address === undefined) return { type: "error", why: "the server has no IP address to probe" };
  if (gate.type === "tcp") return { type: "tcp", host: address ?? "", port: gate.port };
  let url = gate.url;
  if (url.startsWith(HEALTH_PLACEHOLDER)) {
    if (subject.health === undefined)
      return {
        type: "error",
        why: `{health} is the embedded simulator's health route, and provider ${subject.provider} is not a sim provider`,
      };
    url = subject.health + url.slice(HEALTH_PLACEHOLDER.length);
  }
  const id = encoded(subject.id);
  const name = encoded(subject.name);
  if (typeof id !== "string") return { type: "error", why: `the server's id ${id.why}` };
  if (typeof name !== "string") return { type: "error", why: `the server's name ${name.why}` };
  const host = address?.includes(":") ? `[${address}]` : (address ?? "");
  url = url.replaceAll("{address}", host).replaceAll("{id}", id).replaceAll("{name}", name);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    return {
      type: "error",
      why: `${describeUrl(url)} is not an http:// or https:// URL once its placeholders are replaced`,
    };
  return { type: "http", url, ...(gate.expectStatus !== undefined ? { expectStatus: gate.expectStatus } : {}) };
}

/** For messages: a URL's user and password are never shown. */
export function describeTarget(target: GateTarget): string {
  if (target.type === "tcp")
    return `tcp ${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  return describeUrl(target.url);
}

/**
 * Percent-encoded for any part of a URL, or why it cannot be: a string with a lone surrogate (encodeURIComponent
 * throws), or `.` and `..`, which a URL parser takes as path steps (`/servers/..` is `/`), encoded or not.
 */
function encoded(value: string): string | { readonly why: string } {
  if (value === "." || value === "..")
    return { why: `'${value}' is a path step in a URL (it would move the probe to another path)` };
  try {
    return encodeURIComponent(value);
  } catch {
    return { why: "is not well-formed Unicode and cannot be put in a URL" };
  }
}

function describeUrl(url: string): string {
  return withoutCredentials(url, "(credentials)");
}

/**
 * Probes until the gate passes or its timeout ends, an attempt every `intervalMs` of the clock.
 * The deadline is checked on the clock, so tests drive it with a fake one.
 */
export async function waitForGate(
  gate: ReadinessGate,
  subject: GateSubject,
  deps: { clock: Clock; signal: AbortSignal; probe: GateProbe },
): Promise<GateResult> {
  const target = gateTarget(gate, subject);
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
      return {
        type: "failed",
        why: `readiness gate ${describeTarget(target)} did not pass within ${formatDuration(gate.timeoutMs)} (${tries}; last: ${last})`,
      };
    }
    await deps.clock.sleep(gate.intervalMs, deps.signal);
  }
}
