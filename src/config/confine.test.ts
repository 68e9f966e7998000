import { join, resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FleetScope } from "./confine.js";
import { confinePath, inside } from "./confine.js";

/** A tree whose only link is /repo/out → /elsewhere; nothing else exists but /repo/a.yaml. */
const scope: FleetScope = {
  baseDir: "/repo",
  root: "/repo",
  label: "the fleet file's directory",
  realPath: async (path) => {
    const real = path === "/repo/out" || path.startsWith("/repo/out/") ? path.replace("/repo/out", "/elsewhere") : path;
    return { path: real, exists: real === "/repo/a.yaml" };
  },
};

describe("confinePath", () => {
  it("accepts paths inside the root and returns their real path", async () => {
    expect(await confinePath("a.yaml", scope)).toEqual({ type: "ok", path: "/repo/a.yaml", exists: true });
    expect(await confinePath("sub/../a.yaml", scope)).toEqual({ type: "ok", path: "/repo/a.yaml", exists: true });
    expect(await confinePath("new/state.json", scope)).toEqual({
      type: "ok",
      path: "/repo/new/state.json",
      exists: false,
    });
  });

  it("refuses absolute paths, .. that leaves the root, links that lead out and NUL, naming the path as written", async () => {
    expect(await confinePath("/etc/shadow", scope)).toMatchObject({
      type: "error",
      message: expect.stringContaining("'/etc/shadow' is an absolute path") as unknown,
    });
    expect(await confinePath("../secrets.env", scope)).toMatchObject({
      type: "error",
      message: expect.stringContaining("'../secrets.env' leads outside the fleet file's directory") as unknown,
    });
    expect(await confinePath("out/x", scope)).toMatchObject({
      type: "error",
      message: expect.stringContaining("'out/x' is, or passes through, a symbolic link") as unknown,
    });
    expect(await confinePath("a\0b", scope)).toMatchObject({
      type: "error",
      message: expect.stringContaining("NUL") as unknown,
    });
  });

  it("never returns a path outside the root, whatever the relative path", async () => {
    const segment = fc.constantFrom("..", ".", "a", "out", "sub", "a.yaml", "..%2f", "");
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 8 }), async (segments) => {
        const written = segments.join("/");
        fc.pre(written !== "" && !written.startsWith("/"));
        const result = await confinePath(written, scope);
        if (result.type === "ok") expect(inside("/repo", result.path)).toBe(true);
        const lexical = resolve("/repo", written);
        const escapes = !inside("/repo", lexical) || inside("/repo/out", lexical);
        expect(result.type).toBe(escapes ? "error" : "ok");
      }),
    );
  });
});

describe("inside", () => {
  it("is true for the directory and below it only", () => {
    expect(inside("/repo", "/repo")).toBe(true);
    expect(inside("/repo", join("/repo", "a", "b"))).toBe(true);
    expect(inside("/repo", "/repo-other/a")).toBe(false);
    expect(inside("/repo", "/")).toBe(false);
    expect(inside("/repo", "/repo/..hidden")).toBe(true);
  });
});
