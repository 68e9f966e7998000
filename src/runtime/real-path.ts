import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { RealPath } from "../model/real-path.js";

/** Links followed before a path is called a loop (as the kernel's ELOOP, which is 40 on Linux). */
const MAX_LINKS = 40;

/** `RealPath` on the local file system. */
export const realPathOnDisk: RealPath = (path) => resolveReal(resolve(path), 0);

async function resolveReal(path: string, links: number): Promise<{ path: string; exists: boolean }> {
  try {
    return { path: await realpath(path), exists: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
  }
  const stat = await lstat(path).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    // A dangling link: whatever is created through it appears where it points.
    if (links >= MAX_LINKS)
      throw Object.assign(new Error(`too many levels of symbolic links: ${path}`), { code: "ELOOP" });
    return resolveReal(resolve(dirname(path), await readlink(path)), links + 1);
  }
  const parent = dirname(path);
  if (parent === path) return { path, exists: false };
  const real = await resolveReal(parent, links);
  return { path: join(real.path, basename(path)), exists: false };
}
