import type { World } from "../src/emulator/index.js";
import { NEW_IMAGE, OLD_IMAGE, serverName } from "./world.js";

/** The clouds the benchmark can plan against: OpenStack everywhere, Huawei and JD for the per-cloud plan figure. */
export type BenchCloud = "openstack" | "huaweicloud" | "jdcloud";

/** Keys of the benchmark's emulated Huawei and JD accounts. Not secrets: the emulator is local and throwaway. */
export const HW_ACCOUNT = {
  accessKey: "BENCHAKHUAWEI0000001",
  secretKey: "bench-huawei-secret-key",
  projectId: "0123456789abcdef0123456789abcdef",
  userId: "7e25b1da389f4697a79df3a0e5bd494e",
} as const;
export const JD_ACCOUNT = { accessKey: "BENCHAKJDCLOUD000001", secretKey: "bench-jdcloud-secret-key" } as const;

const metadataOf = (i: number, driftEvery: number) => ({
  role: driftEvery > 0 && i % driftEvery === 0 ? "legacy" : "web",
  rack: `r${i % 40}`,
});

/** A world of `count` running servers on OLD_IMAGE in one of the non-OpenStack clouds (same drift as generateWorld). */
export function generateCloudWorld(cloud: Exclude<BenchCloud, "openstack">, count: number, driftEvery = 10): World {
  const names = Array.from({ length: count }, (_, k) => k + 1);
  if (cloud === "huaweicloud") {
    return {
      file: `generated-huaweicloud-${count}.world`,
      timings: {},
      huaweicloud: {
        projectId: HW_ACCOUNT.projectId,
        userId: HW_ACCOUNT.userId,
        credentials: [{ accessKey: HW_ACCOUNT.accessKey, secretKey: HW_ACCOUNT.secretKey }],
        images: [OLD_IMAGE, NEW_IMAGE].map((i) => ({ name: i.name, id: i.id, cloudInit: true })),
        keypairs: ["ops-2025", "ops-2026"],
        servers: names.map((i) => ({
          name: serverName(i),
          image: OLD_IMAGE.id,
          keyPair: "ops-2025",
          metadata: metadataOf(i, driftEvery),
          userData: null,
          status: "ACTIVE",
          busyFor: 0,
        })),
      },
    };
  }
  return {
    file: `generated-jdcloud-${count}.world`,
    timings: {},
    jdcloud: {
      region: "cn-north-1",
      credentials: [{ accessKey: JD_ACCOUNT.accessKey, secretKey: JD_ACCOUNT.secretKey }],
      images: [OLD_IMAGE, NEW_IMAGE].map((i) => ({ name: i.name, id: i.id })),
      keypairs: [{ name: "ops-2025" }, { name: "ops-2026" }],
      instances: names.map((i) => ({
        name: serverName(i),
        image: OLD_IMAGE.id,
        keyPair: "ops-2025",
        metadata: metadataOf(i, driftEvery),
        userData: null,
        status: "running",
      })),
    },
  };
}

/** The provider line of the fleet file for a cloud's emulated endpoint, and the environment its credentials come from. */
export function cloudProvider(
  cloud: Exclude<BenchCloud, "openstack">,
  endpoint: string,
): { readonly line: string; readonly env: Readonly<Record<string, string>> } {
  if (cloud === "huaweicloud") {
    return {
      line: `  dc1: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW_ACCOUNT.projectId}", endpoint: "${endpoint}" }`,
      env: { HW_ACCESS_KEY: HW_ACCOUNT.accessKey, HW_SECRET_KEY: HW_ACCOUNT.secretKey, HW_USER_ID: HW_ACCOUNT.userId },
    };
  }
  return {
    line: `  dc1: { type: jdcloud, region: cn-north-1, endpoint: "${endpoint}" }`,
    env: { JDC_ACCESS_KEY: JD_ACCOUNT.accessKey, JDC_SECRET_KEY: JD_ACCOUNT.secretKey },
  };
}
