import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

/** Test support files (`*.test.ts`, `test-*.ts`) are not checked. Which top-level folders of src/ each folder may import. The CLI is the composition root and may import anything. */
const ALLOWED: Record<string, readonly string[]> = {
  model: ["model"],
  config: ["model", "config"],
  plan: ["model", "plan"],
  render: ["model", "render"],
  apply: ["model", "apply", "plan"],
  runtime: ["model", "runtime", "apply"],
  workflow: ["model", "workflow", "config", "plan", "apply", "render", "import"],
  // reform import's pure core: live servers → a fleet file's text (grouping, defaults, rendering)
  import: ["model", "import", "config"],
  emulator: ["model", "emulator"],
  "providers/http": ["model", "providers/http"],
  "providers/openstack": ["model", "providers/http", "providers/openstack"],
  "providers/huawei": ["model", "providers/http", "providers/huawei"],
  "providers/jdcloud": ["model", "providers/http", "providers/jdcloud"],
  "providers/sim": ["model", "providers", "providers/http", "providers/openstack", "providers/sim", "emulator"],
  // registry.ts is the only file that knows every provider type
  providers: ["model", "providers", "providers/openstack", "providers/huawei", "providers/sim", "providers/jdcloud"],
  cli: ["*"],
  index: ["*"],
  version: [],
};

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.startsWith("test-")
      ? [path]
      : [];
  });
}

/** The folder a file belongs to for the rules: `providers/<cloud>` for provider code, else the top-level folder. */
function areaOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  const top = parts[0] ?? "";
  if (parts.length === 1) return top.replace(/\.ts$/, "");
  if (top === "providers" && parts.length > 2) return `providers/${parts[1]}`;
  return top;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map(
    (m) => (m[1] ?? m[2]) as string,
  );
}

describe("architecture", () => {
  const files = listFiles(SRC);

  it("finds the source tree", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it("keeps every import edge inside the allowed dependency direction", () => {
    const violations: string[] = [];
    for (const file of files) {
      const area = areaOf(file);
      const allowed = ALLOWED[area];
      if (!allowed) {
        violations.push(`${relative(SRC, file)}: folder "${area}" has no rule in test/architecture.test.ts`);
        continue;
      }
      if (allowed.includes("*")) continue;
      for (const spec of importsOf(file).filter((s) => s.startsWith("."))) {
        const target = areaOf(resolve(dirname(file), spec));
        if (!allowed.includes(target)) violations.push(`${relative(SRC, file)} imports ${spec} (${area} → ${target})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("uses the node: protocol for built-ins", () => {
    const builtins =
      /^(fs|path|url|http|https|net|crypto|os|child_process|util|events|stream|timers|zlib|readline|tty)(\/|$)/;
    const offenders = files.flatMap((f) =>
      importsOf(f)
        .filter((s) => builtins.test(s))
        .map((s) => `${relative(SRC, f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it("keeps adapters stateless about operations: no Map, WeakMap, Set or WeakSet keyed by a handle, a query or a job", () => {
    // Whether a step is done is apply's to decide (src/apply/completion.ts); an adapter only says what a poll shows.
    const keyedByOperation =
      /\b(?:Weak)?(?:Map|Set)\s*<\s*(?:Readonly<\s*)?Operation(?:Handle|Query|Observation)\b|\bnew\s+(?:Weak)?(?:Map|Set)\s*\(\s*\w+\.map\(\s*\(?\s*\w+\s*\)?\s*=>\s*\[\s*\w+\.handle\b/;
    expect(keyedByOperation.test("readonly #tracking = new Map<OperationHandle, Tracking>();")).toBe(true);
    expect(keyedByOperation.test("const byHandle = new Map(statuses.map((s) => [s.handle, s]));")).toBe(true);
    const offenders = files.filter(
      (f) => areaOf(f).startsWith("providers") && keyedByOperation.test(readFileSync(f, "utf8")),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });

  it("never prints from library code", () => {
    const offenders = files.filter(
      (f) => !["cli"].includes(areaOf(f)) && /\bconsole\.(log|error|warn|info|debug)\(/.test(readFileSync(f, "utf8")),
    );
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });
});
