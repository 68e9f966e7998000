import type { InstanceAddress } from "../model/index.js";
import { globMatcher } from "../model/globs.js";

/**
 * `--target` filter: true when the address matches one of the globs (picomatch globs such as `dc1/web-*`;
 * a double star matches everything). No targets: everything is targeted.
 */
export function isTargeted(address: InstanceAddress, targets: readonly string[] | undefined): boolean {
  if (targets === undefined || targets.length === 0) return true;
  return globMatcher(targets)(address);
}
