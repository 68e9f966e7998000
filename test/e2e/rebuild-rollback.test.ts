import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestCloud } from "../support/cloud.js";
import { startTestCloud, worldWith } from "../support/cloud.js";
import { serverActions, serverByName } from "../support/world.js";

// A rebuild that Nova rolls back (InstanceFaultRollback): the server is ACTIVE again, with no fault shown, and the
// image and key pair the API wrote before the rebuild ran. Only the instance action says it failed.
const WORLD = worldWith(`  images:
    - { name: ubuntu-22.04 }
    - { name: ubuntu-24.04, fail: "Build of instance aborted: disk image corrupt", rollback: true }
  keypairs: [{ name: ops-2025 }, { name: ops-2026 }]
  servers:
    - { name: web-1, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
    - { name: web-2, image: ubuntu-22.04, keyPair: ops-2025, metadata: { role: web } }
`);

const FLEET = `providers: { dc1: { type: openstack, cloud: test } }
instances:
  - { provider: dc1, name: web-1, spec: { image: { name: ubuntu-24.04 }, keyPair: ops-2026 } }
  - { provider: dc1, name: web-2, spec: { image: { name: ubuntu-22.04 }, keyPair: ops-2026 } }
`;

describe("a rebuild that Nova rolls back, leaving the server looking converged", () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startTestCloud(WORLD);
    await cloud.writeFleet(FLEET);
  });
  afterAll(async () => cloud.close());

  it("is reported failed from the instance action, with Nova's words and the request id; the healthy rebuild converges", async () => {
    const run = await cloud.reform(["apply", "-c", "fleet.yaml", "--auto-approve", "--output", "json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      results: { address: string; result: { type: string; why?: string; request_id?: string } }[];
    };
    const byAddress = new Map(report.results.map((r) => [r.address, r.result]));
    expect(byAddress.get("dc1/web-2")?.type).toBe("converged");
    const failed = byAddress.get("dc1/web-1");
    expect(failed?.type).toBe("failed");
    expect(failed?.why).toMatch(
      /Nova's instance action req-[^ ]+ for this rebuild ended with "Error" \(compute_rebuild_instance: Error\), though the server settled ACTIVE/,
    );

    // What a check of the server's fields alone would have believed: the image and key pair look converged.
    const web1 = serverByName(cloud.emulator, "web-1");
    const target = cloud.emulator.snapshot().openstack.images.find((i) => i.name === "ubuntu-24.04")?.id;
    expect(web1.vmState).toBe("active");
    expect(web1.taskState).toBeNull();
    expect(web1.imageId).toBe(target);
    expect(web1.keyPair).toBe("ops-2026");
    expect(serverActions(cloud.emulator, "web-1")).toEqual(["rebuild"]);
  });
});
