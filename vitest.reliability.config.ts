import { defineConfig } from "vitest/config";

/** The reliability suites (fault injection, kill -9, bad input, secret scan): `npm run test:reliability`. */
export const config = defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { singleFork: true } },
  },
});

// vitest loads the default export of its config file (the lint exception is vitest.config.ts's, by name).
// eslint-disable-next-line no-restricted-syntax
export default config;
