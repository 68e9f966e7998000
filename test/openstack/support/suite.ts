import { secretsOf } from "./cloud-config.js";
import { CloudFixture } from "./fixture.js";
import { Workspace } from "./workspace.js";

/** Opens the cloud (OS_CLOUD) and a workspace for one test file. */
export async function openSuite(): Promise<{ cloud: CloudFixture; work: Workspace }> {
  const cloud = await CloudFixture.open();
  return { cloud, work: await Workspace.create(cloud.cloud.file) };
}

/**
 * Deletes what the file created, even when its tests failed (called from afterAll), then its workspace.
 * A resource that could not be deleted fails the file, naming it, so nothing is left behind silently.
 */
export async function closeSuite(cloud: CloudFixture | undefined, work: Workspace | undefined): Promise<void> {
  const problems = cloud ? await cloud.cleanup() : [];
  await work?.remove();
  if (problems.length > 0)
    throw new Error(`cleanup of ${cloud?.prefix} left resources behind:\n${problems.join("\n")}`);
}

/**
 * Fails naming the secret's kind when a password, token or credential secret of the cloud (or one of
 * `extra`) appears in anything reform printed or wrote in the workspace.
 */
export async function findLeakedSecrets(
  cloud: CloudFixture,
  work: Workspace,
  extra: readonly string[] = [],
): Promise<string[]> {
  const output = await work.allOutput();
  const secrets = [
    ...secretsOf(cloud.cloud.entry).map((s) => ["clouds.yaml secret", s] as const),
    ["the suite's token", cloud.api.secretToken ?? ""] as const,
    ...extra.map((s) => ["test secret", s] as const),
  ];
  return secrets.filter(([, secret]) => secret.length >= 4 && output.includes(secret)).map(([kind]) => kind);
}
