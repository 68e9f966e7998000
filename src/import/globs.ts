import { groupMatcher } from "../config/expand.js";

/** Characters that mean something in a name glob (picomatch): written with a backslash to mean themselves. */
const SPECIAL = /[\\*?[\]{}()!+@,|^$]/g;
/** Where a name's words part: a glob is cut back to one of these so that it reads like a person's (`web-*`, not `web-0*`). */
const SEPARATOR = /[-_.: /]/;

/** A glob that matches exactly `text`. */
export function literalGlob(text: string): string {
  return text.replace(SPECIAL, "\\$&");
}

/**
 * A name glob that selects every one of `members` and none of `others`, with the matcher the planner uses for
 * groups; the most readable that fits: `web-*`, `web-*.prod`, `web-[0-9]*`, then a brace list of such globs and
 * names (`{web-*,db-7}`), then the names themselves. Undefined when even that does not fit (names no glob can tell apart).
 */
export function nameGlob(members: readonly string[], others: readonly string[]): string | undefined {
  const sorted = [...new Set(members)].sort();
  if (sorted.length === 0) return undefined;
  const fits = (glob: string) => {
    const matches = nameMatcher(glob);
    return sorted.every(matches) && !others.some(matches);
  };
  return [...singleGlobs(sorted), stemList(sorted, others), nameList(sorted)].find((glob) => glob !== undefined && fits(glob));
}

/** The planner's group matcher (config/expand.ts), on names alone. */
function nameMatcher(glob: string): (name: string) => boolean {
  const matches = groupMatcher({ match: { name: glob } });
  return (name) => matches({ id: "", name, metadata: {} });
}

/** One glob from the members' common prefix (cut back to a word boundary first) and common suffix. */
function singleGlobs(names: readonly string[]): string[] {
  const prefix = commonPrefix(names);
  const shortest = Math.min(...names.map((n) => n.length));
  const suffix = commonSuffix(names.map((n) => n.slice(prefix.length)), shortest - prefix.length);
  const cut = cutToWord(prefix);
  const rests = names.map((n) => n.slice(prefix.length));
  const globs = [`${literalGlob(cut)}*`, `${literalGlob(prefix)}*`];
  if (rests.every((r) => /^[0-9]/.test(r))) globs.push(`${literalGlob(prefix)}[0-9]*`);
  if (suffix !== "") globs.push(`${literalGlob(cut)}*${literalGlob(suffix)}`, `${literalGlob(prefix)}*${literalGlob(suffix)}`);
  return [...new Set(globs)];
}

/** `{web-*,api-*,db-7}`: each member by the glob of its stem (the name without its trailing number) where that fits, else by name. */
function stemList(names: readonly string[], others: readonly string[]): string | undefined {
  const selectsNoOther = new Map<string, boolean>();
  const pieces = new Set<string>();
  for (const name of names) {
    const stem = /^(.*?)[0-9]+$/.exec(name)?.[1] ?? "";
    const glob = `${literalGlob(stem)}*`;
    if (stem !== "" && !selectsNoOther.has(glob)) selectsNoOther.set(glob, !others.some(nameMatcher(glob)));
    pieces.add(selectsNoOther.get(glob) === true ? glob : literalGlob(name));
  }
  return braces([...pieces].sort());
}

function nameList(names: readonly string[]): string | undefined {
  return braces(names.map(literalGlob));
}

/** `{a,b}`; a `..` inside would read as a range (`{1..3}`), so its dots are written `[.]`. */
function braces(pieces: readonly string[]): string | undefined {
  if (pieces.length === 0) return undefined;
  return pieces.length === 1 ? pieces[0] : `{${pieces.map((p) => p.replace(/\.(?=\.)|(?<=\.)\./g, "[.]")).join(",")}}`;
}

function commonPrefix(names: readonly string[]): string {
  let prefix = names[0] ?? "";
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

function commonSuffix(rests: readonly string[], longest: number): string {
  let suffix = (rests[0] ?? "").slice(Math.max(0, (rests[0] ?? "").length - longest));
  for (const rest of rests) while (!rest.endsWith(suffix)) suffix = suffix.slice(1);
  return suffix;
}

/** The prefix up to and including its last separator, when it has one. */
function cutToWord(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) if (SEPARATOR.test(prefix[i] ?? "")) return prefix.slice(0, i + 1);
  return prefix;
}

/** A group name from its servers' names: the word most of them start with (`web-01`, `web-02`, `canary` → `web`), or undefined. */
export function groupNameOf(names: readonly string[]): string | undefined {
  const tally = new Map<string, number>();
  for (const name of names) {
    const word = (/^[A-Za-z0-9][A-Za-z0-9_.-]*/.exec(name)?.[0] ?? "").replace(/[-_.0-9]+$/, "");
    if (/^[A-Za-z0-9]/.test(word)) tally.set(word, (tally.get(word) ?? 0) + 1);
  }
  return [...tally.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))[0]?.[0];
}
