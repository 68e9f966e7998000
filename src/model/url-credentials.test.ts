import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withoutCredentials } from "./url-credentials.js";

describe("withoutCredentials", () => {
  it.each([
    ["http://u:p@ss@h/healthz", undefined, "http://h/healthz"],
    ["postgress://u:p@ss@h/db", "***", "postgress://***@h/db"],
    ["postgres://reform:pw@127.0.0.1:5432/reform", "(credentials)", "postgres://(credentials)@127.0.0.1:5432/reform"],
    ["HTTP://H:80/ready?n=1", "***", "HTTP://H:80/ready?n=1"],
    ["postgresql:/u:pw@h", "***", "postgresql: (unparseable URL)"],
    ["http://u:a/b@h/x", "***", "http: (unparseable URL)"],
    ["u:pw@h", "***", "(unparseable URL)"],
    ["not a url", "***", "not a url"],
    ["https://u:p@health.example/{address}", "(sensitive)", "https://(sensitive)@health.example/{address}"],
  ])("%s is shown as %s", (url, marker, shown) => {
    expect(withoutCredentials(url, marker)).toBe(shown);
  });

  it("never shows a password, however the user and password are written", () => {
    const part = fc.string({
      unit: fc.constantFrom(..."abcXYZ019@:/%?#\\-._~!$&'()*+,;=".split("")),
      minLength: 0,
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.constantFrom("http", "https", "postgres", "postgresql", "postgress", "mysql"),
        part,
        part,
        fc.boolean(),
        fc.constantFrom(undefined, "***", "(credentials)"),
        (scheme, user, rest, encode, marker) => {
          // "Qz" appears nowhere else in the URL (hosts are lower-cased), so finding it means the password leaked.
          const password = `Qz${rest}`;
          const write = (s: string) => (encode ? encodeURIComponent(s) : s);
          const shown = withoutCredentials(`${scheme}://${write(user)}:${write(password)}@db.example:5432/app`, marker);
          expect(shown).not.toContain("Qz");
          expect(shown.toLowerCase()).not.toContain("qz");
        },
      ),
      { numRuns: 2000 },
    );
  });
});
