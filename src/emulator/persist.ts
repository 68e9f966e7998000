import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { WorldState } from "./types.js";

/** Reads a persisted state; undefined when the file does not exist. A corrupt file is an error (never silently replaced). */
export async function loadState(path: string): Promise<WorldState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `${path}: the emulator's state file is not valid JSON; delete it to start from the world file again`,
    );
  }
  const state = parsed as Partial<WorldState>;
  if (state.version !== 1 || typeof state.openstack !== "object" || !Array.isArray(state.actions)) {
    throw new Error(`${path}: not an emulator state file (version 1); delete it to start from the world file again`);
  }
  return state as WorldState;
}

/** Debounced, atomic (temporary file + rename) saving of the state; writes never overlap. */
export class Persister {
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(
    private readonly path: string,
    private readonly capture: () => WorldState,
    private readonly debounceMs: number,
  ) {}

  /** Asks for a save shortly (coalescing bursts of mutations). */
  schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#save();
    }, this.debounceMs);
    this.#timer.unref();
  }

  /** Saves now (pending debounced save included) and waits for it; rethrows a failed earlier save. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#save();
    if (this.#failure !== undefined) throw this.#failure;
  }

  #save(): Promise<void> {
    const state = this.capture();
    this.#writing = this.#writing.then(async () => {
      try {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.${process.pid}.tmp`;
        // Created afresh (O_EXCL): a link planted under the temporary name is removed, never written through.
        await unlink(tmp).catch(() => undefined);
        await writeFile(tmp, JSON.stringify(state), { mode: 0o600, flag: "wx" });
        await rename(tmp, this.path);
      } catch (error) {
        this.#failure = error;
      }
    });
    return this.#writing;
  }
}
