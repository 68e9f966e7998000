import type { ApiResponse } from "../http.js";
import { isRecord, readJson } from "../http.js";
import { FLAVORS, flavorById } from "./flavors.js";
import { fakePrivateKey, fingerprintOf, generatePublicKey } from "./keys.js";
import { atLeast } from "./microversion.js";
import type { NovaCall, NovaContext } from "./nova-common.js";
import { findServer, json, NovaError } from "./nova-common.js";
import { invalidInput, MAX_METADATA_ITEMS } from "./nova-validate.js";
import { novaLinks } from "./nova-view.js";
import type { InstanceActionState, KeypairState } from "./state-types.js";
import { isoNaive } from "./time.js";

function keypairView(call: NovaCall, k: KeypairState, full: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint };
  if (atLeast(call.version, 2)) base.type = k.type;
  if (!full) return base;
  return {
    ...base,
    user_id: call.principal.userId,
    created_at: k.createdAt,
    deleted: false,
    deleted_at: null,
    updated_at: null,
    id: 1,
  };
}

/** /os-keypairs and /os-keypairs/{name} (key pairs are shared by the project's users: a simplification). */
export function keypairs(ctx: NovaContext, call: NovaCall, name: string | undefined): ApiResponse {
  const project = call.principal.projectId;
  const method = call.req.method;
  if (name === undefined && method === "GET") {
    const list = [...ctx.cloud.keypairs.values()].filter((k) => k.projectId === project);
    return json(200, { keypairs: list.map((k) => ({ keypair: keypairView(call, k, false) })) });
  }
  if (name === undefined && method === "POST") return createKeypair(ctx, call);
  const existing = name === undefined ? undefined : ctx.cloud.keypair(project, name);
  if (!existing) throw new NovaError(404, `Keypair ${name ?? ""} not found for user ${call.principal.userId}`);
  if (method === "GET") return json(200, { keypair: keypairView(call, existing, true) });
  if (method === "DELETE") {
    ctx.cloud.keypairs.delete(`${project}/${existing.name}`);
    ctx.changed();
    return { status: atLeast(call.version, 2) ? 204 : 202 };
  }
  throw new NovaError(405, "The method is not allowed for the requested URL.");
}

function createKeypair(ctx: NovaContext, call: NovaCall): ApiResponse {
  const body = readJson(call.req);
  const keypair = isRecord(body) ? body.keypair : undefined;
  if (!isRecord(keypair) || typeof keypair.name !== "string" || !/^[a-zA-Z0-9 _.@-]{1,255}$/.test(keypair.name))
    throw invalidInput("keypair", keypair, "'name' is invalid or missing");
  const name = keypair.name;
  const project = call.principal.projectId;
  if (ctx.cloud.keypair(project, name)) throw new NovaError(409, `Key pair '${name}' already exists.`);
  let publicKey = typeof keypair.public_key === "string" ? keypair.public_key : undefined;
  let privateKey: string | undefined;
  if (publicKey === undefined) {
    if (atLeast(call.version, 92)) throw invalidInput("keypair", keypair, "'public_key' is a required property");
    publicKey = generatePublicKey(ctx.cloud.seed, name);
    privateKey = fakePrivateKey(ctx.cloud.seed, name);
  }
  const fingerprint = fingerprintOf(publicKey);
  if (!fingerprint) throw new NovaError(400, "Keypair data is invalid: failed to generate fingerprint");
  const type = keypair.type === "x509" ? "x509" : "ssh";
  const created: KeypairState = {
    name,
    projectId: project,
    publicKey,
    fingerprint,
    type,
    createdAt: isoNaive(ctx.cloud.now()),
  };
  ctx.cloud.keypairs.set(`${project}/${name}`, created);
  ctx.changed();
  return json(atLeast(call.version, 2) ? 201 : 200, {
    keypair: {
      ...keypairView(call, created, false),
      user_id: call.principal.userId,
      ...(privateKey ? { private_key: privateKey } : {}),
    },
  });
}

export function flavors(call: NovaCall, id: string | undefined, detail: boolean): ApiResponse {
  const view = (f: (typeof FLAVORS)[number], full: boolean) => ({
    id: f.id,
    name: f.name,
    links: novaLinks(call, "flavors", f.id),
    ...(full
      ? {
          ram: f.ram,
          vcpus: f.vcpus,
          disk: f.disk,
          "OS-FLV-EXT-DATA:ephemeral": 0,
          "OS-FLV-DISABLED:disabled": false,
          swap: "",
          rxtx_factor: 1.0,
          "os-flavor-access:is_public": true,
        }
      : {}),
    ...(full && atLeast(call.version, 55) ? { description: null } : {}),
    ...(full && atLeast(call.version, 61) ? { extra_specs: {} } : {}),
  });
  if (id === undefined) return json(200, { flavors: FLAVORS.map((f) => view(f, detail)) });
  const flavor = flavorById(id);
  if (!flavor) throw new NovaError(404, `Flavor ${id} could not be found.`);
  return json(200, { flavor: view(flavor, true) });
}

export function limits(ctx: NovaContext, call: NovaCall): ApiResponse {
  const used = [...ctx.cloud.newestFirst()].filter((s) => s.projectId === call.principal.projectId).length;
  return json(200, {
    limits: {
      rate: [],
      absolute: {
        maxServerMeta: MAX_METADATA_ITEMS,
        maxTotalInstances: 100_000,
        maxTotalCores: 1_000_000,
        maxTotalRAMSize: 1_000_000_000,
        maxTotalKeypairs: 1000,
        maxServerGroups: 10,
        maxServerGroupMembers: 10,
        totalInstancesUsed: used,
        totalCoresUsed: used,
        totalRAMUsed: used * 2048,
        totalServerGroupsUsed: 0,
        ...(atLeast(call.version, 57) ? {} : { maxPersonality: 5, maxPersonalitySize: 10240 }),
      },
    },
  });
}

function actionView(
  call: NovaCall,
  a: InstanceActionState,
  serverId: string,
  withEvents: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    action: a.action,
    instance_uuid: serverId,
    request_id: a.requestId,
    user_id: a.userId,
    project_id: a.projectId,
    start_time: a.startTime,
    message: a.message,
  };
  if (atLeast(call.version, 58)) view.updated_at = a.updatedAt;
  if (withEvents && (call.principal.isAdmin || atLeast(call.version, 51))) {
    view.events = a.events.map((e) => ({
      event: e.event,
      start_time: e.startTime,
      finish_time: e.finishTime,
      result: e.result,
      ...(call.principal.isAdmin ? { traceback: null } : {}),
    }));
  }
  return view;
}

/** /servers/{id}/os-instance-actions and /os-instance-actions/{request_id}. */
export function instanceActions(
  ctx: NovaContext,
  call: NovaCall,
  serverId: string,
  requestId: string | undefined,
): ApiResponse {
  const server = findServer(ctx, call, serverId);
  if (requestId === undefined) {
    const list = [...server.actions].reverse().map((a) => actionView(call, a, serverId, false));
    return json(200, { instanceActions: list });
  }
  const action = server.actions.find((a) => a.requestId === requestId);
  if (!action) throw new NovaError(404, `Action for request_id ${requestId} on instance ${serverId} not found`);
  return json(200, { instanceAction: actionView(call, action, serverId, true) });
}
