import { describe, expect, it } from "vitest";
import { bootVolumeOf, indexAttachments } from "./boot-volume.js";
import type { CinderVolume } from "./cinder.js";
import type { NovaServer } from "./normalize.js";
import { bootsFromVolume } from "./normalize.js";

const server = (patch: Partial<NovaServer> = {}): NovaServer => ({ id: "srv-1", name: "db-1", image: "", ...patch });
const volume = (id: string, serverId: string, device: string, imageId?: string): CinderVolume => ({
  id,
  status: "in-use",
  bootable: "true",
  attachments: [{ server_id: serverId, device }],
  ...(imageId === undefined ? {} : { volume_image_metadata: { image_id: imageId, image_name: "x" } }),
});

describe("the root volume of a volume-backed server", () => {
  it('is told by Nova\'s image "" (not by a missing image)', () => {
    expect(bootsFromVolume(server())).toBe(true);
    expect(bootsFromVolume(server({ image: { id: "img-1" } }))).toBe(false);
    expect(bootsFromVolume(server({ image: null }))).toBe(false);
  });

  it("is the volume attached at the root device name Nova shows (to admins)", () => {
    const volumes = [
      volume("vol-data", "srv-1", "/dev/vda", "img-data"),
      volume("vol-root", "srv-1", "/dev/sda", "img-root"),
    ];
    const found = bootVolumeOf(server({ "OS-EXT-SRV-ATTR:root_device_name": "/dev/sda" }), indexAttachments(volumes));
    expect(found).toEqual({ imageId: "img-root", bootVolume: { id: "vol-root" } });
  });

  it("without the root device name, is the one at the device Nova gives the root disk (vda, sda, xvda, hda), not a bootable data volume", () => {
    const volumes = [
      volume("vol-seed", "srv-1", "/dev/vdb", "img-seed"),
      volume("vol-root", "srv-1", "/dev/vda", "img-root"),
      volume("vol-other", "srv-2", "/dev/vda", "img-other"),
    ];
    expect(bootVolumeOf(server(), indexAttachments(volumes))).toEqual({
      imageId: "img-root",
      bootVolume: { id: "vol-root" },
    });
    expect(bootVolumeOf(server({ id: "srv-3" }), indexAttachments([volume("v", "srv-3", "xvda", "img-x")]))).toEqual({
      imageId: "img-x",
      bootVolume: { id: "v" },
    });
  });

  it("leaves the image unknown with the reason when no volume is at the root device", () => {
    const found = bootVolumeOf(
      server({ "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda" }),
      indexAttachments([volume("vol-seed", "srv-1", "/dev/vdb", "img-seed")]),
    );
    expect(found).toEqual({
      imageId: "",
      bootVolume: {
        unknownReason:
          "no bootable volume of the project is attached at its root device /dev/vda (attached: vol-seed at /dev/vdb)",
      },
    });
    const none = bootVolumeOf(server(), indexAttachments([]));
    expect(none.bootVolume.unknownReason).toBe(
      "no bootable volume of the project is attached at a root device (/dev/vda, /dev/sda, /dev/xvda, /dev/hda; Nova shows the root device name to admins only)",
    );
  });

  it("leaves the image unknown when the root volume was not created from an image, or two volumes claim the root device", () => {
    const blank = bootVolumeOf(server(), indexAttachments([volume("vol-root", "srv-1", "/dev/vda")]));
    expect(blank).toEqual({
      imageId: "",
      bootVolume: {
        id: "vol-root",
        unknownReason: "its root volume vol-root was not created from an image (no volume_image_metadata.image_id)",
      },
    });
    const two = bootVolumeOf(
      server(),
      indexAttachments([volume("a", "srv-1", "/dev/vda", "i"), volume("b", "srv-1", "/dev/sda", "j")]),
    );
    expect(two.imageId).toBe("");
    expect(two.bootVolume.unknownReason).toContain("volumes a at /dev/vda and b at /dev/sda are both attached");
  });
});
