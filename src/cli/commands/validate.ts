import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";
import { loadConfig } from "../session.js";
import type { FleetAccessOptions } from "../session.js";

export async function validateCommand(io: CliIo, options: { config: string } & FleetAccessOptions): Promise<number> {
  const fleet = await loadConfig(io, options.config, options);
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  io.stdout.write(
    `Success! ${options.config} is valid: ${n(fleet.providers.length, "provider")}, ${n(fleet.instances.length, "instance")}, ${n(fleet.groups.length, "group")}.\n`,
  );
  return EXIT.ok;
}
