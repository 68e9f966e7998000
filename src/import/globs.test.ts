import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupMatcher } from "../config/expand.js";
import { groupNameOf, literalGlob, nameGlob as globOf, ServerNames } from "./globs.js";

/** A glob for `members` among `members` and `others`. */
const nameGlob = (members: readonly string[], others: readonly string[]) =>
  globOf(members, new ServerNames([...members, ...others]));

/** The planner's own group matcher, on names. */
const selects = (glob: string, name: string) => groupMatcher({ match: { name: glob } })({ id: "", name, metadata: {} });

describe("nameGlob: a glob that selects exactly the group's servers", () => {
  it.each([
    ["a common prefix, cut back to a word", ["web-01", "web-02", "web-03"], ["db-01"], "web-*"],
    ["the whole prefix when the word would take others", ["web-1", "web-2"], ["web-db-1"], "web-[0-9]*"],
    ["prefix and suffix", ["web-1.prod", "web-2.prod"], ["web-1.test"], "web-*.prod"],
    ["every server of the provider", ["a", "b"], [], "*"],
    ["stems where one prefix does not fit", ["api-1", "api-2", "web-1", "web-2"], ["db-1"], "{api-*,web-*}"],
    ["names where no stem fits", ["node-3", "node-7"], ["node-1", "node-10"], "{node-3,node-7}"],
    ["special characters, escaped", ["a*b-1", "a*b-2"], ["axb-1"], "a\\*b-*"],
  ])("%s", (_label, members, others, glob) => {
    expect(nameGlob(members, others)).toBe(glob);
    for (const name of members) expect(selects(glob, name), name).toBe(true);
    for (const name of others) expect(selects(glob, name), name).toBe(false);
  });

  it("finds none when another server has a member's name", () => {
    expect(nameGlob(["web-1", "web-2"], ["web-1"])).toBeUndefined();
  });

  const anyName = fc.stringMatching(/^[a-z0-9*?{}[\](),!+@./\\ -]{1,8}$/);
  const plainName = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,7}$/);
  const split = <T>(names: readonly T[], cut: number) => {
    const at = 1 + (cut % (names.length - 1));
    return { members: names.slice(0, at), others: names.slice(at) };
  };

  it("never returns a glob that misses a member or selects another server, whatever the names (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(anyName, { minLength: 2, maxLength: 14 }), fc.nat(), (names, cut) => {
        const { members, others } = split(names, cut);
        const glob = nameGlob(members, others);
        if (glob === undefined) return;
        for (const m of members) expect(selects(glob, m), `${glob} ${m}`).toBe(true);
        for (const o of others) expect(selects(glob, o), `${glob} ${o}`).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it("always finds one for names of letters, digits, '-', '_' and '.' (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(plainName, { minLength: 2, maxLength: 14 }), fc.nat(), (names, cut) => {
        const { members, others } = split(names, cut);
        expect(nameGlob(members, others)).toBeDefined();
      }),
      { numRuns: 400 },
    );
  });

  it("literalGlob selects exactly its text when the text starts with a letter or digit and has no '/', '\\' or '.' (property)", () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9*?{}[\](),!+@ -]{0,7}$/);
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(selects(literalGlob(a), a)).toBe(true);
        expect(selects(literalGlob(a), b)).toBe(a === b);
      }),
      { numRuns: 400 },
    );
  });
});

describe("groupNameOf", () => {
  it.each([
    [["web-01", "web-02"], "web"],
    [["web-01", "web-02", "canary"], "web"],
    [["app.1", "job.1"], "app"],
    [["1-a", "2-b"], "1-a"],
    [["*x", "-y"], undefined],
  ])("%j → %s", (names, expected) => {
    expect(groupNameOf(names)).toBe(expected);
  });
});
