import picomatch from "picomatch";

/**
 * Three or more backslashes in a row. picomatch 4.0.7 never returns from parsing some such globs
 * (`\]\\\\` loops forever), and a glob is written by whoever writes the fleet file or the command
 * line, so no glob with one is compiled. Two backslashes already match one literal backslash.
 */
export const BACKSLASH_RUN = /\\{3}/;

const cache = new Map<string, (value: string) => boolean>();
const CACHE_LIMIT = 256;

/**
 * A predicate that is true when `value` matches any of `globs`. Compiled matchers are memoized by
 * glob list: fleets repeat the same few lists on thousands of servers, and compiling is the slow part.
 */
export function globMatcher(globs: readonly string[]): (value: string) => boolean {
  if (globs.length === 0) return () => false;
  const unsafe = globs.find((glob) => BACKSLASH_RUN.test(glob));
  if (unsafe !== undefined)
    throw new Error(`glob '${unsafe}' has three or more backslashes in a row; write \\\\ for one literal backslash`);
  const key = JSON.stringify(globs);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const matcher = picomatch([...globs], { dot: true });
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, matcher);
  return matcher;
}
