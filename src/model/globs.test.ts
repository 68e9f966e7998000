import { describe, expect, it } from "vitest";
import { globMatcher } from "./globs.js";

describe("globMatcher", () => {
  it("matches any of the globs, dot names included", () => {
    const matches = globMatcher(["web-*", ".hidden"]);
    expect(["web-1", ".hidden", "db-1"].map(matches)).toEqual([true, true, false]);
  });

  it("matches a literal backslash written as two", () => {
    expect(globMatcher(["a\\\\b"])("a\\b")).toBe(true);
    expect(globMatcher(["a\\\\b"])("ab")).toBe(false);
  });

  it("refuses a glob with three or more backslashes in a row, which picomatch 4.0.7 may never finish parsing", () => {
    expect(() => globMatcher(["web-*", "\\]\\\\\\\\"])).toThrow(
      "glob '\\]\\\\\\\\' has three or more backslashes in a row",
    );
  });
});
