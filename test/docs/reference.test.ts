import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { renderKeys, renderProviders, staleSections, updateReference } from "../../scripts/docs-reference.js";
import { docBlocks } from "./blocks.js";
import { ROOT } from "./run-page.js";

/** docs/configuration.md's key tables are what the schema generates; docs/development.md's layout is the tree. */

const SCHEMA_PATH = join(ROOT, "schemas", "fleet.schema.json");
const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Parameters<typeof renderProviders>[0];
const configuration = readFileSync(join(ROOT, "docs", "configuration.md"), "utf8");

interface Node {
  $ref?: string;
  properties?: Record<string, Node>;
  items?: Node;
  enum?: unknown[];
}

/** Every key name the schema accepts anywhere, walked independently of the generator. */
function schemaKeys(node: Node, seen = new Set<string>()): Set<string> {
  const keys = new Set<string>();
  const target = node.$ref ? (schema.$defs[node.$ref.replace("#/$defs/", "")] as Node) : node;
  if (node.$ref) {
    if (seen.has(node.$ref)) return keys;
    seen.add(node.$ref);
  }
  for (const [key, child] of Object.entries(target.properties ?? {})) {
    keys.add(key);
    for (const k of schemaKeys(child, seen)) keys.add(k);
  }
  if (target.items) for (const k of schemaKeys(target.items, seen)) keys.add(k);
  return keys;
}

describe("docs/configuration.md's reference", () => {
  it("is what schemas/fleet.schema.json generates now (`npm run docs:reference -- --check` agrees)", async () => {
    expect(updateReference(configuration, schema)).toBe(configuration);
    const check = await promisify(execFile)(process.execPath, [join(ROOT, "scripts", "docs-reference.js"), "--check"], {
      cwd: ROOT,
    });
    expect(check.stderr).toBe("");
  });

  it("lists every provider type with every key it accepts, the openstack endpoints and poll interval included", () => {
    const providers = renderProviders(schema);
    const types = (schema.$defs["provider"] as Node).properties?.["type"]?.enum as string[];
    expect(types).toEqual(["openstack", "huaweicloud", "jdcloud", "sim"]);
    for (const type of types) {
      expect(providers).toContain(`| \`${type}\` |`);
      for (const key of Object.keys((schema.$defs[`${type}Provider`] as Node).properties ?? {}).filter(
        (k) => k !== "type",
      ))
        expect(providers, `${type}.${key}`).toMatch(new RegExp(`\\| \`${key}\` \\|`));
    }
    const openstack = providers.slice(providers.indexOf("| `openstack` |"), providers.indexOf("| `huaweicloud` |"));
    for (const key of ["identityEndpoint", "computeEndpoint", "imageEndpoint", "pollIntervalMs"])
      expect(openstack).toContain(`\`${key}\``);
  });

  it("names every key the schema accepts anywhere", () => {
    const generated = `${renderProviders(schema)}\n${renderKeys(schema)}`;
    const keys = [
      ...schemaKeys(schema as Node),
      ...Object.values(schema.$defs).flatMap((def) => [...schemaKeys(def as Node)]),
    ];
    expect(keys.length).toBeGreaterThan(80);
    for (const key of new Set(keys))
      expect(generated, key).toMatch(new RegExp(`\`([\\w-]+\\.)*${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\``));
  });

  it("a table edited by hand or a schema key without its row is found stale, naming the section; missing markers are an error", () => {
    const edited = configuration.replace(/^\| {2}\| `imageEndpoint` .*\n/m, "");
    expect(edited).not.toBe(configuration);
    expect(staleSections(edited, updateReference(edited, schema))).toEqual(["providers"]);
    expect(() => updateReference(configuration.replace("<!-- reference:keys:end -->", ""), schema)).toThrow(
      /no <!-- reference:keys:start … --> … <!-- reference:keys:end --> markers/,
    );
  });
});

describe("docs/development.md's layout", () => {
  const layout =
    docBlocks("docs/development.md", readFileSync(join(ROOT, "docs", "development.md"), "utf8")).find((b) =>
      b.text.startsWith("src/"),
    )?.text ?? "";
  const listed = [...layout.matchAll(/^(src\/\S*\/)/gm)].map((m) => m[1] ?? "");
  const dirs = (path: string) =>
    readdirSync(join(ROOT, path), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${path}/${d.name}/`);

  it("lists every folder of src/, and of src/providers/ and src/emulator/ (huawei and jdcloud included)", () => {
    const tree = [...dirs("src"), ...dirs("src/providers"), ...dirs("src/emulator")];
    expect(tree).toEqual(
      expect.arrayContaining([
        "src/providers/huawei/",
        "src/providers/jdcloud/",
        "src/emulator/huawei/",
        "src/emulator/jdcloud/",
      ]),
    );
    expect([...listed].sort()).toEqual(expect.arrayContaining(tree.sort()));
  });

  it("lists no folder that does not exist", () => {
    expect(listed.length).toBeGreaterThan(10);
    for (const path of listed) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });
});
