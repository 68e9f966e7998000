import { defineConfig } from "vitest/config";

/**
 * The OpenStack integration suite (`npm run test:openstack`): reform against a real cloud given by
 * OS_CLOUD. One file at a time, tests in order, long timeouts (a real cloud's rebuild takes minutes).
 */
export const config = defineConfig({
  test: {
    include: ["test/openstack/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ["verbose"],
  },
});

// vitest loads the default export of its config file.
// eslint-disable-next-line no-restricted-syntax
export default config;
