import { randomBytes } from "node:crypto";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import type { Emulator, EmulatorOptions, World, WorldState } from "../../emulator/index.js";
import { startEmulator } from "../../emulator/index.js";
import { ReformError } from "../../model/errors.js";

/** Access keys the sim generates start with this, so a run replaces the previous run's keys instead of piling them up. */
export const SIM_KEY_PREFIX = "REFORMSIM";

/** Demo credentials generated for one emulator: known to this process and the emulator only, never printed. */
export interface SimCredentials {
  readonly openstack: { readonly username: string; readonly password: string };
  readonly huaweicloud: { readonly accessKey: string; readonly secretKey: string };
  readonly jdcloud: { readonly accessKey: string; readonly secretKey: string };
}

/** One emulator of this process, shared by every sim provider that names its state file. */
export interface SharedEmulator {
  readonly emulator: Emulator;
  readonly world: World;
  readonly credentials: SimCredentials;
}

export interface SharedEmulatorRequest {
  /** The sim provider asking (for messages). */
  readonly provider: string;
  /** Absolute path of the state file: the key that makes providers share one emulator. */
  readonly statePath: string;
  readonly world: World;
  /** What else the emulator is started with; providers that share one must agree on it. */
  readonly options: Pick<EmulatorOptions, "timings" | "maxMicroversion">;
}

interface Entry {
  readonly provider: string;
  readonly signature: string;
  readonly shared: Promise<SharedEmulator>;
  refs: number;
}

/** Per-process registry: one emulator (one state file, one writer) per state path. */
const REGISTRY = new Map<string, Entry>();

/**
 * The emulator for a state file, started on first use; `release` stops it (persisting its state) when the last
 * provider using it is closed. Two providers naming the same state file with different worlds or timings are refused.
 */
export async function acquireEmulator(
  req: SharedEmulatorRequest,
): Promise<{ readonly shared: SharedEmulator; readonly release: () => Promise<void> }> {
  const signature = JSON.stringify({ world: req.world.file, ...req.options });
  let entry = REGISTRY.get(req.statePath);
  if (entry && entry.signature !== signature) {
    throw new ReformError(
      "CONFIG_INVALID",
      `sim providers ${entry.provider} and ${req.provider} share the state file ${req.statePath} but not the same world, timings and maxMicroversion: give them the same settings or different state files`,
    );
  }
  if (!entry) {
    entry = { provider: req.provider, signature, shared: start(req), refs: 0 };
    REGISTRY.set(req.statePath, entry);
    entry.shared.catch(() => REGISTRY.delete(req.statePath));
  }
  entry.refs++;
  const held = entry;
  const shared = await held.shared.catch((error: unknown) => {
    held.refs--;
    throw error;
  });
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    held.refs--;
    if (held.refs > 0) return;
    if (REGISTRY.get(req.statePath) === held) REGISTRY.delete(req.statePath);
    await shared.emulator.close();
  };
  return { shared, release };
}

/** How many emulators this process runs now (for tests). */
export function runningEmulators(): number {
  return REGISTRY.size;
}

async function start(req: SharedEmulatorRequest): Promise<SharedEmulator> {
  const credentials = generateCredentials();
  await replaceSimKeys(req.statePath, credentials);
  const project = req.world.openstack?.users?.[0]?.project ?? "demo";
  const emulator = await startEmulator({
    world: withSimKeys(req.world, credentials),
    port: 0,
    persistPath: req.statePath,
    extraUsers: [
      { name: credentials.openstack.username, password: credentials.openstack.password, project, roles: ["admin"] },
    ],
    ...req.options,
  });
  return { emulator, world: req.world, credentials };
}

function generateCredentials(): SimCredentials {
  const accessKey = () => `${SIM_KEY_PREFIX}${randomBytes(6).toString("hex").toUpperCase()}`;
  const secret = () => randomBytes(24).toString("base64url");
  return {
    openstack: { username: "reform", password: secret() },
    huaweicloud: { accessKey: accessKey(), secretKey: secret() },
    jdcloud: { accessKey: accessKey(), secretKey: secret() },
  };
}

type Keys = readonly { readonly accessKey: string; readonly secretKey: string }[];

/** The keys of a cloud section: the world's own, without an earlier run's sim keys, plus this run's. */
function keysWith(keys: Keys, mine: { readonly accessKey: string; readonly secretKey: string }): Keys {
  return [...keys.filter((k) => !k.accessKey.startsWith(SIM_KEY_PREFIX)), mine];
}

/** The world with this run's keys added to its Huawei and JD sections (used when there is no state file yet). */
export function withSimKeys(world: World, credentials: SimCredentials): World {
  return {
    ...world,
    ...(world.huaweicloud
      ? {
          huaweicloud: {
            ...world.huaweicloud,
            credentials: keysWith(world.huaweicloud.credentials, credentials.huaweicloud),
          },
        }
      : {}),
    ...(world.jdcloud
      ? { jdcloud: { ...world.jdcloud, credentials: keysWith(world.jdcloud.credentials, credentials.jdcloud) } }
      : {}),
  };
}

/**
 * A state file saved by an earlier run keeps the keys it was saved with (the emulator loads keys from it, not from
 * the world): this run's keys replace the earlier run's before the emulator loads it. Atomic; a missing or
 * unreadable file is left to the emulator (which starts from the world, or reports the file).
 */
async function replaceSimKeys(path: string, credentials: SimCredentials): Promise<void> {
  let state: WorldState;
  try {
    state = JSON.parse(await readFile(path, "utf8")) as WorldState;
  } catch {
    return;
  }
  if (typeof state !== "object" || state === null || (!state.huaweicloud && !state.jdcloud)) return;
  const updated: WorldState = {
    ...state,
    ...(state.huaweicloud
      ? {
          huaweicloud: {
            ...state.huaweicloud,
            credentials: keysWith(state.huaweicloud.credentials, credentials.huaweicloud),
          },
        }
      : {}),
    ...(state.jdcloud
      ? { jdcloud: { ...state.jdcloud, credentials: keysWith(state.jdcloud.credentials, credentials.jdcloud) } }
      : {}),
  };
  const tmp = `${path}.${process.pid}.sim.tmp`;
  await unlink(tmp).catch(() => undefined); // a link planted under the temporary name is removed, never written through
  await writeFile(tmp, JSON.stringify(updated), { mode: 0o600, flag: "wx" });
  await rename(tmp, path);
}
