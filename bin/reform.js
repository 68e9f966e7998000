#!/usr/bin/env node
import module from "node:module";

// Node 22.1+ keeps the compiled code of reform and its dependencies between runs (a faster start); Node 20 has no
// such cache and starts as before. Enabled before the CLI is imported, so that the import uses it.
module.enableCompileCache?.();
const { main } = await import("../dist/cli/main.js");

process.exitCode = await main(process.argv.slice(2));
