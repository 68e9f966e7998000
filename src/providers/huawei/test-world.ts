/** For Huawei adapter tests: the emulator's project, with two images and two key pairs, and the keys that reach it. */
export const HW_PROJECT = "0123456789abcdef0123456789abcdef";

/** The environment an adapter reads its keys from; `user` is also the world's IAM user. */
export function huaweiEnv(
  accessKey: string,
  secretKey: string,
): { HW_ACCESS_KEY: string; HW_SECRET_KEY: string; HW_USER_ID: string } {
  return { HW_ACCESS_KEY: accessKey, HW_SECRET_KEY: secretKey, HW_USER_ID: "u-1" };
}

/** A world whose servers (`name: id`) run image euler with key pair ops; euler-2 and ops-2 are there to change to. */
export function huaweiWorld(env: ReturnType<typeof huaweiEnv>, servers: Readonly<Record<string, string>>): string {
  const lines = Object.entries(servers).map(
    ([name, id]) => `    - { name: ${name}, id: ${id}, image: euler, keyPair: ops }`,
  );
  return `huaweicloud:
  projectId: ${HW_PROJECT}
  userId: ${env.HW_USER_ID}
  credentials: [{ accessKey: ${env.HW_ACCESS_KEY}, secretKey: ${env.HW_SECRET_KEY} }]
  images: [{ name: euler, id: img-euler }, { name: euler-2, id: img-euler-2 }]
  keypairs: [{ name: ops }, { name: ops-2 }]
  servers:
${lines.join("\n")}
`;
}
