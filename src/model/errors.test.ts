import { describe, expect, it } from "vitest";
import { ConfigError, ReformError, describeError } from "./errors.js";

describe("describeError", () => {
  it("puts a ConfigError's diagnostics on one line, each located (its message spreads them over several)", () => {
    const error = new ConfigError([
      {
        location: { file: "fleet.yaml", line: 4, column: 5 },
        message: "environment variable PW is not set (spec.password of jd/web-1, needed by its rebuild)",
      },
      { message: "another problem" },
    ]);
    expect(error.message).toContain("\n");
    expect(describeError(error)).toBe(
      "fleet.yaml:4:5: environment variable PW is not set (spec.password of jd/web-1, needed by its rebuild); another problem",
    );
  });

  it("gives other errors' messages as they are", () => {
    expect(describeError(new ReformError("TIMEOUT", "wait timed out"))).toBe("wait timed out");
    expect(describeError("plain")).toBe("plain");
  });
});
