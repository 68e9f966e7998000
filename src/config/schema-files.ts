/**
 * The URL of a JSON Schema in the package's `schemas/` folder, resolved from this module's own location. It sits two
 * levels below the package root wherever it runs: `src/config/`, `dist/config/`, and the command line's bundle
 * `dist/cli-bundle/` (scripts/bundle-cli.js), where it is part of the bundle.
 */
export function schemaFileUrl(file: string): URL {
  return new URL(`../../schemas/${file}`, import.meta.url);
}
