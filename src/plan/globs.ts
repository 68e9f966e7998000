import picomatch from "picomatch";

const cache = new Map<string, (value: string) => boolean>();
const CACHE_LIMIT = 256;

/**
 * A predicate that is true when `value` matches any of `globs`. Compiled matchers are memoized by
 * glob list: fleets repeat the same few lists on thousands of servers, and compiling is the slow part.
 */
export function globMatcher(globs: readonly string[]): (value: string) => boolean {
  if (globs.length === 0) return () => false;
  const key = JSON.stringify(globs);
  const known = cache.get(key);
  if (known !== undefined) return known;
  const matcher = picomatch([...globs], { dot: true });
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, matcher);
  return matcher;
}
