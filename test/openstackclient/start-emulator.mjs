// Starts the built emulator (dist/) with a world file; prints the identity URL, then runs until SIGTERM.
// Usage: node start-emulator.mjs WORLD.yaml
import process from "node:process";
import { loadWorldFile, startEmulator } from "../../dist/emulator/index.js";

const world = await loadWorldFile(process.argv[2]);
const emulator = await startEmulator({
  world,
  timings: { rebuild: 300, reboot: 200, stop: 100, start: 100, build: 100 },
});
process.stdout.write(`${emulator.urls.identity}\n`);
const stop = async () => {
  await emulator.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
