import type { World } from "../src/emulator/index.js";
import { NEW_IMAGE, OLD_IMAGE, serverName } from "./world.js";

/** The clouds the benchmark can plan against: OpenStack everywhere, Huawei and JD for the per-cloud plan figure. */
export type BenchCloud = "openstack" | "huaweicloud" | "jdcloud";

/** Keys of the benchmark's emulated Huawei and JD accounts. Not secrets: the emulator is local and throwaway. */
const HW = {
  accessKey: "BENCHAKHUAWEI0000001",
  secretKey: "bench-huawei-secret-key",
  projectId: "0123456789abcdef0123456789abcdef",
  userId: "7e25b1da389f4697a79df3a0e5bd494e",
} as const;
const JD = { accessKey: "BENCHAKJDCLOUD000001", secretKey: "bench-jdcloud-secret-key" } as const;

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
        projectId: HW.projectId,
        userId: HW.userId,
        credentials: [{ accessKey: HW.accessKey, secretKey: HW.secretKey }],
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
      credentials: [{ accessKey: JD.accessKey, secretKey: JD.secretKey }],
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
      line: `  dc1: { type: huaweicloud, region: ap-southeast-1, projectId: "${HW.projectId}", endpoint: "${endpoint}" }`,
      env: { HW_ACCESS_KEY: HW.accessKey, HW_SECRET_KEY: HW.secretKey, HW_USER_ID: HW.userId },
    };
  }
  return {
    line: `  dc1: { type: jdcloud, region: cn-north-1, endpoint: "${endpoint}" }`,
    env: { JDC_ACCESS_KEY: JD.accessKey, JDC_SECRET_KEY: JD.secretKey },
  };
}
