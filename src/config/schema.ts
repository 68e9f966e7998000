import { readFileSync } from "node:fs";

/** A JSON Schema object (only what this module needs to know of it). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The fleet file's JSON Schema (2020-12), read from `schemas/fleet.schema.json`: the single source
 * for validation, `reform schema fleet` and editors. Resolved from this module's own location, so it
 * works from `src/` and from `dist/`.
 */
export const fleetSchema: JsonSchema = JSON.parse(
  readFileSync(new URL("../../schemas/fleet.schema.json", import.meta.url), "utf8"),
) as JsonSchema;

/** The schema's `$id`. */
export const FLEET_SCHEMA_ID = "https://reform.dev/schemas/fleet.schema.json";
