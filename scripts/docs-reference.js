#!/usr/bin/env node
// @ts-check
// Writes the key reference of docs/configuration.md from schemas/fleet.schema.json, between the markers
// `<!-- reference:NAME:start … -->` and `<!-- reference:NAME:end -->`, so the docs cannot drift from the schema.
//   npm run docs:reference            rewrite docs/configuration.md
//   npm run docs:reference -- --check exit 1, naming the section, when the committed tables differ from the schema
// test/docs/reference.test.ts runs the check in npm test.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";

/**
 * @typedef {{
 *   $ref?: string; type?: string | string[]; enum?: unknown[]; const?: unknown; description?: string;
 *   "x-expected"?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: boolean | Schema;
 *   minimum?: number; maximum?: number; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[];
 * }} Schema
 * @typedef {Schema & { $defs: Record<string, Schema> }} RootSchema
 */

/** Object definitions documented in a table of their own (they are used in several places), in this order. */
const SHARED = ["spec", "policy", "rollout"];

/** The sections this script owns, by marker name. */
export const SECTIONS = {
  providers: renderProviders,
  keys: renderKeys,
};

/**
 * One table of every provider type and every key it accepts.
 * @param {RootSchema} schema
 */
export function renderProviders(schema) {
  const types = /** @type {string[]} */ (schema.$defs.provider?.properties?.type?.enum ?? []);
  const rows = types.flatMap((type) => {
    const def = definition(schema, `${type}Provider`);
    const keys = keyRows(schema, def, "").filter((row) => row.key !== "type");
    return [
      [`\`${type}\``, "", "", def.description ?? ""],
      ...keys.map((row) => ["", `\`${row.key}\``, row.accepts, row.meaning]),
    ];
  });
  return table(["type", "key", "accepts", "meaning"], rows);
}

/**
 * Every other key: the fleet file's top level (with `defaults`), `groups[]`, `instances[]`, then the shared objects.
 * @param {RootSchema} schema
 */
export function renderKeys(schema) {
  /** @type {[string, Schema][]} */
  const objects = [
    ["Top level", schema],
    ["`groups[]`", definition(schema, "group")],
    ["`instances[]`", definition(schema, "instance")],
    ...SHARED.map((name) => /** @type {[string, Schema]} */ ([`\`${name}\``, definition(schema, name)])),
  ];
  return objects
    .map(([title, object]) => {
      const rows = keyRows(schema, object, "").map((row) => [`\`${row.key}\``, row.accepts, row.meaning]);
      return `#### ${title}\n\n${table(["key", "accepts", "meaning"], rows)}`;
    })
    .join("\n");
}

/**
 * An object's keys, nested objects flattened as `parent.key` (except the shared ones, which have their own table).
 * @param {RootSchema} schema
 * @param {Schema} object
 * @param {string} prefix
 * @returns {{ key: string; accepts: string; meaning: string }[]}
 */
function keyRows(schema, object, prefix) {
  return Object.entries(object.properties ?? {}).flatMap(([name, property]) => {
    const key = `${prefix}${name}`;
    const target = resolve(schema, property);
    const row = {
      key,
      accepts: accepts(schema, property, key),
      meaning: property.description ?? target.description ?? "",
    };
    const nested = target.properties !== undefined && !isShared(property);
    return nested ? [row, ...keyRows(schema, target, `${key}.`)] : [row];
  });
}

/** @param {Schema} property */
function isShared(property) {
  return property.$ref !== undefined && SHARED.includes(refName(property.$ref));
}

/**
 * What a key accepts, in words.
 * @param {RootSchema} schema
 * @param {Schema} property
 * @param {string} key
 * @returns {string}
 */
