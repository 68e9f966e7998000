/* global process */
// Preloaded with NODE_OPTIONS=--require by test/cli-bundle.test.ts: at exit, writes the Node built-in modules this
// process loaded to stderr, one line, after the marker "builtins:".
process.on("exit", () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
  process.stderr.write(`builtins: ${builtins.join(" ")}\n`);
});
