import type { Emulator, ServerState } from "../../src/emulator/index.js";

/** A server of the emulated OpenStack, read from a snapshot (in-flight operations advanced to now). */
export function serverByName(emulator: Emulator, name: string): ServerState {
  const server = emulator.snapshot().openstack.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server named ${name} in the emulator`);
  return server;
}

/** The mutating actions the emulator accepted for a server (create excluded), in order. */
export function serverActions(emulator: Emulator, name: string): string[] {
  return emulator.stats.actions.filter((a) => a.serverName === name && a.action !== "create").map((a) => a.action);
}
