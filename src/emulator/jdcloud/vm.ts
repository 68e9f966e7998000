import { createHash } from "node:crypto";
import type { ApiRequest, ApiResponse, ApiService } from "../http.js";
import { EncodedJson, MalformedBody, isRecord, readJson, segments } from "../http.js";
import { ViewCache } from "../view-cache.js";
import type { CloudFaults } from "../faults.js";
import type { ListCache } from "../list-cache.js";
import type { MutableStats } from "../server.js";
import { injectFlap, JdApiError, modifyAttribute, powerAction, rebuild } from "./vm-actions.js";
import type { JdCloud, JdImageState, JdInstanceState } from "./state.js";
import { parseJdDate, verifyJdSignature } from "./verify.js";

export const JD_PREFIX = "/jdcloud";
/** Largest clock difference the gateway accepts between x-jdcloud-date and now. */
const MAX_SKEW_MS = 15 * 60_000;
const NONCE_MEMORY = 100_000;

export interface JdServiceDeps {
  readonly cloud: JdCloud;
  readonly stats: MutableStats;
  readonly changed: () => void;
  /** Encoded instance list pages, kept while the world is unchanged (see ListCache). */
  readonly lists: ListCache;
  readonly now: () => number;
  /** Seeded rebuild failures (the VM ends in status error) and flaps after stop/start/reboot/rebuild. @default none */
  readonly faults?: CloudFaults;
}

export function envelopeError(req: ApiRequest, status: number, code: string, message: string): ApiResponse {
  return { status, body: { requestId: req.requestId, error: { code: status, status: code, message } } };
}

/** JD Cloud VM (`/v1/regions/{r}/...`) mounted under /jdcloud: JDCLOUD2 signatures verified, nonces never reused. */
export function createJdVm(deps: JdServiceDeps): ApiService {
  const nonces = new Set<string>();
  const views = instanceViews();
  return {
    prefix: JD_PREFIX,
    injectErrors: true,
    isExempt: () => false,
    commonHeaders: (req) => ({ "x-jdcloud-request-id": req.requestId }),
    faultBody: (status, retryAfter) => ({
      error: {
        code: status,
        status: status === 429 ? "RATE_LIMIT_EXCEEDED" : "UNAVAILABLE",
        message: status === 429 ? `throttled, retry after ${retryAfter} s` : "service unavailable",
      },
    }),
    handle(req) {
      const denied = authenticate(req, deps, nonces);
      if (denied) return denied;
      try {
        const result = route(req, deps, views);
        if (!(result instanceof EncodedJson)) return { status: 200, body: { requestId: req.requestId, result } };
        // The same text as JSON.stringify({ requestId, result }) around a result already encoded.
        const head = Buffer.from(`{"requestId":${JSON.stringify(req.requestId)},"result":`);
        const body = new EncodedJson([head, ...result.chunks, CLOSE]);
        return { status: 200, body, headers: { "content-type": "application/json" } };
      } catch (error) {
        if (error instanceof JdApiError) return envelopeError(req, error.status, error.code, error.message);
        if (error instanceof MalformedBody)
          return envelopeError(req, 400, "INVALID_ARGUMENT", `request body: ${error.message}`);
        throw error;
      }
    },
  };
}

const CLOSE = Buffer.from("}");

/** A VM as its list entry may show it: its operation and flap show through its status, applied when read. */
type HiddenField = "op" | "flap" | "metadata" | "userData";
type InstanceViews = ViewCache<JdInstanceState, HiddenField, null>;

function instanceViews(): InstanceViews {
  return new ViewCache({ hidden: ["op", "flap", "metadata", "userData"], render: (instance) => view(instance) });
}

