import { describe, expect, it } from "vitest";
import { FLEET_SCHEMA_ID, fleetSchema } from "./schema.js";

type Json = Record<string, unknown>;

/** Every schema that validates an object property, with its path. */
function properties(schema: unknown, path: string, out: [string, Json][]): [string, Json][] {
  if (Array.isArray(schema)) schema.forEach((s, i) => properties(s, `${path}/${i}`, out));
  else if (schema !== null && typeof schema === "object") {
    for (const [key, value] of Object.entries(schema as Json)) {
      if (key === "properties")
        for (const [name, prop] of Object.entries(value as Json))
          out.push([`${path}/properties/${name}`, prop as Json]);
      properties(value, `${path}/${key}`, out);
    }
  }
  return out;
}

describe("fleetSchema", () => {
  it("is the published 2020-12 schema", () => {
    expect(fleetSchema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(fleetSchema["$id"]).toBe(FLEET_SCHEMA_ID);
    expect(typeof fleetSchema["title"]).toBe("string");
  });

  it("describes every property, so editors show help", () => {
    const undocumented = properties(fleetSchema, "#", [])
      .filter(([path, schema]) => !path.includes("/if/") && typeof schema["description"] !== "string")
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it("forbids unknown keys in every object that declares properties", () => {
    // `provider` only dispatches on `type`; the schema of each provider type it selects is closed.
    const defs = fleetSchema["$defs"] as Record<string, Json>;
    const open = Object.entries(defs)
      .filter(
        ([, def]) =>
          def["type"] === "object" && def["properties"] !== undefined && def["additionalProperties"] !== false,
      )
      .map(([name]) => name);
    expect(open).toEqual(["provider"]);
    const dispatched = (defs["provider"]?.["allOf"] as Json[]).map((branch) =>
      String((branch["then"] as Json)["$ref"]).replace("#/$defs/", ""),
    );
    expect(dispatched.sort()).toEqual(["huaweicloudProvider", "jdcloudProvider", "openstackProvider", "simProvider"]);
    for (const name of dispatched) expect(defs[name]?.["additionalProperties"]).toBe(false);
  });
});
