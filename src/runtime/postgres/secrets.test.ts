import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactUrl, scrub, secretsOf } from "./secrets.js";

describe("redactUrl", () => {
  it.each([
    ["postgres://reform:s3cret@db.example.com:5432/reform", "postgres://reform:***@db.example.com:5432/reform"],
    [
      "postgresql://reform@db.example.com/reform?sslmode=require",
      "postgresql://reform@db.example.com/reform?sslmode=require",
    ],
    [
      "postgres://reform@db/reform?password=s3cret&sslpassword=k3y",
      "postgres://reform@db/reform?password=***&sslpassword=***",
    ],
    ["postgres://reform:p%40ss@db/reform", "postgres://reform:***@db/reform"],
    ["postgres://[broken", "postgres://… (not a valid URL)"],
  ])("%s → %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it("never shows a password, whatever it is made of", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 30 }), (password) => {
        const url = `postgres://reform:${encodeURIComponent(password)}@db.example.com:5432/reform`;
        const shown = redactUrl(url);
        expect(shown).toBe("postgres://reform:***@db.example.com:5432/reform");
        expect(scrub(`could not connect to ${url}: ${password}`, secretsOf(url, {}))).not.toContain(password);
      }),
    );
  });
});

describe("secretsOf and scrub", () => {
  it("take the URL's password as written and decoded, password parameters and PGPASSWORD", () => {
    const secrets = secretsOf("postgres://u:p%40ss-word@h/d?password=other-one", { PGPASSWORD: "from-env" });
    expect([...secrets].sort()).toEqual(["from-env", "other-one", "p%40ss-word", "p@ss-word"]);
    expect(scrub("p@ss-word and from-env and other-one", secrets)).toBe("*** and *** and ***");
  });

  it("have nothing to take from a URL without a password", () => {
    expect(secretsOf("postgres://u@h/d", {})).toEqual([]);
    expect(scrub("unchanged", [])).toBe("unchanged");
  });
});
