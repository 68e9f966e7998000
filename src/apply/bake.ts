import type { InstanceAddress } from "../model/address.js";
import type { Clock } from "../model/clock.js";
import type { ReadinessGate } from "../model/desired.js";
import type { GateProbe, GateSubject } from "./gate.js";
import { gateTarget, waitForGate } from "./gate.js";

/** A server to keep checking while a checkpoint bakes: its address in the fleet and what its gate's placeholders stand for. */
export interface BakedServer {
  readonly address: InstanceAddress;
  readonly subject: GateSubject;
}

/**
 * A checkpoint's bake: for `bakeMs`, rounds of the group's gate on every server changed so far (one round at least,
 * a round every gate interval). A server whose probe fails gets the gate's whole timeout to pass again, as after its
 * steps; one that does not is unhealthy, with the gate's last answer, and is not probed again. Without a gate the
 * bake only waits. Returns the unhealthy servers with why.
 */
export async function bakeCheckpoint(
  gate: ReadinessGate | undefined,
  bakeMs: number,
  servers: readonly BakedServer[],
  deps: { readonly clock: Clock; readonly signal: AbortSignal; readonly probe?: GateProbe },
): Promise<Map<InstanceAddress, string>> {
  const sick = new Map<InstanceAddress, string>();
  const end = deps.clock.now() + bakeMs;
  const { probe } = deps;
  if (!gate || !probe) {
    await deps.clock.sleep(bakeMs, deps.signal).catch(() => undefined);
    return sick;
  }
  for (;;) {
    await Promise.all(
      servers
        .filter((s) => !sick.has(s.address))
        .map(async (server) => {
          const why = await recheck(gate, server, { ...deps, probe });
          if (why !== undefined) sick.set(server.address, why);
        }),
    );
    const left = end - deps.clock.now();
    if (left <= 0 || deps.signal.aborted || sick.size === servers.length) return sick;
    await deps.clock.sleep(Math.min(gate.intervalMs, left), deps.signal).catch(() => undefined);
  }
}

/** One round on one server: undefined when its gate passes (at once, or again within the gate's timeout), else why. */
async function recheck(
  gate: ReadinessGate,
  server: BakedServer,
  deps: { readonly clock: Clock; readonly signal: AbortSignal; readonly probe: GateProbe },
): Promise<string | undefined> {
  const target = gateTarget(gate, server.subject);
  if (target.type === "error") return `readiness gate: ${target.why}`;
  const first = await deps.probe(target, Math.min(10_000, Math.max(1000, gate.intervalMs * 5)), deps.signal);
  if (first.ok) return undefined;
  const again = await waitForGate(gate, server.subject, deps);
  return again.type === "passed" ? undefined : again.why;
}
