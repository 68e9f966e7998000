import { randomBytes } from "node:crypto";
import { copyFile, constants, link, rename, rm, writeFile } from "node:fs/promises";
import { ReformError } from "../model/errors.js";

export interface WriteOutputOptions {
  /** Replace `path` if it exists. @default false: an existing file is an error and stays as it was */
  readonly force?: boolean;
}

/**
 * Writes `text` to `path` whole or not at all: into a new temporary file beside it first, then linked into place
 * (which refuses an existing `path`, even one created meanwhile) or, with `force`, renamed over it.
 */
export async function writeOutputFile(path: string, text: string, options: WriteOutputOptions = {}): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temp, text, { flag: "wx" });
    if (options.force === true) await rename(temp, path);
    else await linkNew(temp, path);
  } catch (error) {
    throw new ReformError("USAGE", `cannot write ${path}: ${describe(error)}`, { cause: error });
  } finally {
    await rm(temp, { force: true });
  }
}

/** `path` must not exist: a hard link, or an exclusive copy where the file system has no hard links. */
async function linkNew(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EXDEV") throw error;
    await copyFile(temp, path, constants.COPYFILE_EXCL);
  }
}

function describe(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case "EEXIST":
      return "it exists (pass --force to overwrite it)";
    case "ENOENT":
      return "no such directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
