import { readFileSync } from "node:fs";
import { schemaFileUrl } from "./schema-files.js";

/** A JSON Schema object (only what this module needs to know of it). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * The fleet file's JSON Schema (2020-12), read from `schemas/fleet.schema.json`: the single source
 * for validation, `reform schema fleet` and editors.
 */
export const fleetSchema: JsonSchema = JSON.parse(
  readFileSync(schemaFileUrl("fleet.schema.json"), "utf8"),
) as JsonSchema;

/** The schema's `$id`. */
export const FLEET_SCHEMA_ID = "https://reform.dev/schemas/fleet.schema.json";
