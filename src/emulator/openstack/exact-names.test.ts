import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { namePatterns } from "../../providers/openstack/adapter.js";
import { exactNames } from "./nova-list.js";

const nameChars = fc.constantFrom(..."ab-_.*+?^$()[]{}|\\/ 0é");
const name = fc.string({ unit: nameChars, maxLength: 6 });

describe("exactNames (Nova's name filter as a set lookup)", () => {
  it("matches exactly what the regex matches, for the patterns the OpenStack adapter sends", () => {
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 8 }), fc.array(name, { maxLength: 8 }), (names, others) => {
        for (const pattern of namePatterns(names)) {
          const set = exactNames(pattern);
          expect(set, pattern).toBeDefined();
          const regex = new RegExp(pattern);
          for (const candidate of [...names, ...others, ...names.map((n) => `${n}x`), ...names.map((n) => ` ${n}`)])
            expect(set?.has(candidate), `${pattern} on ${JSON.stringify(candidate)}`).toBe(regex.test(candidate));
        }
      }),
    );
  });

  it("gives no set for any pattern that is not an anchored alternation of literals, and agrees with the regex when it gives one", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: nameChars, maxLength: 12 }),
        fc.array(name, { maxLength: 8 }),
        (body, candidates) => {
          const pattern = `^(${body})$`;
          let regex: RegExp;
          try {
            regex = new RegExp(pattern);
          } catch {
            return;
          }
          const set = exactNames(pattern);
          if (set === undefined) return;
          for (const candidate of [...set, ...candidates]) expect(set.has(candidate)).toBe(regex.test(candidate));
        },
      ),
    );
    expect(exactNames("^(web.1)$")).toBeUndefined();
    expect(exactNames("^(web\\d)$")).toBeUndefined();
    expect(exactNames("web-1")).toBeUndefined();
    expect([...(exactNames("^(web\\-1|web-2|a\\.b)$") ?? [])]).toEqual(["web-1", "web-2", "a.b"]);
  });
});
