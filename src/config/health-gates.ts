import type { Diagnostic } from "../model/errors.js";
import type { NodePath, ParsedFleetText } from "./parse.js";
import { formatPath, locate } from "./parse.js";
import type { RawFleet, RawGate } from "./raw.js";

const HEALTH = "{health}";

/**
 * `{health}` at the start of a gate URL is a sim provider's emulator (its health route): a gate that would probe it
 * for servers of another provider is an error at the gate, found before any server is changed (at apply it would fail
 * only after the server's steps ran). A group without `provider:` may select the servers of every provider.
 */
export function checkHealthGates(raw: RawFleet, parsed: ParsedFleetText, diagnostics: Diagnostic[]): void {
  const types = new Map(Object.entries(raw.providers).map(([name, entry]) => [name, entry.type]));
  const others = (names: readonly string[]) =>
    [...new Set(names)].filter((name) => types.has(name) && types.get(name) !== "sim");
  const report = (at: NodePath, servers: string, providers: readonly string[]) =>
    diagnostics.push({
      location: locate(parsed, at),
      message: `${formatPath(at)}: ${HEALTH} is the embedded simulator's health route, which only sim providers have; ${servers} ${providers.map((p) => `${p} (${types.get(p) ?? ""})`).join(", ")}: write the URL to probe instead, or give the group its sim provider`,
    });
  const defaultsGate = usesHealth(raw.defaults?.rollout?.gate)
    ? (["defaults", "rollout", "gate", "http"] as NodePath)
    : undefined;
  for (const [index, group] of (raw.groups ?? []).entries()) {
    const own = group.rollout?.gate;
    const at =
      own !== undefined ? (usesHealth(own) ? ["groups", index, "rollout", "gate", "http"] : undefined) : defaultsGate;
    if (at === undefined) continue;
    const providers = others(group.provider !== undefined ? [group.provider] : [...types.keys()]);
    if (providers.length > 0)
      report(at, `group ${group.name} ${group.provider !== undefined ? "is on" : "may select servers of"}`, providers);
  }
  const declared = others((raw.instances ?? []).map((i) => i.provider));
  if (defaultsGate !== undefined && declared.length > 0)
    report(defaultsGate, "the servers under instances: are on", declared);
}

function usesHealth(gate: RawGate | undefined): boolean {
  return gate?.http?.startsWith(HEALTH) === true;
}
