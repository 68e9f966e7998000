import { defineConfig } from "vitest/config";
import { E2E_KEPT_IN_NPM_TEST, E2E_SUITES } from "./vitest.config.js";

/** The end-to-end suites and the runnable docs: `npm run test:e2e` (see E2E_SUITES in vitest.config.ts). */
export const config = defineConfig({
  test: {
    include: E2E_SUITES,
    exclude: E2E_KEPT_IN_NPM_TEST,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});

// vitest loads the default export of its config file (the lint exception is vitest.config.ts's, by name).
// eslint-disable-next-line no-restricted-syntax
export default config;