/** `describeInstances`: its pages are kept (ListCache) while no VM has an operation in flight or flaps. */
function listInstances(req: ApiRequest, deps: JdServiceDeps, views: InstanceViews): EncodedJson {
  const key = JSON.stringify(["jdcloud", "instances", req.query.toString()]);
  const kept = deps.lists.get(key, deps.now());
  if (kept) return kept;
  const instances = deps.cloud.instances();
  const page = paginate(req, filtered(req, instances), 10, 100);
  // The same text as JSON.stringify({ instances, totalCount }), each VM's entry from its kept bytes.
  const body = EncodedJson.list(
    `{"instances":[`,
    page.items,
    (instance) => views.listEntry(instance, null, null),
    `],"totalCount":${page.total}}`,
  );
  // An operation in flight or a flap changes what the list shows as time passes: kept only when none is.
  return instances.every((i) => !i.op && !i.flap) ? deps.lists.set(key, body, Infinity) : body;
}

function authenticate(req: ApiRequest, deps: JdServiceDeps, nonces: Set<string>): ApiResponse | undefined {
  const query = new URLSearchParams(req.query);
  const rawPath = `${JD_PREFIX}${req.path}`;
  const result = verifyJdSignature({ method: req.method, rawPath, query, headers: req.headers, body: req.body }, (ak) =>
    deps.cloud.secretOf(ak),
  );
  if (!result.ok) return envelopeError(req, result.status, result.code, result.message);
  if (Math.abs(parseJdDate(result.date) - deps.now()) > MAX_SKEW_MS)
    return envelopeError(req, 401, "APIGW_LACK_PARAMS", "x-jdcloud-date is too far from the gateway's time");
  if (nonces.has(result.nonce)) return envelopeError(req, 403, "APIGW_NONCE_CONFLICT", "the nonce was already used");
  if (nonces.size >= NONCE_MEMORY) nonces.clear();
  nonces.add(result.nonce);
  if (result.service !== "vm")
    return envelopeError(
      req,
      401,
      "APIGW_SIGN_RESULT_NOT_SAME",
      `credential scope names service ${result.service}, expected vm`,
    );
  return undefined;
}

function route(req: ApiRequest, deps: JdServiceDeps, views: InstanceViews): unknown {
  const parts = segments(req.path);
  const [version, regions, region, collection, item] = parts;
  if (version !== "v1" || regions !== "regions" || region === undefined || collection === undefined || parts.length > 5)
    throw new JdApiError(404, "NOT_FOUND", `no route ${req.method} ${req.path}`);
  if (region !== deps.cloud.region)
    throw new JdApiError(400, "INVALID_ARGUMENT", `region ${region} is not served here (${deps.cloud.region})`);
  if (req.method === "GET") return read(req, deps, views, collection, item);
  if (req.method === "POST" && collection === "instances" && item !== undefined) return act(req, deps, item);
  throw new JdApiError(404, "NOT_FOUND", `no route ${req.method} ${req.path}`);
}

function read(
  req: ApiRequest,
  deps: JdServiceDeps,
  views: InstanceViews,
  collection: string,
  item: string | undefined,
): unknown {
  if (collection === "instances" && item !== undefined) return { instance: view(findInstance(deps, item)) };
  if (item !== undefined) throw new JdApiError(404, "NOT_FOUND", `no route GET ${req.path}`);
  switch (collection) {
    case "instances":
      return listInstances(req, deps, views);
    case "instanceStatus": {
      const page = paginate(req, filtered(req, deps.cloud.instances()), 10, 100);
      return {
        instanceStatuses: page.items.map((i) => ({ instanceId: i.id, status: i.status })),
        totalCount: page.total,
      };
    }
    case "instancesCustomData": {
      const page = paginate(req, filtered(req, deps.cloud.instances()), 1, 10);
      const customData = page.items.map((i) => ({
        instanceId: i.id,
        metadata: Object.entries(i.metadata).map(([key, value]) => ({ key, value })),
        userdata: i.userData === null ? [] : [{ key: "launch-script", value: i.userData }],
      }));
      return { customData, totalCount: page.total };
    }
    case "keypairs": {
      const page = paginate(req, keypairsOf(req, deps.cloud.keypairs()), 10, 100);
      return {
        keypairs: page.items.map((keyName) => ({
          keyName,
          keyFingerprint: fingerprint(keyName),
          createTime: "2026-01-01T00:00:00Z",
        })),
        totalCount: page.total,
      };
    }
    case "images": {
      const page = paginate(req, imagesOf(req, deps.cloud.images()), 10, 100);
      return {
        images: page.items.map((i) => ({
          imageId: i.id,
          name: i.name,
          imageSource: IMAGE_SOURCE_WORD[i.source ?? "private"],
          osType: "linux",
          platform: "Ubuntu",
          systemDiskSizeGB: 40,
          status: "ready",
        })),
        totalCount: page.total,
      };
    }
    default:
      throw new JdApiError(404, "NOT_FOUND", `no route GET ${req.path}`);
  }
}

