#!/usr/bin/env node
// CommonJS (bin/package.json): Node starts a CommonJS script without its ES module loader, which is most of what
// `reform --version` would cost beyond a bare `node -e 0`.
"use strict";
const { join } = require("node:path");

/** The package version, answered before anything is loaded (test/cli-version.test.ts checks it against package.json). */
const VERSION = "0.1.0";

/** The command line bundled by `npm run build` (scripts/bundle-cli.js): one CommonJS script. */
const BUNDLE = join(__dirname, "../dist/cli-bundle/reform.cjs");
/** V8's code cache of the bundle, written by `npm run build`: sha256 of the bundle's text, then V8's data. */
const CODE_CACHE = `${BUNDLE}.cache`;
const DIGEST_BYTES = 32;

/**
 * Compiles and runs the bundle, with V8's code cache of it when the cache was made from this very text: V8 then
 * neither parses nor compiles what the cache holds (the functions a `reform validate` runs), which was most of the
 * command's start-up (docs/benchmarks.md). Node 20 has no compile cache of its own for modules (Node 22's
 * module.enableCompileCache). V8 checks only the text's length and its own version and flags, so the cache also
 * carries the text's sha256: a cache of another build is not offered to V8. A cache V8 refuses (another Node, other
 * V8 flags) or none costs only the compilation it would have saved. Returns the bundle's exports and its script, from
 * which `npm run build` makes the cache.
 * @returns {{ exports: { main(argv: readonly string[]): Promise<number> }, script: import("node:vm").Script, digest: Buffer }}
 */
function loadBundle() {
  const { isAscii } = require("node:buffer");
  const { createHash } = require("node:crypto");
  const { readFileSync } = require("node:fs");
  const Module = require("node:module");
  const vm = require("node:vm");
  const bytes = readFileSync(BUNDLE);
  const digest = createHash("sha256").update(bytes).digest();
  // esbuild writes ASCII (non-ASCII characters escaped): such bytes are their own latin1 text, which Node copies
  // instead of decoding them as UTF-8 (2-5 ms for the 1.4 MB bundle).
  const source = isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
  let cachedData;
  try {
    const cache = readFileSync(CODE_CACHE);
    if (cache.subarray(0, DIGEST_BYTES).equals(digest)) cachedData = cache.subarray(DIGEST_BYTES);
  } catch {
    // No cache (a build without one, a copy without it): compiled as any script.
  }
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, Module.createRequire(BUNDLE), bundle, BUNDLE, join(BUNDLE, ".."));
  return { exports: bundle.exports, script, digest };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`${VERSION}\n`);
  } else {
    loadBundle()
      .exports.main(argv)
      .then((code) => {
        process.exitCode = code;
      });
  }
} else {
  module.exports = { loadBundle, CODE_CACHE, VERSION };
}
