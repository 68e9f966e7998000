import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ObservedInstance } from "../model/observed.js";
import { userDataSha256 } from "../model/user-data.js";
import { observed } from "../plan/test-builders.js";
import { composeFleet } from "./compose.js";
import { imageComment } from "./images.js";
import { renderImportedFleet } from "./render.js";
import { importServer } from "./server.js";
import type { ImageChoice, ImportedServer, LeftOutServer } from "./types.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "test", "fixtures", "import");
const PLANTED = "Pl4nted-Secr3t-Kn0wn";

/** Compares in full with the golden file; REFORM_UPDATE_GOLDEN=1 rewrites it (then read the diff by eye). */
function golden(name: string, actual: string): void {
  const path = join(FIXTURES, name);
  if (process.env.REFORM_UPDATE_GOLDEN === "1") writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const SOURCE = `# yaml-language-server: $schema=./fleet.schema.json
providers:
  # the production cloud (clouds.yaml entry dc1)
  dc1:
    type: openstack
    cloud: dc1   # credentials stay in clouds.yaml
  hw: { type: huaweicloud, region: ap-southeast-1, projectId: "\${env:REFORM_VAR_HW_PROJECT}" }
  lab: { type: sim }
instances: []
`;

const IMAGES: Record<string, ImageChoice> = {
  "img-noble": { type: "name", name: "ubuntu-24.04" },
  "img-jammy": { type: "name", name: "ubuntu-22.04" },
  "img-dup": { type: "id", name: "debian-12", why: "image name debian-12 is ambiguous: ids img-dup, img-dup2" },
  "img-euler": { type: "name", name: "euler-2.12" },
};
const text = (content: string): Partial<ObservedInstance> => ({
  userDataSha256: { known: true, value: userDataSha256(content) },
  userData: content,
});
const WEB = {
  imageId: "img-noble",
  keyPair: "ops-2026",
  metadata: { role: "web", env: "prod" },
  ...text("#cloud-config\npackages: [nginx]\n"),
};

/** A fleet with every shape the output has: groups (glob, name list), defaults, instances by name and id, notes, left out. */
function servers(): ObservedInstance[] {
  return [
    ...["web-01", "web-02", "web-03", "web-04"].map((name, i) => observed({ ...WEB, id: `dc1-web-${i}`, name })),
    observed({
      ...WEB,
      id: "dc1-canary",
      name: "canary",
      metadata: { role: "web", env: "prod", "db.password": PLANTED },
    }),
    observed({
      id: "dc1-db-1",
      name: "db-1",
      imageId: "img-jammy",
      keyPair: "ops-2026",
      metadata: { role: "db", env: "prod" },
      status: "stopped",
      rawStatus: "SHUTOFF",
      power: "stopped",
      ...text(`#cloud-config\nchpasswd:\n  list: |\n    root:${PLANTED}\n`),
    }),
    observed({
      id: "dc1-legacy-a",
      name: "legacy",
      imageId: "img-dup",
      keyPair: null,
      metadata: { role: "legacy", env: "prod" },
      ...text("#!/bin/sh\nprintf '\u001b[1mready\u001b[0m'\n"),
    }),
    observed({
      id: "dc1-legacy-b",
      name: "legacy",
      imageId: "img-dup",
      keyPair: null,
      metadata: { role: "legacy", env: "prod" },
      userDataSha256: { known: false, reason: "Nova shows user_data only to admins; no reform annotation yet" },
    }),
    observed({
      id: "dc1-broken",
      name: "web-05",
      imageId: "img-noble",
      status: "error",
      rawStatus: "ERROR",
      fault: { message: "No valid host was found" },
    }),
    observed({ id: "dc1-vol", name: "db-2", imageId: "" }),
    ...["app-1", "app-2", "job-1"].map((name, i) =>
      observed({
        provider: "hw",
        id: `hw-${i}`,
        name,
        imageId: "img-euler",
        keyPair: "ops-2026",
        metadata: { role: "app", env: "prod" },
        ...text("#!/bin/sh\necho ${env:HOME} $HOME\n"),
      }),
    ),
    observed({
      provider: "hw",
      id: "hw-9",
      name: "app-9",
      imageId: "img-euler",
      status: "rebuilding",
      rawStatus: "REBUILD",
      task: "rebuilding",
    }),
  ];
}

function importedFleet(): string {
  const imported: ImportedServer[] = [];
  const leftOut: LeftOutServer[] = [];
  for (const server of servers()) {
    const result = importServer(server, { image: server.imageId === "" ? undefined : IMAGES[server.imageId] });
    if (result.type === "imported") imported.push(result.server);
    else leftOut.push(result.server);
  }
  const names = (provider: string) => leftOut.filter((s) => s.provider === provider).map((s) => s.name);
  const fleet = composeFleet(
    ["dc1", "hw"].map((provider) => ({
      provider,
      servers: imported.filter((s) => s.provider === provider),
      others: names(provider),
    })),
  );
  const imageComments = new Map(
    Object.entries(IMAGES).flatMap(([id, choice]) =>
      imageComment(choice) ? [[id, imageComment(choice) as string]] : [],
    ),
  );
  return renderImportedFleet({
    sourceText: SOURCE,
    providers: ["dc1", "hw"],
    fleet,
    leftOut,
    imageComments,
    header: {
      source: "providers.yaml",
      asOf: "2026-11-22T10:00:00.000Z",
      check: "reform plan -c fleet.yaml --detailed-exitcode",
    },
  });
}

describe("the imported fleet file (golden)", () => {
  it("has its header, providers as written, defaults, groups, instances, the notes and the servers left out", () => {
    golden("fleet.yaml", importedFleet());
  });

  it("never holds a value that looks like a secret", () => {
    const output = importedFleet();
    expect(output).not.toContain(PLANTED);
    expect(output).toContain("metadata.db.password is not managed: it looks like a secret (its name says password)");
    expect(output).toContain("userData is not managed: it looks like it holds secrets (chpasswd); never written");
  });

  it("copies only the imported providers, keeping their comments and ${env:…} as written", () => {
    const output = importedFleet();
    expect(output).toContain(
      "  # the production cloud (clouds.yaml entry dc1)\n  dc1:\n    type: openstack\n    cloud: dc1 # credentials stay in clouds.yaml\n",
    );
    expect(output).toContain('projectId: "${env:REFORM_VAR_HW_PROJECT}"');
    expect(output).not.toContain("lab:");
  });
});
