export { startEmulator } from "./emulator.js";
export { parseWorld, loadWorldFile } from "./world.js";
export { parseDuration } from "./duration.js";
export { WorldFileError } from "./yaml-reader.js";
export { DEFAULT_TIMINGS, NO_FAULTS } from "./types.js";
export type {
  ActionRecord,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  FaultOptions,
  Timings,
  World,
  WorldState,
} from "./types.js";
export type {
  OpenStackWorld,
  WorldApplicationCredential,
  WorldImage,
  WorldKeypair,
  WorldServer,
  WorldUser,
} from "./openstack/world-types.js";
export type { HuaweiState, HuaweiWorld, HuaweiWorldServer } from "./huawei/index.js";
export type { JdInstanceState, JdState, JdWorld, JdWorldInstance } from "./jdcloud/index.js";
export type {
  OpenStackState,
  ServerState,
  ImageState,
  KeypairState,
  InstanceActionState,
} from "./openstack/state-types.js";