function accepts(schema, property, key) {
  if (isShared(property) && property.$ref) return `a \`${refName(property.$ref)}\` (below)`;
  const target = resolve(schema, property);
  if (target["x-expected"]) return target["x-expected"];
  if (target.enum) return target.enum.map((value) => `\`${String(value)}\``).join(", ");
  if (target.const !== undefined) return `\`${String(target.const)}\``;
  const types = Array.isArray(target.type) ? target.type : [target.type ?? "object"];
  return types
    .map((type) => {
      if (type === "integer" || type === "number")
        return `${type === "integer" ? "a whole number" : "a number"}${bounds(target)}`;
      if (type === "array")
        return target.items && resolve(schema, target.items).properties
          ? `a list of mappings (\`${key}[]\` below)`
          : `a list of ${target.items ? plural(accepts(schema, target.items, key)) : "values"}`;
      if (type === "object")
        return target.properties
          ? "a mapping (keys below)"
          : target.additionalProperties && typeof target.additionalProperties === "object"
            ? `a mapping of keys to ${plural(accepts(schema, target.additionalProperties, key))}`
            : "a mapping";
      return type === "null" ? "`null`" : `a ${type}`;
    })
    .join(" or ");
}

/** @param {Schema} s */
function bounds(s) {
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${s.minimum} to ${s.maximum}`;
  if (s.minimum !== undefined) return ` ≥ ${s.minimum}`;
  return "";
}

/** @param {string} words */
function plural(words) {
  return words.replace(/^an? (\w+)/, "$1s");
}

/**
 * @param {RootSchema} schema
 * @param {Schema} property
 * @returns {Schema}
 */
function resolve(schema, property) {
  return property.$ref === undefined
    ? property
    : { ...definition(schema, refName(property.$ref)), ...withoutRef(property) };
}

/** @param {Schema} property */
function withoutRef(property) {
  const rest = { ...property };
  delete rest.$ref;
  delete rest.description;
  return rest;
}

/** @param {string} ref */
function refName(ref) {
  return ref.replace(/^#\/\$defs\//, "");
}

/**
 * @param {RootSchema} schema
 * @param {string} name
 * @returns {Schema}
 */
function definition(schema, name) {
  const def = schema.$defs[name];
  if (!def) throw new Error(`schemas/fleet.schema.json has no $defs.${name}`);
  return def;
}

/** @param {string} text */
function cell(text) {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/**
 * @param {string[]} headers
 * @param {string[][]} rows
 */
function table(headers, rows) {
  const line = (/** @type {string[]} */ cells) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map(line), ""].join("\n");
}

/**
 * The markdown with every owned section replaced by what the schema generates now.
 * @param {string} markdown
 * @param {RootSchema} schema
 * @returns {string}
 */
export function updateReference(markdown, schema) {
  let out = markdown;
  for (const [name, render] of Object.entries(SECTIONS)) {
    const pattern = new RegExp(`(<!-- reference:${name}:start[^\\n]*-->\\n)[\\s\\S]*?(<!-- reference:${name}:end -->)`);
    if (!pattern.test(out))
      throw new Error(
        `docs/configuration.md has no <!-- reference:${name}:start … --> … <!-- reference:${name}:end --> markers`,
      );
    out = out.replace(pattern, (_match, start, end) => `${start}${render(schema)}${end}`);
  }
  return out;
}

/** The sections of `markdown` that differ from `expected`, by name. */
export function staleSections(/** @type {string} */ markdown, /** @type {string} */ expected) {
  return Object.keys(SECTIONS).filter((name) => {
    const pattern = new RegExp(`<!-- reference:${name}:start[\\s\\S]*?<!-- reference:${name}:end -->`);
    return pattern.exec(markdown)?.[0] !== pattern.exec(expected)?.[0];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const docPath = `${root}docs/configuration.md`;
  const schema = /** @type {RootSchema} */ (JSON.parse(readFileSync(`${root}schemas/fleet.schema.json`, "utf8")));
  const current = readFileSync(docPath, "utf8");
  const updated = updateReference(current, schema);
  if (process.argv.includes("--check")) {
    const stale = staleSections(current, updated);
    if (stale.length > 0) {
      process.stderr.write(
        `docs/configuration.md: the ${stale.join(" and ")} reference differs from schemas/fleet.schema.json; run npm run docs:reference\n`,
      );
      process.exitCode = 1;
    }
  } else if (updated !== current) {
    writeFileSync(docPath, updated);
    process.stdout.write("docs/configuration.md: reference rewritten from schemas/fleet.schema.json\n");
  } else {
    process.stdout.write("docs/configuration.md: reference already matches schemas/fleet.schema.json\n");
  }
}
