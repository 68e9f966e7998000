import type { MetadataTarget, RebootType, Step } from "../model/index.js";

export interface MetadataTargetDocument {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
  readonly full: Readonly<Record<string, string>>;
}

export interface ReprovisionParamsDocument {
  readonly image_id: string;
  /** Absent: left as is; null: removed. */
  readonly key_pair?: string | null;
  /** Absent: left as is; null: removed. A digest: the content is resolved again at apply. */
  readonly user_data_sha256?: string | null;
  readonly metadata: MetadataTargetDocument;
  readonly keep_stopped: boolean;
  readonly variant?: string;
  /** The volume a volume-backed server boots from: the step re-images it (its data is lost). */
  readonly root_volume_id?: string;
}

/** A step on the wire: kind, impact and snake_case params. Secrets are never params (user_data by digest, passwords by reference). */
export type StepDocument =
  | {
      readonly kind: "rebuild" | "reinstall" | "changeos";
      readonly impact: "reprovision";
      readonly params: ReprovisionParamsDocument;
    }
  | {
      readonly kind: "reboot";
      readonly impact: "reboot";
      readonly params: { readonly type: RebootType; readonly metadata?: MetadataTargetDocument };
    }
  | {
      readonly kind: "update-metadata";
      readonly impact: "none";
      readonly params: { readonly metadata: MetadataTargetDocument };
    }
  | {
      readonly kind: "stop" | "start";
      readonly impact: "reboot";
      readonly params: { readonly reason: "power" | "prerequisite" };
    };

function targetDocument(target: MetadataTarget): MetadataTargetDocument {
  return { set: { ...target.set }, remove: [...target.remove], full: { ...target.full } };
}

function targetFromDocument(doc: MetadataTargetDocument): MetadataTarget {
  return { set: { ...doc.set }, remove: [...doc.remove], full: { ...doc.full } };
}

export function stepDocument(step: Step): StepDocument {
  switch (step.kind) {
    case "rebuild":
    case "reinstall":
    case "changeos": {
      const p = step.params;
      const params: ReprovisionParamsDocument = {
        image_id: p.imageId,
        ...(p.keyPair === undefined ? {} : { key_pair: p.keyPair }),
        ...(p.userDataSha256 === undefined ? {} : { user_data_sha256: p.userDataSha256 }),
        metadata: targetDocument(p.metadata),
        keep_stopped: p.keepStopped,
        ...(p.variant === undefined ? {} : { variant: p.variant }),
        ...(p.rootVolumeId === undefined ? {} : { root_volume_id: p.rootVolumeId }),
      };
      return { kind: step.kind, impact: step.impact, params };
    }
    case "reboot":
      return {
        kind: "reboot",
        impact: "reboot",
        params: {
          type: step.params.type,
          ...(step.params.metadata ? { metadata: targetDocument(step.params.metadata) } : {}),
        },
      };
    case "update-metadata":
      return { kind: "update-metadata", impact: "none", params: { metadata: targetDocument(step.params.metadata) } };
    case "stop":
    case "start":
      return { kind: step.kind, impact: "reboot", params: { reason: step.params.reason } };
  }
}

export function stepFromDocument(doc: StepDocument): Step {
  switch (doc.kind) {
    case "rebuild":
    case "reinstall":
    case "changeos": {
      const p = doc.params;
      return {
        kind: doc.kind,
        impact: "reprovision",
        params: {
          imageId: p.image_id,
          ...(p.key_pair === undefined ? {} : { keyPair: p.key_pair }),
          ...(p.user_data_sha256 === undefined ? {} : { userDataSha256: p.user_data_sha256 }),
          metadata: targetFromDocument(p.metadata),
          keepStopped: p.keep_stopped,
          ...(p.variant === undefined ? {} : { variant: p.variant }),
          ...(p.root_volume_id === undefined ? {} : { rootVolumeId: p.root_volume_id }),
        },
      };
    }
    case "reboot":
      return {
        kind: "reboot",
        impact: "reboot",
        params: {
          type: doc.params.type,
          ...(doc.params.metadata ? { metadata: targetFromDocument(doc.params.metadata) } : {}),
        },
      };
    case "update-metadata":
      return { kind: "update-metadata", impact: "none", params: { metadata: targetFromDocument(doc.params.metadata) } };
    case "stop":
    case "start":
      return { kind: doc.kind, impact: "reboot", params: { reason: doc.params.reason } };
  }
}
