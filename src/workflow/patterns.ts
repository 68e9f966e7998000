import { closest } from "../model/suggest.js";
import type { InstanceAddress } from "../model/address.js";
import type { FieldPath } from "../model/change.js";
import { globMatcher } from "../model/globs.js";
import { isTargeted } from "../plan/targets.js";

/** `--ignore` entries: a value with a `/` is an address glob (`dc1/web-*`), anything else a field glob (`metadata.monitoring`, `userData`, `image`). */
export interface DriftIgnore {
  readonly field: (path: FieldPath) => boolean;
  readonly address: (address: InstanceAddress) => boolean;
}

/** The fields a drift report compares (besides `metadata.KEY`), and the spellings of the plan document and the fleet file. */
const FIELDS: readonly FieldPath[] = ["image", "keyPair", "userData", "reboot", "power", "status"];
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  key_pair: "keyPair",
  user_data: "userData",
  keypair: "keyPair",
  userdata: "userData",
};
const GLOB_CHARACTER = /[*?[\]{}()!+@]/;

export function parseIgnores(values: readonly string[]): DriftIgnore {
  const addresses = values.filter((v) => v.includes("/"));
  const fields = values.filter((v) => !v.includes("/")).map((v) => FIELD_ALIASES[v] ?? v);
  const fieldMatch = globMatcher(fields);
  return { field: (path) => fieldMatch(path), address: globMatcher(addresses) };
}

/** A warning for each `--target` glob that matches none of the fleet's servers: it silently selects nothing otherwise. */
export function targetWarnings(targets: readonly string[], addresses: readonly InstanceAddress[]): string[] {
  return targets
    .filter((t) => !addresses.some((a) => isTargeted(a, [t])))
    .map((t) => `--target '${t}' ${noServer(t, addresses)}`);
}

/**
 * A warning for each `--ignore` value that can silence nothing: an address glob that matches none of the fleet's
 * servers, or a field that is not one (a field that merely did not differ this time is fine: known noise comes and goes).
 */
export function ignoreWarnings(values: readonly string[], addresses: readonly InstanceAddress[]): string[] {
  return values.flatMap((value) => {
    if (value.includes("/"))
      return addresses.some((a) => globMatcher([value])(a))
        ? []
        : [`--ignore '${value}' ${noServer(value, addresses)}`];
    if (namesField(FIELD_ALIASES[value] ?? value)) return [];
    const hint = closest(value, [...FIELDS, ...Object.keys(FIELD_ALIASES), "metadata.*"]);
    const fields = `${FIELDS.join(", ")}, metadata.KEY (globs allowed)`;
    return [
      `--ignore '${value}' is not a field (${fields}) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing${hint ? `; did you mean '${hint}'?` : ""}`,
    ];
  });
}

/** A field name, `metadata.KEY`, or a glob whose literal start can begin one (`meta*`, `*backup`): a glob is given the benefit of the doubt. */
function namesField(pattern: string): boolean {
  const literal = pattern.split(GLOB_CHARACTER)[0] ?? "";
  if (literal === pattern) return (FIELDS as readonly string[]).includes(pattern) || /^metadata\../.test(pattern);
  return [...FIELDS, "metadata."].some((field) => field.startsWith(literal) || literal.startsWith("metadata."));
}

function noServer(pattern: string, addresses: readonly InstanceAddress[]): string {
  const example = addresses[0] === undefined ? "" : ` (addresses are PROVIDER/NAME, e.g. ${addresses[0]})`;
  const hint = withProvider(pattern, addresses) ?? closest(pattern, addresses);
  return `matches no server of the fleet${example}: it selects nothing${hint ? `; did you mean '${hint}'?` : ""}`;
}

/** A name given without its provider (`web-1`): the one address it names, or `*\/web-1` when several providers have it. */
function withProvider(pattern: string, addresses: readonly InstanceAddress[]): string | undefined {
  if (pattern.includes("/")) return undefined;
  const matching = addresses.filter((a) => globMatcher([`*/${pattern}`])(a));
  if (matching.length === 0) return undefined;
  return matching.length === 1 ? matching[0] : `*/${pattern}`;
}