function act(req: ApiRequest, deps: JdServiceDeps, item: string): unknown {
  const colon = item.lastIndexOf(":");
  if (colon <= 0) throw new JdApiError(404, "NOT_FOUND", `no route POST ${req.path}`);
  const instance = findInstance(deps, item.slice(0, colon));
  const verb = item.slice(colon + 1);
  const body = req.body.length === 0 ? {} : readJson(req);
  if (!isRecord(body)) throw new JdApiError(400, "INVALID_ARGUMENT", "the body must be a JSON object");
  const record = (action: string) => {
    deps.stats.actions.push({
      serverId: instance.id,
      serverName: instance.name,
      action,
      at: deps.now(),
      requestId: req.requestId,
    });
    deps.changed();
  };
  switch (verb) {
    case "stopInstance":
    case "startInstance":
    case "rebootInstance":
      powerAction(deps.cloud, instance, verb);
      injectFlap(deps.faults, instance);
      record(verb.replace("Instance", ""));
      return {};
    case "rebuildInstance":
      rebuild(deps.cloud, instance, body);
      if (instance.op && deps.faults?.actionFailure() !== undefined) instance.op = { ...instance.op, then: "error" };
      injectFlap(deps.faults, instance);
      record("rebuild");
      return {};
    case "modifyInstanceAttribute":
      modifyAttribute(instance, body);
      record("modify");
      return {};
    default:
      throw new JdApiError(404, "NOT_FOUND", `unknown action ${verb}`);
  }
}

function findInstance(deps: JdServiceDeps, id: string): JdInstanceState {
  const instance = deps.cloud.find(id);
  if (!instance) throw new JdApiError(404, "RESOURCE_NOT_EXIST", `instance ${id} does not exist`);
  return instance;
}

/** `filters.N.name` / `filters.N.values.M`: filters are ANDed, values ORed; `name` is fuzzy. */
function filtered(req: ApiRequest, instances: readonly JdInstanceState[]): JdInstanceState[] {
  const filters = new Map<string, { name?: string; values: string[] }>();
  for (const [key, value] of req.query) {
    const m = /^filters\.(\d+)\.(name|values\.\d+)$/.exec(key);
    if (!m) continue;
    const f = filters.get(m[1]!) ?? { values: [] };
    if (m[2] === "name") f.name = value;
    else f.values.push(value);
    filters.set(m[1]!, f);
  }
  const ids = [...filters.values()].find((f) => f.name === "instanceId");
  let out = ids ? withIds(instances, ids.values) : [...instances];
  for (const f of filters.values()) {
    const field = (i: JdInstanceState): string =>
      f.name === "instanceId"
        ? i.id
        : f.name === "status"
          ? i.status
          : f.name === "imageId"
            ? i.imageId
            : f.name === "name"
              ? i.name
              : "";
    if (!["instanceId", "status", "imageId", "name"].includes(f.name ?? ""))
      throw new JdApiError(400, "INVALID_ARGUMENT", `unsupported filter ${f.name ?? "(no name)"}`);
    out = out.filter((i) =>
      f.name === "name" ? f.values.some((v) => i.name.includes(v)) : f.values.includes(field(i)),
    );
  }
  return out;
}

const positions = new WeakMap<readonly JdInstanceState[], Map<string, number>>();

