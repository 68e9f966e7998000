import { once } from "node:events";
import { resolve } from "node:path";
import { loadWorldFile, parseDuration, startEmulator } from "../../emulator/index.js";
import type { FaultOptions, Timings } from "../../emulator/index.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo } from "../io.js";

export interface SimCommandOptions {
  readonly world: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly state?: string;
  readonly maxMicroversion?: string;
  readonly rebuildTime?: string;
  readonly rebootTime?: string;
  readonly stopTime?: string;
  readonly startTime?: string;
  readonly latency?: string;
  readonly errorRate?: number;
  readonly throttleRate?: number;
  readonly dropRate?: number;
  readonly dropResponseRate?: number;
  readonly ambiguousRate?: number;
  readonly actionFailRate?: number;
  readonly hangRate?: number;
  readonly flapRate?: number;
  readonly flap?: string;
  readonly throttleBurst?: number;
}

/** Runs the emulator in the foreground until SIGINT/SIGTERM; prints one `<api> <base url>` line per API, then the `health` line, once ready. */
export async function simCommand(io: CliIo, options: SimCommandOptions, signal: AbortSignal): Promise<number> {
  const world = await loadWorldFile(resolve(io.cwd, options.world));
  const emulator = await startEmulator({
    world,
    host: options.host,
    port: options.port,
    seed: options.seed,
    timings: timings(options),
    faults: faults(options),
    ...(options.maxMicroversion ? { maxMicroversion: options.maxMicroversion } : {}),
    ...(options.state ? { persistPath: resolve(io.cwd, options.state) } : {}),
  });
  for (const [name, url] of Object.entries({
    identity: emulator.urls.identity,
    compute: emulator.urls.compute,
    image: emulator.urls.image,
    volume: emulator.urls.volume,
  })) {
    io.stdout.write(`${name} ${url}\n`);
  }
  if (world.huaweicloud) io.stdout.write(`huaweicloud-ecs ${emulator.urls.huaweicloud}\n`);
  if (world.jdcloud) io.stdout.write(`jdcloud-vm ${emulator.urls.jdcloud}\n`);
  io.stdout.write(`health ${emulator.urls.health}\n`);
  if (!signal.aborted) await once(signal, "abort");
  await emulator.close();
  return EXIT.ok;
}

/** Fault flags override the world file's `faults:` section, key by key. */
function faults(options: SimCommandOptions): Partial<FaultOptions> {
  const rates = {
    error5xxRate: options.errorRate,
    rate429: options.throttleRate,
    dropRate: options.dropRate,
    dropResponseRate: options.dropResponseRate,
    ambiguousRate: options.ambiguousRate,
    actionFailRate: options.actionFailRate,
    hangRate: options.hangRate,
    flapRate: options.flapRate,
    throttleBurst: options.throttleBurst,
  };
  return {
    ...Object.fromEntries(Object.entries(rates).filter(([, v]) => v !== undefined)),
    ...(options.latency ? { latencyMs: parseDuration(options.latency) } : {}),
    ...(options.flap ? { flapMs: parseDuration(options.flap) } : {}),
  };
}

function timings(options: SimCommandOptions): Partial<Timings> {
  return {
    ...(options.rebuildTime ? { rebuild: parseDuration(options.rebuildTime) } : {}),
    ...(options.rebootTime ? { reboot: parseDuration(options.rebootTime) } : {}),
    ...(options.stopTime ? { stop: parseDuration(options.stopTime) } : {}),
    ...(options.startTime ? { start: parseDuration(options.startTime) } : {}),
  };
}
