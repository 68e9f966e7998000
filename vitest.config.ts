import { defineConfig } from "vitest/config";

export const config = defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["test/nova/**", "test/openstack/**", "test/reliability/**", "test/postgres/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});

// vitest loads the default export of its config file; this is the one default export in the project.
export default config;