/**
 * The instances with one of the given ids, in the region's order, found through an index by id instead of a scan:
 * a plan of 100,000 VMs sends 10,000 custom-data reads of 10 ids each. The index is rebuilt when an entry does not
 * match the array any more (instances created or deleted since) or an id is not in it.
 */
function withIds(instances: readonly JdInstanceState[], ids: readonly string[]): JdInstanceState[] {
  const at = (index: Map<string, number> | undefined, id: string): number | undefined => {
    const i = index?.get(id);
    return i !== undefined && instances[i]?.id === id ? i : undefined;
  };
  let index = positions.get(instances);
  if (ids.some((id) => at(index, id) === undefined)) {
    index = new Map(instances.map((instance, i) => [instance.id, i]));
    positions.set(instances, index);
  }
  const found = new Set<number>();
  for (const id of ids) {
    const i = at(index, id);
    if (i !== undefined) found.add(i);
  }
  return [...found].sort((a, b) => a - b).map((i) => instances[i] as JdInstanceState);
}

/** describeKeypairs' only filter: `keyNames`, exact, several values. */
function keypairsOf(req: ApiRequest, names: readonly string[]): readonly string[] {
  const filter = [...req.query].find(([k, v]) => /^filters\.\d+\.name$/.test(k) && v !== "keyNames");
  if (filter) throw new JdApiError(400, "INVALID_ARGUMENT", `unsupported filter ${filter[1]}`);
  const wanted = [...req.query].filter(([k]) => /^filters\.\d+\.values\.\d+$/.test(k)).map(([, v]) => v);
  return wanted.length === 0 ? names : names.filter((n) => wanted.includes(n));
}

/** An MD5-shaped fingerprint, stable per name (the emulator keeps no public keys). */
function fingerprint(name: string): string {
  return (createHash("md5").update(name).digest("hex").match(/../g) ?? []).join(":");
}

/** How an image's source is named in the Image object (the query says `public`, the answer `jcloud`). */
const IMAGE_SOURCE_WORD = { public: "jcloud", thirdparty: "marketplace", private: "self", shared: "shared" } as const;

/** describeImages: `ids.N` selects images; without ids, `imageSource` is required. */
function imagesOf(req: ApiRequest, images: readonly JdImageState[]): JdImageState[] {
  const ids = [...req.query].filter(([k]) => /^ids\.\d+$/.test(k)).map(([, v]) => v);
  if (ids.length > 0) return images.filter((i) => ids.includes(i.id));
  const source = req.query.get("imageSource");
  if (source === null) throw new JdApiError(400, "INVALID_ARGUMENT", "imageSource is required when no ids are given");
  if (!(source in IMAGE_SOURCE_WORD))
    throw new JdApiError(400, "INVALID_ARGUMENT", `imageSource must be one of public, shared, thirdparty, private`);
  return images.filter((i) => (i.source ?? "private") === source);
}

function paginate<T>(req: ApiRequest, items: readonly T[], min: number, max: number): { items: T[]; total: number } {
  const pageNumber = Number(req.query.get("pageNumber") ?? "1");
  const pageSize = Number(req.query.get("pageSize") ?? String(Math.min(20, max)));
  if (!Number.isInteger(pageNumber) || pageNumber < 1)
    throw new JdApiError(400, "OUT_OF_RANGE", "pageNumber must be an integer >= 1");
  if (!Number.isInteger(pageSize) || pageSize < min || pageSize > max)
    throw new JdApiError(400, "OUT_OF_RANGE", `pageSize must be in ${min}-${max}`);
  return { items: items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize), total: items.length };
}

function view(i: Omit<JdInstanceState, HiddenField>): Record<string, unknown> {
  return {
    instanceId: i.id,
    instanceName: i.name,
    hostname: i.name,
    status: i.status,
    imageId: i.imageId,
    keyNames: i.keyNames,
    launchTime: i.launchTime,
    privateIpAddress: i.privateIpAddress,
    osType: "linux",
    instanceType: "g.n2.medium",
  };
}
