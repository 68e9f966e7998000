import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** The benchmark's own unit tests (pure helpers): `npx vitest run --config bench/vitest.config.ts`. */
export const benchTestConfig = defineConfig({
  test: {
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["**/*.test.ts"],
    testTimeout: 30_000,
  },
});

// vitest loads the default export of its config file, like the root vitest.config.ts.
// eslint-disable-next-line no-restricted-syntax
export default benchTestConfig;
