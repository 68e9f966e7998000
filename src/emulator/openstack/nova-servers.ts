import { randomBytes } from "node:crypto";
import type { ApiResponse } from "../http.js";
import { isRecord, readJson } from "../http.js";
import { randomUuid } from "../ids.js";
import { flavorById } from "./flavors.js";
import { beginOperation } from "./lifecycle.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { findServer, json, NovaError } from "./nova-common.js";
import {
  checkAllowed,
  checkMetadataQuota,
  invalidInput,
  validateKeyName,
  validateMetadata,
  validateName,
  validateUserData,
  validateUuid,
} from "./nova-validate.js";
import { novaLinks, serverView } from "./nova-view.js";
import { noValidHost } from "./scheduler.js";
import type { ImageState, ServerState } from "./state-types.js";
import { isoMicros, isoSeconds } from "./time.js";

const CREATE_FIELDS = new Set([
  "name",
  "imageRef",
  "flavorRef",
  "key_name",
  "user_data",
  "metadata",
  "networks",
  "min_count",
  "max_count",
  "return_reservation_id",
  "security_groups",
  "availability_zone",
  "adminPass",
  "config_drive",
  "description",
  "OS-DCF:diskConfig",
  "accessIPv4",
  "accessIPv6",
  "personality",
  "tags",
  "trusted_image_certificates",
  "hostname",
  "block_device_mapping_v2",
]);

export function showServer(ctx: NovaContext, call: NovaCall, id: string): ApiResponse {
  return json(200, { server: serverView(ctx, call, findServer(ctx, call, id)) });
}

interface CreateInput {
  readonly name: string;
  readonly imageId: string;
  readonly flavorId: string;
  readonly keyName: string | null;
  readonly userData: string | null;
  readonly metadata: Record<string, string>;
}

function parseCreate(body: unknown): CreateInput {
  const server = isRecord(body) ? body.server : undefined;
  if (!isRecord(server)) throw invalidInput("server", server, "'server' is a required property");
  checkAllowed("server", server, CREATE_FIELDS);
  for (const required of ["name", "flavorRef", "imageRef"]) {
    if (!(required in server)) throw invalidInput("server", server, `'${required}' is a required property`);
  }
  const flavorRef = String(server.flavorRef).split("/").pop() ?? "";
  return {
    name: validateName("name", server.name),
    imageId: validateUuid("imageRef", String(server.imageRef).split("/").pop()),
    flavorId: flavorRef,
    keyName: "key_name" in server ? validateKeyName(server.key_name, false) : null,
    userData: "user_data" in server ? validateUserData(server.user_data, false) : null,
    metadata: "metadata" in server ? validateMetadata(server.metadata) : {},
  };
}

/** POST /servers: BUILD for timings.build, then ACTIVE (or ERROR for an image with `fail`). */
export function createServer(ctx: NovaContext, call: NovaCall): ApiResponse {
  const input = parseCreate(readJson(call.req));
  const image = ctx.cloud.images.get(input.imageId);
  if (!image) throw new NovaError(400, "Can not find requested image");
  if (!flavorById(input.flavorId)) throw new NovaError(400, "Invalid flavorRef provided.");
  if (input.keyName !== null && !ctx.cloud.keypair(call.principal.projectId, input.keyName))
    throw new NovaError(400, "Invalid key_name provided.");
  checkMetadataQuota(Object.keys(input.metadata).length);
  const now = ctx.cloud.now();
  const server: ServerState = {
    id: randomUuid(),
    name: input.name,
    projectId: call.principal.projectId,
    userId: call.principal.userId,
    imageId: image.id,
    flavorId: input.flavorId,
    keyPair: input.keyName,
    metadata: input.metadata,
    userData: input.userData,
    vmState: "building",
    taskState: null,
    powerState: 0,
    created: isoSeconds(now),
    updated: isoMicros(now * 1000),
    launchedAt: null,
    locked: false,
    fault: null,
    address: ctx.cloud.allocateAddress(),
    operation: null,
    actions: [],
  };
  ctx.cloud.addServer(server);
  beginOperation(server, {
    kind: "build",
    requestId: call.req.requestId,
    userId: call.principal.userId,
    now,
    timings: ctx.timings,
    ...failure(image),
  });
  ctx.stats.actions.push({
    serverId: server.id,
    serverName: server.name,
    action: "create",
    at: now,
    requestId: call.req.requestId,
  });
  ctx.changed();
  const adminPass = randomBytes(9).toString("base64url");
  return json(
    202,
    {
      server: {
        id: server.id,
        links: novaLinks(call, "servers", server.id),
        "OS-DCF:diskConfig": "MANUAL",
        security_groups: [{ name: "default" }],
        adminPass,
      },
    },
    { location: `${call.base}/servers/${server.id}` },
  );
}

function failure(image: ImageState): { failMessage?: string } {
  const message = image.fail ?? noValidHost(image);
  return message === undefined ? {} : { failMessage: message };
}

/** DELETE /servers/{id}: 204, gone at once. */
export function deleteServer(ctx: NovaContext, call: NovaCall, id: string): ApiResponse {
  const server = findServer(ctx, call, id);
  if (server.locked && !call.principal.isAdmin) throw new NovaError(409, `Instance ${id} is locked`);
  ctx.cloud.removeServer(id);
  ctx.cloud.releaseVolumesOf(id);
  ctx.stats.actions.push({
    serverId: id,
    serverName: server.name,
    action: "delete",
    at: ctx.cloud.now(),
    requestId: call.req.requestId,
  });
  ctx.changed();
  // real Nova's 204 here still says Content-Type: application/json
  return { status: 204, headers: { "content-type": "application/json" } };
}
