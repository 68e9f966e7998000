import { defineConfig } from "vitest/config";

/** The PostgreSQL backend's suite: `npm run test:postgres` (test/postgres/run.sh starts the database it needs). */
export const config = defineConfig({
  test: {
    include: ["test/postgres/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One file at a time: one of them stops and restarts the database.
    poolOptions: { forks: { singleFork: true } },
  },
});

// vitest loads the default export of its config file (the lint exception is vitest.config.ts's, by name).
// eslint-disable-next-line no-restricted-syntax
export default config;
