#!/usr/bin/env node
// @ts-check
// Bundles the command line (dist/cli/main.js, compiled by tsc) with esbuild into one CommonJS script,
// dist/cli-bundle/reform.cjs, and writes V8's code cache of it (writeCodeCache), so that a command loads one file,
// mostly compiled already, instead of some 40 of reform's modules and ~80 of its dependencies' files, each resolved,
// read and compiled by Node 20 at every start (most of `reform validate`'s start-up; docs/benchmarks.md). Every
// dependency is inlined but pg (the PostgreSQL backend's driver, CommonJS, loaded by that backend alone). Run by
// `npm run build` after tsc; bin/reform.js runs the bundle. The library (dist/index.js) is not bundled.
//   node scripts/bundle-cli.js
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The dependencies left to node_modules: pg and what it may require (it tries pg-native, not a dependency). */
const EXTERNAL = ["pg", "pg-native"];
const BUNDLE = "dist/cli-bundle/reform.cjs";

/**
 * commander loads node:child_process (and with it node:net) when it is loaded, for commands run as separate
 * executables, which reform has none of: about a tenth of `reform validate`'s start-up. Inside the bundle commander
 * gets this module instead, which loads node:child_process only if commander ever spawns.
 */
const lazyChildProcess = {
  name: "commander-lazy-child-process",
  /** @param {import("esbuild").PluginBuild} build */
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "lazy-child-process", namespace: "reform" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "reform" }, () => ({
      loader: "js",
      contents: 'module.exports = { spawn: (...args) => require("node:child_process").spawn(...args) };',
    }));
  },
};

/**
 * yaml is published twice: CommonJS (dist/, what Node's resolution picks) and the same code as ES modules (browser/dist/).
 * The bundle takes the ES modules: esbuild then joins them into one scope instead of wrapping each of ~80 CommonJS
 * files in a function called at start, which cut `reform validate`'s instructions by a tenth (docs/benchmarks.md).
 * The two builds differ in three files. log.js: the ES build warns with console.warn, the Node build with
 * process.emitWarning, so the Node build's log.js is kept. parser.js and composer.js: the Node build also prints
 * yaml's own tokens when LOG_TOKENS or LOG_STREAM is set (a debugging aid of yaml's developers, dropped here).
 * schema/yaml-1.1/binary.js: a `!!binary` value of a YAML 1.1 document becomes a Uint8Array rather than a Buffer
 * (reform reads no binary values: either is "a mapping" to the schema).
 */
const yamlModules = {
  name: "yaml-es-modules",
  /** @param {import("esbuild").PluginBuild} build */
  setup(build) {
    const yamlDir = `${ROOT}node_modules/yaml/`;
    build.onResolve({ filter: /^yaml$/ }, () => ({ path: `${yamlDir}browser/dist/index.js` }));
    build.onResolve({ filter: /^\.\.?\/log\.js$/ }, (args) =>
      args.importer.startsWith(`${yamlDir}browser/dist/`) ? { path: `${yamlDir}dist/log.js` } : undefined,
    );
  },
};

rmSync(`${ROOT}/dist/cli-bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ["dist/cli/main.js"],
  // Two levels below the package root, as dist/config/*.js are: the modules that find schemas/ and the page worker
  // from import.meta.url (src/config/schema-files.ts, src/providers/page-pool.ts) find them from either place.
  outfile: BUNDLE,
  bundle: true,
  // One CommonJS script, which bin/reform.js compiles with V8's code cache (made below). Every lazy import() of
  // reform's modules stays lazy: esbuild wraps each module in a function run when first imported, so `reform validate`
  // still runs neither the HTTP stack nor the providers (test/cli-bundle.test.ts); V8 compiles a function only when
  // it is first called, so what a command does not run costs it little more than reading its text.
  format: "cjs",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  define: { "import.meta.url": "__reformBundleUrl" },
  banner: { js: 'const __reformBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [lazyChildProcess, yamlModules],
  // Fewer bytes to read and hash at each start; names are kept, so stack traces and error names still read.
  minify: true,
  // The dependencies' license comments go to reform.cjs.LEGAL.txt: one of them is not ASCII, and an ASCII bundle is
  // read by bin/reform.js without UTF-8 decoding (esbuild escapes every other non-ASCII character).
  legalComments: "external",
  charset: "ascii",
  keepNames: true,
  logLevel: "warning",
});
await writeCodeCache();

/**
 * V8's code cache of the bundle, after a `reform validate -c examples/quickstart.yaml` run in this process (its output
 * dropped): it holds the bundle's top level and every function that command ran (the command line, yaml, the fleet
 * validator), which V8 then neither parses nor compiles at each start (docs/benchmarks.md). Prefixed with the
 * bundle's sha256, which bin/reform.js checks before offering it to V8. Made by the Node that builds: another Node's
 * V8 refuses it, and the bundle is then compiled as before.
 */
function writeCodeCache() {
  const require = createRequire(import.meta.url);
  const { loadBundle, CODE_CACHE } = require("../bin/reform.js");
  const { exports, script, digest } = loadBundle();
  const write = process.stdout.write;
  process.stdout.write = () => true;
  return exports
    .main(["validate", "-c", `${ROOT}examples/quickstart.yaml`])
    .finally(() => (process.stdout.write = write))
    .then((/** @type {number} */ code) => {
      if (code !== 0) throw new Error(`reform validate of the quickstart exited ${code} while making the code cache`);
      writeFileSync(CODE_CACHE, Buffer.concat([digest, script.createCachedData()]));
    });
}
