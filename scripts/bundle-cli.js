#!/usr/bin/env node
// @ts-check
// Bundles the command line (dist/cli/main.js, compiled by tsc) into dist/cli-bundle/ with esbuild, so that a command
// loads a few files instead of some 40 of reform's modules, commander's and yaml's ~80 CommonJS files (Node 20
// resolves, reads and compiles each: most of `reform validate`'s start-up; docs/benchmarks.md). Run by `npm run build`
// after tsc; bin/reform.js runs the bundle. The library (dist/index.js) is not bundled.
//   node scripts/bundle-cli.js
// Code splitting keeps every lazy import() lazy: each command, the provider registry, the PostgreSQL backend are
// chunks loaded when used. Only the packages every command loads at start are inlined; every other dependency stays
// an import of node_modules, loaded as before.
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath, URL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Packages bundled into the CLI: the ones `reform validate` loads (yaml alone is ~80 CommonJS files). */
export const INLINED = ["commander", "yaml", "undici"];

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

const { dependencies } = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8"));
const external = Object.keys(dependencies).filter((name) => !INLINED.includes(name));

rmSync(`${ROOT}/dist/cli-bundle`, { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ["dist/cli/main.js"],
  // The chunks sit two levels below the package root, as dist/config/*.js do: the modules that find schemas/ from
  // import.meta.url (src/config/schema-files.ts) find it from either place.
  outdir: "dist/cli-bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // Bundled CommonJS (yaml, commander) calls require() for Node's built-ins; an ES module has no require of its own.
  banner: {
    js: 'import { createRequire as reformRequire } from "node:module"; const require = reformRequire(import.meta.url);',
  },
  chunkNames: "chunk-[hash]",
  plugins: [lazyChildProcess, yamlModules],
  // Fewer bytes for V8 to parse at each start; names are kept, so stack traces and error names still read.
  minify: true,
  keepNames: true,
  logLevel: "warning",
});
