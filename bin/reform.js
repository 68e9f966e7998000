#!/usr/bin/env node
import module from "node:module";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // Answered before the CLI is loaded: `reform --version` costs little more than starting Node.
  const { VERSION } = await import("../dist/version.js");
  process.stdout.write(`${VERSION}\n`);
} else {
  // Node 22.1+ keeps the compiled code of reform and its dependencies between runs (a faster start); Node 20 has no
  // such cache and starts as before. Enabled before the CLI is imported, so that the import uses it.
  module.enableCompileCache?.();
  // The command line bundled by `npm run build` (scripts/bundle-cli.js): a few files to load instead of ~150.
  const { main } = await import("../dist/cli-bundle/main.js");
  process.exitCode = await main(argv);
}
