import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestServerPageBytes } from "./openstack/server-page.js";
import { startServerPageWorker } from "./page-pool.js";

// The thread runs the compiled dist/providers/page-worker.js (`npm test` builds first).
const request = { provider: "dc1", selectors: [] };
const page = (from: number, count: number) =>
  new Uint8Array(
    Buffer.from(
      JSON.stringify({
        servers: Array.from({ length: count }, (_, i) => ({
          id: `srv-${from + i}`,
          name: `web-${from + i}`,
          status: i % 7 === 0 ? "DELETED" : "ACTIVE",
          image: i % 5 === 0 ? "" : { id: "img-1" },
          metadata: { role: "web", "reform.user_data.sha256": "abc" },
          addresses: { private: [{ addr: `10.0.0.${i % 250}` }] },
        })),
        servers_links: [{ rel: "next", href: `http://nova/servers/detail?marker=srv-${from + count - 1}` }],
      }),
    ),
  );

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "reform-page-worker-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("startServerPageWorker", () => {
  it("digests pages on its thread exactly as on this one, in order, moving each page's bytes to the thread", async () => {
    const worker = startServerPageWorker();
    try {
      const pages = [page(0, 300), page(300, 300), page(600, 17)];
      const expected = pages.map((bytes) => digestServerPageBytes(bytes, request));
      const digests = await Promise.all(pages.map((bytes) => worker.digest(bytes, request)));
      expect(digests).toEqual(expected);
      // Moved, not copied: the page's memory is the thread's now.
      expect(pages.map((bytes) => bytes.byteLength)).toEqual([0, 0, 0]);
      // A listing with other selectors on the same thread gets its own.
      const only = { provider: "dc2", selectors: [{ name: "web-5" }] };
      const narrowed = await worker.digest(page(0, 10), only);
      expect(narrowed.instances.map((i) => [i.provider, i.name])).toEqual([["dc2", "web-5"]]);
      expect((await worker.digest(page(0, 10), request)).instances).toHaveLength(8);
    } finally {
      await worker.close();
    }
  });

  it("digests on this thread when the script is missing", async () => {
    const worker = startServerPageWorker(join(dir, "missing.js"));
    const bytes = page(0, 20);
    const expected = digestServerPageBytes(bytes, request);
    expect(await worker.digest(bytes, request)).toEqual(expected);
    expect(bytes.byteLength).toBeGreaterThan(0);
    await worker.close();
  });

  it("when the thread dies with pages: one still here is digested here, a moved one fails its listing clearly", async () => {
    const script = join(dir, "dies.mjs");
    await writeFile(
      script,
      'import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => process.exit(3));\n',
    );
    const worker = startServerPageWorker(script);
    try {
      const whole = page(0, 20);
      // A view into a larger buffer cannot be moved: it is copied, and kept here.
      const larger = new Uint8Array(whole.byteLength + 8);
      larger.set(whole, 8);
      const view = larger.subarray(8);
      const moved = worker.digest(whole, request);
      const copied = worker.digest(view, request);
      await expect(moved).rejects.toThrow("the thread digesting list pages stopped while it had a page");
      expect(await copied).toEqual(digestServerPageBytes(view, request));
      // Later pages are digested here.
      expect((await worker.digest(page(0, 3), request)).listed).toBe(3);
    } finally {
      await worker.close();
    }
  });
});
