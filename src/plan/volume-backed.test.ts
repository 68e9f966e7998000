import { describe, expect, it } from "vitest";
import type { InstanceChange } from "../model/index.js";
import { planInstance } from "./plan-instance.js";
import { IMAGES, NOVA_2_92, NOVA_2_96, desired, input, observed, userData } from "./test-builders.js";

/** Servers that boot from a volume: Nova shows no image, reform reads it from the root volume (Cinder). */

const noble = { name: "ubuntu-24.04" } as const;
const jammy = { name: "ubuntu-22.04" } as const;
const reasonText = (c: InstanceChange): string => c.reasons.map((r) => r.message).join("\n");
const volumeBacked = (overrides: Parameters<typeof observed>[0] = {}) =>
  observed({ imageId: IMAGES.jammy.id, bootVolume: { id: "vol-root" }, ...overrides });
const unreadable = (reason: string) => observed({ imageId: "", bootVolume: { id: "vol-root", unknownReason: reason } });

function rebuildStep(c: InstanceChange) {
  const step = c.steps.find((s) => s.kind === "rebuild");
  if (step?.kind !== "rebuild") throw new Error(`no rebuild step in ${c.action}`);
  return step;
}

describe("volume-backed servers, Nova >= 2.93: the root volume is re-imaged", () => {
  it("plans an image change as one rebuild naming the root volume, labelled reprovision with the data loss", () => {
    const c = planInstance(
      input(
        desired({ image: noble, keyPair: "ops-2026", userData: userData("#cloud-config\n"), metadata: { role: "db" } }),
        volumeBacked(),
      ),
    );
    expect(c.action).toBe("rebuild");
    expect(c.steps.map((s) => s.kind)).toEqual(["rebuild"]);
    const step = rebuildStep(c);
    expect(step.impact).toBe("reprovision");
    expect(step.params).toMatchObject({
      imageId: IMAGES.noble.id,
      keyPair: "ops-2026",
      rootVolumeId: "vol-root",
      metadata: { full: { role: "db" } },
    });
    expect(step.params.userDataSha256).toBe(userData("#cloud-config\n").sha256);
    expect(reasonText(c)).toContain(
      "image img-2204 → ubuntu-24.04 (img-2404): the rebuild re-images the root volume vol-root: its data is lost",
    );
  });

  it("rebuilds with the volume's current image for a key pair or user_data change (which re-images the volume too)", () => {
    const c = planInstance(input(desired({ image: jammy, keyPair: "ops-2026" }), volumeBacked()));
    expect(c.action).toBe("rebuild");
    expect(rebuildStep(c).params).toMatchObject({ imageId: IMAGES.jammy.id, rootVolumeId: "vol-root" });
    expect(reasonText(c)).toContain(
      "key pair ops-2025 → ops-2026: the rebuild re-images the root volume vol-root: its data is lost",
    );
  });

  it("is unchanged when the volume's image is the desired one", () => {
    const c = planInstance(input(desired({ image: jammy, keyPair: "ops-2025" }), volumeBacked()));
    expect(c.action).toBe("no-op");
    expect(c.unknowns).toEqual([]);
  });

  it("repairs a volume-backed server in ERROR by re-imaging its root volume with its image", () => {
    const c = planInstance(
      input(
        desired({ image: jammy }),
        volumeBacked({ status: "error", rawStatus: "ERROR", fault: { message: "boom" } }),
      ),
    );
    expect(c.action).toBe("rebuild");
    expect(rebuildStep(c).params).toMatchObject({ imageId: IMAGES.jammy.id, rootVolumeId: "vol-root" });
  });
});

describe("volume-backed servers, Nova < 2.93: unsupported, naming 2.93", () => {
  it("refuses an image change, with the reason and the microversion needed", () => {
    const c = planInstance(input(desired({ image: noble }), volumeBacked(), NOVA_2_92));
    expect(c.action).toBe("unsupported");
    expect(c.steps).toEqual([]);
    expect(reasonText(c)).toContain(
      "dc1/web-1: the server boots from a volume and the cloud's rebuild cannot re-image a root volume",
    );
    expect(reasonText(c)).toContain("needs 2.93");
  });

  it("refuses a key pair or user_data change too: a same-image rebuild below 2.93 leaves the volume as it is", () => {
    for (const change of [{ keyPair: "ops-2026" }, { userData: userData("#cloud-config\nx: 1\n") }]) {
      const c = planInstance(input(desired({ image: jammy, ...change }), volumeBacked(), NOVA_2_92));
      expect(c.action, JSON.stringify(change)).toBe("unsupported");
      expect(reasonText(c)).toContain("needs 2.93");
    }
  });

  it("refuses to repair a volume-backed server in ERROR by rebuilding", () => {
    const c = planInstance(
      input(desired({ image: jammy }), volumeBacked({ status: "error", rawStatus: "ERROR" }), NOVA_2_92),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("needs 2.93");
  });

  it("still updates metadata in place, which needs no rebuild", () => {
    const c = planInstance(input(desired({ image: jammy, metadata: { role: "db" } }), volumeBacked(), NOVA_2_92));
    expect(c.action).toBe("update-metadata");
  });
});

describe("volume-backed servers whose root volume cannot be read", () => {
  it("keeps the image unknown with the reason, and plans nothing for it", () => {
    const c = planInstance(
      input(
        desired({ image: noble }),
        unreadable("the block storage API (Cinder) could not be read: connection refused"),
      ),
    );
    expect(c.action).toBe("no-op");
    expect(c.unknowns).toEqual([
      {
        field: "image",
        reason: "the server boots from a volume: the block storage API (Cinder) could not be read: connection refused",
      },
    ]);
  });

  it("cannot reprovision with the current image it cannot read, and says why", () => {
    const c = planInstance(
      input(desired({ keyPair: "ops-2026" }), unreadable("no volume is attached at its root device /dev/vda")),
    );
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain(
      "no volume is attached at its root device /dev/vda; so it cannot be reprovisioned with its current image",
    );
  });

  it("does not re-image a root volume it could not find, even to repair a server in ERROR", () => {
    const lost = observed({
      imageId: "",
      status: "error",
      rawStatus: "ERROR",
      bootVolume: { unknownReason: "no volume is attached at its root device /dev/vda" },
    });
    const c = planInstance(input(desired({ image: jammy }), lost));
    expect(c.action).toBe("unsupported");
    expect(reasonText(c)).toContain("would re-image a root volume that reform could not read back");
  });

  it("is the same for an image-backed server: a server without bootVolume is rebuilt as before", () => {
    const c = planInstance(input(desired({ image: noble }), observed(), NOVA_2_92));
    expect(c.action).toBe("rebuild");
    expect(rebuildStep(c).params.rootVolumeId).toBeUndefined();
    expect(reasonText(c)).toContain("the rebuild re-creates the root disk");
  });
});

describe("NOVA_2_96 fixture", () => {
  it("declares volume-backed rebuilds (2.93 and later)", () => {
    expect(NOVA_2_96.reprovisionsBootVolume).toBe(true);
  });
});
