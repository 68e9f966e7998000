import { groupMatcher } from "../config/expand.js";

/** Characters that mean something in a name glob (picomatch): written with a backslash to mean themselves. */
const SPECIAL = /[\\*?[\]{}()!+@,|^$]/g;
/** Where a name's words part: a glob is cut back to one of these so that it reads like a person's (`web-*`, not `web-0*`). */
const SEPARATOR = /[-_.: /]/;
/** Names whose literal glob selects exactly them (globs.test.ts checks it). */
const PLAIN = /^[A-Za-z0-9][^/\\]*$/;
/** Names picomatch may read otherwise than as plain text (a leading "./", a "/", a backslash): every check looks at them. */
const UNUSUAL = /^\.|[/\\]/;

/** A glob that matches exactly `text` (for names of letters, digits and punctuation other than '/', '\' and a leading '.'). */
export function literalGlob(text: string): string {
  return text.replace(SPECIAL, "\\$&");
}

/**
 * Every server name of a provider, with how many servers bear each, and how many servers a glob selects (memoized:
 * a provider of 10,000 servers has thousands of candidate globs, most of them shared). A glob is tried only on the
 * names its literal start allows, found by binary search in the sorted names.
 */
export class ServerNames {
  readonly #sorted: readonly string[];
  readonly #count = new Map<string, number>();
  readonly #unusual: readonly string[];
  readonly #selected = new Map<string, number>();

  constructor(names: Iterable<string>) {
    for (const name of names) this.#count.set(name, (this.#count.get(name) ?? 0) + 1);
    this.#sorted = [...this.#count.keys()].filter((n) => !UNUSUAL.test(n)).sort();
    this.#unusual = [...this.#count.keys()].filter((n) => UNUSUAL.test(n));
  }

  /** How many servers bear this name. */
  count(name: string): number {
    return this.#count.get(name) ?? 0;
  }

  /** How many servers the glob selects, with the planner's group matcher. */
  selected(glob: string): number {
    const known = this.#selected.get(glob);
    if (known !== undefined) return known;
    const matches = nameMatcher(glob);
    let total = 0;
    for (const name of [...this.#startingWith(literalHead(glob)), ...this.#unusual])
      if (matches(name)) total += this.#count.get(name) ?? 0;
    this.#selected.set(glob, total);
    return total;
  }

  #startingWith(prefix: string): readonly string[] {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.#sorted[mid] ?? "") < prefix) low = mid + 1;
      else high = mid;
    }
    let end = low;
    while (end < this.#sorted.length && (this.#sorted[end] ?? "").startsWith(prefix)) end++;
    return this.#sorted.slice(low, end);
  }
}

/**
 * A name glob that selects every one of `members` and no other server of `names` (the provider's, members included),
 * with the matcher the planner uses for groups; the most readable that fits: `web-*`, `web-*.prod`, `web-[0-9]*`,
 * then a brace list of such globs and names (`{web-*,db-7}`), then the names themselves. Undefined when even that
 * does not fit (another server bears a member's name).
 */
export function nameGlob(members: readonly string[], names: ServerNames): string | undefined {
  const distinct = [...new Set(members)].sort();
  // picomatch 4.0.7 never returns from compiling some globs with an escaped backslash (`\]\\\\`): no glob is made of such a name.
  if (distinct.length === 0 || distinct.some((m) => m.includes("\\"))) return undefined;
  // The pieces of a brace list are checked one by one (each selects only members, together exactly all of them):
  // a list of a thousand names is then a thousand small lookups, not a thousand-way pattern over every name.
  const literals = new Map(distinct.map((m) => [literalGlob(m), m]));
  // A piece that is a plain name selects the servers of that name: counted, not matched.
  const selected = (piece: string) => {
    const name = literals.get(piece);
    return name !== undefined && PLAIN.test(name) ? names.count(name) : names.selected(piece);
  };
  const covers = (pieces: readonly string[]) => {
    const globs = pieces.filter((p) => !literals.has(p));
    return distinct.every((m) => pieces.includes(literalGlob(m)) || globs.some((g) => nameMatcher(g)(m)));
  };
  const fits = (pieces: readonly string[]) =>
    pieces.reduce((n, p) => n + selected(p), 0) === members.length && covers(pieces);
  const count = new Map<string, number>();
  for (const m of members) count.set(m, (count.get(m) ?? 0) + 1);
  for (const pieces of [
    ...singleGlobs(distinct).map((g) => [g]),
    stemPieces(distinct, count, names),
    distinct.map(literalGlob),
  ]) {
    if (!fits(pieces)) continue;
    const glob = braces(pieces);
    if (distinct.every(nameMatcher(glob))) return glob;
  }
  return undefined;
}

/**
 * The text every name a glob selects starts with: its characters up to the first special one ("" when that text
 * could be read otherwise: names like that are checked whatever the glob).
 */
function literalHead(glob: string): string {
  let head = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? "";
    if (c === "\\") {
      head += glob[i + 1] ?? "";
      i++;
    } else if (/[*?[\]{}()!+@,|^$]/.test(c)) break;
    else head += c;
  }
  return UNUSUAL.test(head) ? "" : head;
}

