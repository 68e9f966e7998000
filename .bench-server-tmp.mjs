import { parseWorld, startEmulator } from "./dist/emulator/index.js";
const n = 10000;
const servers = Array.from({ length: n }, (_, i) => `    - { name: s-${i}, image: img }`).join("\n");
const world = parseWorld(`openstack:\n  users: [{ name: a, password: p, project: demo, roles: [admin] }]\n  images: [{ name: img }]\n  servers:\n${servers}\n`, "w.yaml");
const emu = await startEmulator({ world, port: 18777 });
console.log("ready");
process.on("SIGTERM", async () => { const u = process.cpuUsage(); console.log("server cpu ms", Math.round((u.user + u.system) / 1000)); await emu.close(); process.exit(0); });
