import { defineConfig } from "vitest/config";

/**
 * `npm run test:e2e` (vitest.e2e.config.ts): the suites that drive the built CLI as child processes against the
 * emulator, scenario after scenario, and run every block of README.md and docs/. About 7 minutes on 2 quiet cores;
 * .ci/run runs them after `npm test`.
 */
export const E2E_SUITES = ["test/e2e/**/*.test.ts", "test/docs/docs.test.ts", "test/docs/getting-started.test.ts"];
/** Quick suites under test/e2e/ that guard invariants, kept in `npm test`: apply then plan is empty, import then plan is empty, a hostile fleet file reaches nothing. */
export const E2E_KEPT_IN_NPM_TEST = ["test/e2e/*.property.test.ts", "test/e2e/untrusted-fleet.test.ts"];

/** `npm test`: unit, property, golden and component tests, and the docs' structure (about 3 minutes on 2 quiet cores). */
export const config = defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/*.test.ts", "test/docs/*.test.ts", ...E2E_KEPT_IN_NPM_TEST],
    exclude: E2E_SUITES.filter((suite) => suite.startsWith("test/docs/")),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});

// vitest loads the default export of its config file; this is the one default export in the project.
export default config;