const matchers = new Map<string, (name: string) => boolean>();

/** The planner's group matcher (config/expand.ts), on names alone; compiled once per glob. */
function nameMatcher(glob: string): (name: string) => boolean {
  let matcher = matchers.get(glob);
  if (!matcher) {
    const matches = groupMatcher({ match: { name: glob } });
    matcher = (name) => matches({ id: "", name, metadata: {} });
    if (matchers.size >= 50_000) matchers.clear();
    matchers.set(glob, matcher);
  }
  return matcher;
}

/** One glob from the members' common prefix (cut back to a word boundary first) and common suffix. */
function singleGlobs(members: readonly string[]): string[] {
  const prefix = commonPrefix(members);
  const shortest = Math.min(...members.map((n) => n.length));
  const suffix = commonSuffix(
    members.map((n) => n.slice(prefix.length)),
    shortest - prefix.length,
  );
  const cut = cutToWord(prefix);
  const rests = members.map((n) => n.slice(prefix.length));
  const globs = [`${literalGlob(cut)}*`, `${literalGlob(prefix)}*`];
  if (rests.every((r) => /^[0-9]/.test(r))) globs.push(`${literalGlob(prefix)}[0-9]*`);
  // A suffix that starts a word (`.prod`, `-eu`), not the tail of a number.
  if (SEPARATOR.test(suffix[0] ?? ""))
    globs.push(`${literalGlob(cut)}*${literalGlob(suffix)}`, `${literalGlob(prefix)}*${literalGlob(suffix)}`);
  return [...new Set(globs)];
}

/** `web-*`, `api-*`, `db-7`: each member by the glob of its stem (the name without its trailing number) where that selects members only, else by name. */
function stemPieces(members: readonly string[], count: ReadonlyMap<string, number>, names: ServerNames): string[] {
  const onlyMembers = new Map<string, boolean>();
  const pieces = new Set<string>();
  for (const name of members) {
    const stem = /^(.*?)[0-9]+$/.exec(name)?.[1] ?? "";
    const glob = `${literalGlob(stem)}*`;
    if (stem !== "" && !onlyMembers.has(glob)) {
      const matches = nameMatcher(glob);
      onlyMembers.set(
        glob,
        names.selected(glob) === members.reduce((n, m) => n + (matches(m) ? (count.get(m) ?? 0) : 0), 0),
      );
    }
    pieces.add(onlyMembers.get(glob) === true ? glob : literalGlob(name));
  }
  return [...pieces].sort();
}

/** `{a,b}`, or the one piece; a `..` inside braces would read as a range (`{1..3}`), so its dots are written `[.]`. */
function braces(pieces: readonly string[]): string {
  return pieces.length === 1
    ? (pieces[0] ?? "")
    : `{${pieces.map((p) => p.replace(/\.(?=\.)|(?<=\.)\./g, "[.]")).join(",")}}`;
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
