import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { namePatterns } from "../../providers/openstack/adapter.js";
import { startEmulator } from "../emulator.js";
import { call, nova, passwordAuth, tokenFor } from "../test-client.js";
import type { Emulator } from "../types.js";
import { parseWorld } from "../world.js";

/**
 * A name filter that is an anchored alternation of literal names (what reform's reads and polls send) is answered
 * from the emulator's index by name; any other pattern walks every server. `^(?:a|b)$` matches what `^(a|b)$`
 * matches but is not such an alternation, so the same request with `(?:` is answered by the general path: whatever
 * the world and its writes (creates, renames by rebuild, deletes), both must give the same pages, byte for byte.
 */
const IMAGE = "11111111-1111-4111-8111-111111111111";
const nameChars = fc.constantFrom(..."ab-_.*+?^$()[]{}|\\/0é");
/** Mostly a few names, so that renames, creates and deletes hit the names asked for. */
const name = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("web-1", "a.b", "a*", "(x)", "b|c", "\\d", "é", "^$", "[1]") },
  { weight: 1, arbitrary: fc.string({ unit: nameChars, minLength: 1, maxLength: 4 }) },
);

type Op =
  | { readonly type: "create"; readonly name: string; readonly other: boolean }
  | { readonly type: "rename"; readonly index: number; readonly name: string }
  | { readonly type: "delete"; readonly index: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant("create" as const), name, other: fc.boolean() }),
  fc.record({ type: fc.constant("rename" as const), index: fc.nat(), name }),
  fc.record({ type: fc.constant("delete" as const), index: fc.nat() }),
);

function world(names: readonly string[]): string {
  return `openstack:
  users:
    - { name: admin, password: admin-pw, project: demo, roles: [admin] }
    - { name: bob, password: bob-pw, project: other }
  images:
    - { name: ubuntu-22.04, id: ${IMAGE} }
  servers: [${names.map((n, i) => `{ name: ${JSON.stringify(n)}, image: ubuntu-22.04${i % 3 === 2 ? ", status: SHUTOFF" : ""} }`).join(", ")}]
timings: { rebuild: 0s, reboot: 0s, stop: 0s, start: 0s, build: 0s }
`;
}

/** A token of bob's, in the project "other". */
async function otherToken(emulator: Emulator): Promise<string> {
  const reply = await call(`${emulator.urls.identity}/auth/tokens`, {
    method: "POST",
    body: passwordAuth("bob", "bob-pw", "other"),
  });
  expect(reply.status).toBe(201);
  return reply.headers["x-subject-token"] as string;
}

describe("Nova's name filter from the index by name", () => {
  it("lists the same pages as walking every server, whatever the world, its writes, the names, limit and marker", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(name, { maxLength: 12 }),
        fc.array(op, { maxLength: 8 }),
        fc.array(name, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (initial, ops, wanted, limit, allTenants) => {
          const emulator = await startEmulator({ world: parseWorld(world(initial), "world.yaml") });
          try {
            const api = nova(emulator, await tokenFor(emulator, "admin", "admin-pw"), "2.57");
            const bob = nova(emulator, await otherToken(emulator), "2.57");
            for (const o of ops) {
              const ids = (await api("/servers?all_tenants=1")).body.servers.map(
                (s: { id: string }) => s.id,
              ) as string[];
              const id = ids.length > 0 ? ids[("index" in o ? o.index : 0) % ids.length] : undefined;
              if (o.type === "create")
                await (o.other ? bob : api)("/servers", {
                  method: "POST",
                  body: { server: { name: o.name, imageRef: IMAGE, flavorRef: "1", networks: "none" } },
                });
              else if (o.type === "rename" && id)
                expect(
                  (
                    await api(`/servers/${id}/action`, {
                      method: "POST",
                      body: { rebuild: { imageRef: IMAGE, name: o.name } },
                    })
                  ).status,
                ).toBe(202);
              else if (o.type === "delete" && id) await api(`/servers/${id}`, { method: "DELETE" });
            }
            const tenants = allTenants ? "&all_tenants=1" : "";
            for (const pattern of namePatterns([...wanted, ...initial.slice(0, 2)])) {
              const general = pattern.replace(/^\^\(/, "^(?:");
              const pages = async (p: string): Promise<string[]> => {
                const texts: string[] = [];
                let marker = "";
                for (;;) {
                  const query = `?name=${encodeURIComponent(p)}&limit=${limit}${tenants}${marker}`;
                  const reply = await api(`/servers/detail${query}`);
                  expect(reply.status).toBe(200);
                  const servers = reply.body.servers as { id: string }[];
                  texts.push(JSON.stringify(servers));
                  const last = servers[servers.length - 1];
                  if (!last || servers.length < limit) return texts;
                  marker = `&marker=${last.id}`;
                }
              };
              expect(await pages(pattern), pattern).toEqual(await pages(general));
            }
          } finally {
            await emulator.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
