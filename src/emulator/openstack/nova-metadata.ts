import type { ApiResponse } from "../http.js";
import { isRecord, readJson } from "../http.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { findServer, json, NovaError } from "./nova-common.js";
import { checkMetadataQuota, invalidInput, validateMetadata } from "./nova-validate.js";
import type { ServerState } from "./state-types.js";
import { nextUpdated } from "./time.js";

const WRITABLE = new Set(["active", "stopped"]);

/**
 * Writes need vm_state active/paused/suspended/stopped (ERROR or BUILD: 409), but NOT a null task state:
 * Nova's update/delete_instance_metadata pass `task_state=None` to check_instance_state, which skips the
 * task check. Seen on a real Nova (Zed, test/nova): a metadata POST during a rebuild answers 200.
 */
function checkWritable(call: NovaCall, server: ServerState, method: string): void {
  const action = method === "DELETE" ? "delete_instance_metadata" : "update_instance_metadata";
  if (server.locked && !call.principal.isAdmin) throw new NovaError(409, `Instance ${server.id} is locked`);
  if (!WRITABLE.has(server.vmState))
    throw new NovaError(409, `Cannot '${action}' instance ${server.id} while it is in vm_state ${server.vmState}`);
}

function save(ctx: NovaContext, server: ServerState, metadata: Record<string, string>): void {
  checkMetadataQuota(Object.keys(metadata).length);
  server.metadata = metadata;
  server.updated = nextUpdated(server.updated, ctx.cloud.now());
  ctx.changed();
}

function bodyMetadata(call: NovaCall, field: "metadata" | "meta"): unknown {
  const body = readJson(call.req);
  if (!isRecord(body) || !(field in body)) throw invalidInput(field, body, `'${field}' is a required property`);
  return body[field];
}

/** /servers/{id}/metadata: GET, POST (merge), PUT (replace all). */
export function metadataCollection(ctx: NovaContext, call: NovaCall, id: string): ApiResponse {
  const server = findServer(ctx, call, id);
  switch (call.req.method) {
    case "GET":
      return json(200, { metadata: { ...server.metadata } });
    case "POST":
    case "PUT": {
      const given = validateMetadata(bodyMetadata(call, "metadata"));
      checkWritable(call, server, call.req.method);
      save(ctx, server, call.req.method === "POST" ? { ...server.metadata, ...given } : given);
      return json(200, { metadata: { ...server.metadata } });
    }
    default:
      throw new NovaError(405, "The method is not allowed for the requested URL.");
  }
}

/** /servers/{id}/metadata/{key}: GET, PUT (upsert one), DELETE. */
export function metadataItem(ctx: NovaContext, call: NovaCall, id: string, key: string): ApiResponse {
  const server = findServer(ctx, call, id);
  switch (call.req.method) {
    case "GET": {
      const value = server.metadata[key];
      if (value === undefined) throw new NovaError(404, "Metadata item was not found");
      return json(200, { meta: { [key]: value } });
    }
    case "PUT": {
      const meta = validateMetadata(bodyMetadata(call, "meta"), "meta");
      const keys = Object.keys(meta);
      if (keys.length !== 1) throw new NovaError(400, "Request body contains too many items");
      if (keys[0] !== key) throw new NovaError(400, "Request body and URI mismatch");
      checkWritable(call, server, "PUT");
      save(ctx, server, { ...server.metadata, ...meta });
      return json(200, { meta });
    }
    case "DELETE": {
      if (server.metadata[key] === undefined) throw new NovaError(404, "Metadata item was not found");
      checkWritable(call, server, "DELETE");
      const rest = { ...server.metadata };
      delete rest[key];
      save(ctx, server, rest);
      return { status: 204 };
    }
    default:
      throw new NovaError(405, "The method is not allowed for the requested URL.");
  }
}
