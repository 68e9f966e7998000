import { defineConfig } from "vitest/config";

/**
 * The OpenStack integration suite (`npm run test:openstack`, through test/openstack/run.sh): reform
 * against a real cloud given by OS_CLOUD. One file at a time, tests in order, long timeouts (a real
 * cloud's rebuild takes minutes). REFORM_TEST_NOAUTH=1 selects the suite for noauth2 endpoints instead
 * (a Nova without Keystone, as test/nova/run.sh starts in its second phase). REFORM_TEST_VOLUMES=1 adds the
 * volume-backed suite (the cloud must have a block storage API: Cinder, as test/nova/run.sh starts next to Nova 31).
 */
const noauth = process.env["REFORM_TEST_NOAUTH"] === "1";
const volumes = process.env["REFORM_TEST_VOLUMES"] === "1";

export const config = defineConfig({
  test: {
    include: noauth
      ? ["test/openstack/noauth/*.test.ts"]
      : ["test/openstack/*.test.ts", ...(volumes ? ["test/openstack/volumes/*.test.ts"] : [])],
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
