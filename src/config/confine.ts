import { isAbsolute, relative, resolve, sep } from "node:path";
import type { FleetRoot } from "../model/desired.js";
import type { RealPath } from "../model/real-path.js";

/**
 * Where a fleet file may reach on disk, and how to tell. A fleet file comes from whoever opens a pull request, and
 * CI plans it with the runner's files at hand: every path it names must stay inside the root (the fleet file's
 * directory, or the pipeline's `--root`), after symbolic links are followed.
 */
export interface FleetScope extends FleetRoot {
  readonly realPath: RealPath;
}

export type ConfinedPath =
  | { readonly type: "ok"; readonly path: string; readonly exists: boolean }
  | { readonly type: "error"; readonly message: string };

/**
 * Resolves a path written in the fleet file, or says why it may not be used. The message names the path as
 * written and nothing read from outside the root.
 */
export async function confinePath(written: string, scope: FleetScope): Promise<ConfinedPath> {
  const error = (message: string): ConfinedPath => ({ type: "error", message });
  if (written.includes("\0")) return error(`'${printable(written)}' contains a NUL character`);
  if (isAbsolute(written) || /^[A-Za-z]:[\\/]/.test(written)) {
    return error(
      `'${written}' is an absolute path: a fleet file may only name files inside ${scope.label}, relative to the fleet file`,
    );
  }
  const lexical = resolve(scope.baseDir, written);
  if (!inside(scope.root, lexical)) {
    return error(
      `'${written}' leads outside ${scope.label}: a fleet file may only name files inside it (a pipeline can widen this with --root DIR)`,
    );
  }
  const real = await scope.realPath(lexical);
  if (!inside(scope.root, real.path)) {
    return error(
      `'${written}' is, or passes through, a symbolic link that leads outside ${scope.label}: a fleet file may only name files inside it`,
    );
  }
  return { type: "ok", path: real.path, exists: real.exists };
}

/** True if `path` is `dir` or below it (both absolute and normalised). */
export function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function printable(text: string): string {
  return text.replace(/\0/g, "\\0");
}

export type ReadFleetFile = (path: string) => Promise<string | Buffer>;

export type FleetFileContent =
  { readonly type: "ok"; readonly content: string | Buffer } | { readonly type: "error"; readonly message: string };

/**
 * Reads a file the fleet file names (`what` says what it is, e.g. "user_data file"), confined to the scope.
 * Nothing outside the root is opened; a message names the path as written, never what a file holds.
 */
export async function readFleetFile(
  written: string,
  what: string,
  scope: FleetScope,
  readFile: ReadFleetFile,
): Promise<FleetFileContent> {
  const confined = await confinePath(written, scope);
  if (confined.type === "error") return { type: "error", message: `${what} ${confined.message}` };
  if (!confined.exists) return { type: "error", message: `cannot read ${what} '${written}': no such file` };
  try {
    return { type: "ok", content: await readFile(confined.path) };
  } catch (error) {
    return { type: "error", message: `cannot read ${what} '${written}': ${fileErrorReason(error)}` };
  }
}

/** A short reason for a failed read, without a stack: "no such file", "permission denied", … */
export function fileErrorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many levels of symbolic links";
    default:
      return error instanceof Error ? (error.message.split("\n")[0] ?? "cannot read") : "cannot read";
  }
}
