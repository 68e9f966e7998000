/**
 * The real path of `path` with every symbolic link resolved, also when `path` does not exist (yet): the real
 * path of its deepest existing ancestor followed by the rest, a dangling link resolved to where it points.
 * `exists` says whether something is there. Implemented on disk by the runtime; tests may pass their own.
 */
export type RealPath = (path: string) => Promise<{ readonly path: string; readonly exists: boolean }>;
