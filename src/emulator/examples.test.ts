import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadWorldFile } from "./world.js";

const EXAMPLES = resolve(import.meta.dirname, "../../examples");
const files = [
  ...readdirSync(join(EXAMPLES, "worlds"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(EXAMPLES, "worlds", f)),
  join(EXAMPLES, "quickstart-world.yaml"),
];

describe("example world files", () => {
  it("finds them", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)("%s parses and seeds servers", async (file) => {
    const world = await loadWorldFile(file);
    const seeded =
      (world.openstack?.servers.length ?? 0) +
      (world.huaweicloud?.servers.length ?? 0) +
      (world.jdcloud?.instances.length ?? 0);
    expect(seeded).toBeGreaterThan(0);
  });
});
