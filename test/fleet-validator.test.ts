import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fleetAjv, fleetValidatorSource, OUTPUT } from "../scripts/compile-validators.js";
import { fleetValidator } from "../src/config/validate.js";

/**
 * The fleet schema is validated by ajv standalone code generated when reform is built
 * (src/config/fleet-validator.generated.js, scripts/compile-validators.js). It must be what the schema compiles to
 * now, and answer exactly as ajv compiling the schema at run time would.
 */

const ROOT = join(import.meta.dirname, "..");
const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "fleet.schema.json"), "utf8")) as object;
const runtime = fleetAjv(false).compile(schema);
const generated = fleetValidator();

/** What a caller sees of one validation: the verdict and every error with its data and schema (verbose). */
function outcome(validate: typeof runtime, data: unknown): unknown {
  const valid = validate(data);
  return {
    valid,
    errors: (validate.errors ?? []).map(
      ({ instancePath, schemaPath, keyword, params, message, schema: s, parentSchema, data: d }) => ({
        instancePath,
        schemaPath,
        keyword,
        params,
        message,
        schema: s,
        parentSchema,
        data: d,
      }),
    ),
  };
}

function fleetsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(dir, f));
}

const corpus = [
  ...fleetsIn(join(ROOT, "examples")),
  ...fleetsIn(join(ROOT, "test", "fixtures", "fleets", "bad")),
  ...fleetsIn(join(ROOT, "test", "fixtures", "fleets")),
];

describe("the generated fleet validator", () => {
  it("is what schemas/fleet.schema.json compiles to now (npm run build regenerates it)", () => {
    expect(readFileSync(OUTPUT, "utf8")).toBe(fleetValidatorSource());
  });

  it("answers every example and corpus fleet file as the schema compiled at run time does", () => {
    expect(corpus.length).toBeGreaterThan(50);
    let rejected = 0;
    for (const file of corpus) {
      let data: unknown;
      try {
        data = parse(readFileSync(file, "utf8"));
      } catch {
        continue; // YAML syntax errors never reach the schema
      }
      const expected = outcome(runtime, data);
      expect(outcome(generated, data), file).toEqual(expected);
      if (!(expected as { valid: boolean }).valid) rejected += 1;
    }
    expect(rejected).toBeGreaterThan(20);
  });

  it("answers as the run-time schema for a valid fleet with any one value replaced", () => {
    const base = parse(readFileSync(join(ROOT, "examples", "quickstart.yaml"), "utf8")) as Record<string, unknown>;
    const paths: string[][] = [];
    const walk = (node: unknown, path: string[]) => {
      paths.push(path);
      if (node !== null && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    };
    walk(base, []);
    fc.assert(
      fc.property(
        fc.constantFrom(...paths.filter((p) => p.length > 0)),
        fc.jsonValue({ maxDepth: 3 }),
        (path, value) => {
          const data = structuredClone(base);
          let node = data as Record<string, unknown>;
          for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
          node[path[path.length - 1] as string] = value;
          expect(outcome(generated, data)).toEqual(outcome(runtime, data));
        },
      ),
      { numRuns: 300 },
    );
  });
});
