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
  if (problems.length > 0) throw new Error(`cleanup of ${cloud?.prefix} left resources behind:\n${problems.join("\n")}`);
}
