import { describe, expect, it } from "vitest";
import { ServerNames } from "./server-names.js";

describe("ServerNames", () => {
  it("knows every listed server's name, the later listing winning, and skips servers without one", () => {
    const names = new ServerNames();
    names.learn([{ id: "a", name: "web-1" }, { id: "b", name: "web-2" }, { id: "c" }]);
    names.learn([
      { id: "a", name: "web-1-renamed" },
      { id: "d", name: "" },
    ]);
    expect(names.get("a")).toBe("web-1-renamed");
    expect(names.get("b")).toBe("web-2");
    expect(names.get("c")).toBeUndefined();
    expect(names.get("d")).toBeUndefined();
    expect(names.size).toBe(2);
    names.learn([{ id: "b", name: "web-2b" }]);
    expect(names.get("b")).toBe("web-2b");
  });

  it("reads a learned list when a name is looked up, not before", () => {
    const names = new ServerNames();
    const list = [{ id: "a", name: "web-1" }];
    names.learn(list);
    list[0] = { id: "a", name: "as-looked-up" };
    expect(names.get("a")).toBe("as-looked-up");
  });
});
