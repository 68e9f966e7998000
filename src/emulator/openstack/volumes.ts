import { randomUuid } from "../ids.js";
import { isoNaive } from "./time.js";
import type { VolumeStageState, VolumeState } from "./state-types.js";

/** Applies every re-imaging stage whose time has come. Cheap when nothing is due. */
export function advanceVolume(volume: VolumeState, now: number): void {
  let stage = volume.stages[0];
  while (stage && stage.at <= now) {
    volume.stages.shift();
    applyVolumeStage(volume, stage);
    stage = volume.stages[0];
  }
}

function applyVolumeStage(volume: VolumeState, stage: VolumeStageState): void {
  volume.status = stage.status;
  if (stage.imageId !== undefined) volume.imageId = stage.imageId;
  if (stage.attachment === "detached") volume.attachment = null;
  if (stage.attachment === "attached" && volume.mapping) {
    volume.attachment = {
      id: randomUuid(),
      serverId: volume.mapping.serverId,
      device: volume.mapping.device,
      attachedAt: isoNaive(stage.at),
    };
  }
  volume.updatedAt = isoNaive(stage.at);
}

export interface ReimagePlan {
  /** When the rebuild starts (the API call). */
  readonly start: number;
  /** The rebuild's duration: the volume is back in use, attached, halfway through (before the server spawns). */
  readonly duration: number;
  /** The image copied onto the volume; the volume's own image when the rebuild fails (it is left as it was). */
  readonly imageId: string;
}

/**
 * A root volume re-imaged by a rebuild at 2.93 or later, as Nova and Cinder do it: Nova creates a new attachment
 * (no connector: `reserved`) and deletes the old one (the volume shows no attachment), Cinder copies the image
 * (`downloading`), sets the new volume_image_metadata and goes back to `reserved`, then Nova attaches it again
 * (`in-use`) and spawns the server.
 */
export function reimageStages(plan: ReimagePlan): VolumeStageState[] {
  const at = (share: number) => plan.start + plan.duration * share;
  return [
    { at: at(0.05), status: "reserved", attachment: "detached" },
    { at: at(0.1), status: "downloading" },
    { at: at(0.4), status: "reserved", imageId: plan.imageId },
    { at: at(0.5), status: "in-use", attachment: "attached" },
  ];
}
