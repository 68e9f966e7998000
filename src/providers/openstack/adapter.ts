import { setImmediate } from "node:timers/promises";
import pLimit from "p-limit";
import type { ImageRef, InstanceSelector } from "../../model/desired.js";
import type { ObservedInstance } from "../../model/observed.js";
import type { OperationHandle, OperationObservation, OperationQuery, OperationRules } from "../../model/operation.js";
import { pollingSettings } from "../../model/operation.js";
import type {
  ImageResolution,
  ListInstancesRequest,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderEndpoint,
  ProviderRuntime,
  StartStepRequest,
} from "../../model/provider.js";
import type { HttpClientOptions } from "../http/types.js";
import type { OpenStackConnection } from "./connection.js";
import type { Authenticated, Connected } from "./connect.js";
import { observeBootVolumes } from "./boot-volume.js";
import { authenticate, connectionEndpoints, negotiated } from "./connect.js";
import { NovaClient, PAGE_LIMIT } from "./nova.js";
import type { RebuildFeatures } from "./microversion.js";
import { rebuildFeatures, servedMicroversion } from "./microversion.js";
import type { NovaServer } from "./normalize.js";
import { USER_DATA_KEY, bootsFromVolume, normalizeServer } from "./normalize.js";
import type { ConflictPolicy } from "./operations.js";
import type { HttpResponse } from "../http/types.js";
import type { ServerPageDigest, ServerPageRequest } from "./server-page.js";
import { ServerNames } from "./server-names.js";
import { digestServerPageBytes, digestServers } from "./server-page.js";
import {
  DEFAULT_CONFLICT_POLICY,
  actionBody,
  actionCounts,
  actionStatus,
  actionToRead,
  startAction,
  writeMetadata,
} from "./operations.js";

/**
 * The fleet file's options for an `openstack` provider.
 * - `cloud`: clouds.yaml entry (default: $OS_CLOUD, else the OS_* `envvars` cloud, else the only cloud)
 * - `region`: overrides the cloud's `region_name`
 * - `interface`: public | internal | admin (overrides the cloud's)
 * - `identityEndpoint`: overrides `auth.auth_url`
 * - `computeEndpoint` / `imageEndpoint` / `blockStorageEndpoint`: override the catalog (like `compute_endpoint_override`)
 * - `computeApiVersion`: pin the compute microversion (like `compute_api_version`)
 * - `insecure`: true turns TLS verification off (warned); `cacert`: CA bundle path
 * - `pollIntervalMs`: how often apply polls (default 2000)
 * - `settleMs`: a step that looks done must look so on polls spanning this long, and at least two, before it is done
 *   (a server's task can flap on and off for a while after an action; default 0: two polls in a row)
 */
export interface OpenStackSettings {
  readonly cloud?: string;
  readonly region?: string;
  readonly interface?: "public" | "internal" | "admin";
  readonly identityEndpoint?: string;
  readonly computeEndpoint?: string;
  readonly imageEndpoint?: string;
  readonly blockStorageEndpoint?: string;
  readonly computeApiVersion?: string;
  readonly insecure?: boolean;
  readonly cacert?: string;
  readonly pollIntervalMs?: number;
  readonly settleMs?: number;
}

export interface OpenStackAdapterOptions extends ProviderRuntime {
  /** The provider's name in the fleet file. */
  readonly name: string;
  /** The fleet provider entry's options (see OpenStackSettings). @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** A resolved connection: skips clouds.yaml and OS_* (used by the in-process simulator). @default undefined */
  readonly connection?: OpenStackConnection;
  /** Jitter source for retries. @default Math.random */
  readonly random?: () => number;
  /** Timeouts and retry policy of the HTTP client. @default {} */
  readonly http?: Partial<Omit<HttpClientOptions, "provider" | "clock" | "random" | "onExchange" | "ca" | "insecure">>;
  /** How 409 (server busy) is waited out. @default DEFAULT_CONFLICT_POLICY */
  readonly conflict?: ConflictPolicy;
  /**
   * Starts a thread that digests list pages (src/providers/page-pool.ts): a large listing parses its pages there,
   * in parallel with the rest of the run. @default undefined (every page is digested on the calling thread)
   */
  readonly pageWorker?: () => ServerPageWorker;
}

/** Digests pages of `GET /servers/detail` away from the calling thread. */
export interface ServerPageWorker {
  digest(bytes: Uint8Array, request: ServerPageRequest): Promise<ServerPageDigest>;
  close(): Promise<void>;
}

/** A page this large (about 250 servers' documents) with more to come starts the page worker. */
const WORKER_PAGE_BYTES = 512 * 1024;

/** After a whole turn of the event loop, its I/O included (a check phase, the poll phase, the next check phase). */
async function nextTurn(): Promise<void> {
  await setImmediate();
  await setImmediate();
}

/** Servers changed this long before the earliest operation started are still listed by a poll (clock skew). */
const POLL_MARGIN_MS = 5 * 60_000;

/** A ProviderAdapter for OpenStack Nova + Glance, authenticated through Keystone v3 (or a fixed token). */
export function createOpenStackAdapter(options: OpenStackAdapterOptions): ProviderAdapter {
  return new OpenStackAdapter(options);
}

class OpenStackAdapter implements ProviderAdapter {
  readonly name: string;
  readonly type = "openstack" as const;
  readonly pollIntervalMs: number;
  readonly operationRules: OperationRules;
  readonly #options: OpenStackAdapterOptions;
  #authenticated: Promise<Authenticated> | undefined;
  #connected: Promise<Connected> | undefined;
  /** The microversion is known: nothing is asked for before it any more. */
  #negotiated = false;
  /** Where requests went, once connected. */
  #endpoints: readonly ProviderEndpoint[] = [];
  #readsUserData: boolean | undefined;
  /**
   * Whether the first page of the first listing, under way, shows user_data (undefined: it listed no server, or
   * failed): `capabilities` waits for it rather than probing with a request of its own.
   */
  #firstPageShowsUserData: Promise<boolean | undefined> | undefined;
  /** Server id → name, from every listing: lets reads by id use Nova's name filter. */
  readonly #names = new ServerNames();
  #pageWorker: ServerPageWorker | undefined;

  constructor(options: OpenStackAdapterOptions) {
    this.#options = options;
    this.name = options.name;
    const { pollIntervalMs, settleMs } = pollingSettings(options.settings);
    this.pollIntervalMs = pollIntervalMs;
    this.operationRules = { settleMs };
  }

  #ready(signal: AbortSignal): Promise<Connected> {
    this.#authenticated ??= authenticate(this.#options, signal);
    this.#connected ??= this.#authenticated.then(negotiated).then((c) => {
      this.#endpoints = connectionEndpoints(c.connection, this.#options.settings ?? {}, c.computeUrl);
      this.#negotiated = true;
      return c;
    });
    this.#connected.catch(() => {
      this.#authenticated = undefined;
      this.#connected = undefined;
    });
    return this.#connected;
  }

  endpoints(): readonly ProviderEndpoint[] {
    return this.#endpoints;
  }

  async capabilities(signal: AbortSignal): Promise<ProviderCapabilities> {
    const c = await this.#ready(signal);
    const features = rebuildFeatures(c.microversion);
    const listing = this.#firstPageShowsUserData;
    this.#readsUserData ??= (listing && (await listing)) ?? (await this.#probeUserData(c, signal));
    return {
      imageChangeStep: "rebuild",
      sameImageStep: features.setsKeyPair || features.setsUserData ? "rebuild" : null,
      reprovisionSetsKeyPair: features.setsKeyPair,
      reprovisionSetsUserData: features.setsUserData,
      reprovisionRemovesKeyPair: features.removesKeyPair,
      reprovisionSetsMetadata: true,
      reprovisionsBootVolume: features.reimagesBootVolume,
      reprovisionRequiresStopped: false,
      reprovisionLeavesStopped: false,
      reprovisionStartsStopped: false,
      reprovisionNeedsPassword: false,
      metadataUpdate: true,
      metadataUpdateInError: false,
      reprovisionInError: true,
      readsUserData: this.#readsUserData,
      systemMetadataKeys: [],
      rebootTypes: ["SOFT", "HARD"],
      softRebootRequiresRunning: true,
      maxMetadataValueLength: 255,
      description: describeMicroversion(c.microversion, features),
      keyPairsOfCaller: true,
    };
  }

  async resolveImages(refs: readonly ImageRef[], signal: AbortSignal): Promise<readonly ImageResolution[]> {
    const c = await this.#ready(signal);
    return (await c.glance(signal)).resolve(refs, signal);
  }

  /** One GET per distinct name (a fleet names few), four at a time: key pairs belong to the calling user. */
  async findKeyPairs(names: readonly string[], signal: AbortSignal): Promise<ReadonlySet<string>> {
    const c = await this.#ready(signal);
    const limit = pLimit(4);
    const found = await Promise.all(
      names.map((name) => limit(async () => ((await c.nova.keypairExists(name, signal)) ? [name] : []))),
    );
    return new Set(found.flat());
  }

  async keyPairNames(signal: AbortSignal): Promise<readonly string[]> {
    return (await this.#ready(signal)).nova.keypairNames(signal);
  }

  /**
   * Each page is digested as it arrives, while the next is on its way (on a worker thread from the second page of
   * a listing whose first page is large, when the runtime offers one: #digester): what a listing keeps is one
   * observed instance per server (and the document of the few that boot from a volume), not the cloud's whole
   * documents.
   */
  async listInstances(req: ListInstancesRequest, signal: AbortSignal): Promise<readonly ObservedInstance[]> {
    const ready = this.#ready(signal);
    const early = this.#negotiated ? undefined : await this.#earlyFirstPage(req.selectors, signal);
    let firstPage: ((shows: boolean | undefined) => void) | undefined;
    if (early) this.#firstPageShowsUserData = new Promise((resolve) => (firstPage = resolve));
    const instances: ObservedInstance[] = [];
    const volumeBacked = new Map<ObservedInstance, NovaServer>();
    let listed = 0;
    let showingUserData = 0;
    try {
      const c = await ready;
      await this.#listFor(c, req.selectors, early?.first, signal, (page) => {
        firstPage?.(page.listed > 0 ? page.showingUserData > 0 : undefined);
        firstPage = undefined;
        listed += page.listed;
        showingUserData += page.showingUserData;
        for (const [index, server] of page.volumeBacked)
          volumeBacked.set(page.instances[index] as ObservedInstance, server);
        for (const instance of page.instances) instances.push(instance);
        req.onPage?.(page.instances);
      });
      if (listed > 0) this.#readsUserData = showingUserData > 0;
      return await observeBootVolumes(instances, volumeBacked, c.cinder, signal);
    } finally {
      firstPage?.(undefined);
      if (early) this.#firstPageShowsUserData = undefined;
    }
  }

  /**
   * Servers by id (apply's fingerprint checks and verification) are listed by the names they had when last
   * listed (an anchored regex alternation, Nova's `name` filter), when that takes no more requests than listing
   * every server; a server not found that way (renamed, never listed) is looked for in a full listing. `visit` sees
   * the digest of each page of the listing that answers.
   */
  async #listFor(
    c: Connected,
    selectors: readonly InstanceSelector[],
    first: Promise<HttpResponse | undefined> | undefined,
    signal: AbortSignal,
    visit: (page: Omit<ServerPageDigest, "isList" | "next">) => void,
  ): Promise<void> {
    const request: ServerPageRequest = { provider: this.name, selectors };
    const everything = (answer?: Promise<HttpResponse | undefined>) =>
      c.nova.eachServerPageDigest(
        listQuery(selectors),
        signal,
        this.#digester(request),
        (page) => {
          this.#names.learn(page.instances);
          this.#names.learn(page.otherNames);
          visit(page);
        },
        answer,
      );
    const ids = selectors.flatMap((s) => ("id" in s ? [s.id] : []));
    const patterns = this.#patternsFor(selectors);
    if (!patterns) return everything(first);
    const found = (await Promise.all(patterns.map((name) => c.nova.listServers({ name }, signal)))).flat();
    this.#learn(found);
    const seen = new Set(found.map((s) => s.id));
    if (ids.every((id) => seen.has(id))) return visit(digestServers(found, request));
    return everything();
  }

  /** The name filters that list the servers `selectors` select by id, when that is fewer requests than everything. */
  #patternsFor(selectors: readonly InstanceSelector[]): string[] | undefined {
    const ids = selectors.flatMap((s) => ("id" in s ? [s.id] : []));
    const names = ids.map((id) => this.#names.get(id));
    const patterns =
      ids.length === selectors.length && ids.length > 0 && names.every((n) => n !== undefined)
        ? namePatterns(names as string[])
        : undefined;
    return patterns && patterns.length <= Math.ceil(this.#names.size / PAGE_LIMIT) ? patterns : undefined;
  }

  /**
   * Before the microversion is known, a listing of everything sends its first page at the one it expects (the
   * pinned one, else `latest`), beside the version document instead of after it: the round trip the document takes.
   * The page is kept when Nova says it answered at the negotiated microversion; otherwise (a Nova newer than this
   * client, the request refused) it is dropped and asked for again, one request more.
   */
  async #earlyFirstPage(
    selectors: readonly InstanceSelector[],
    signal: AbortSignal,
  ): Promise<{ readonly first: Promise<HttpResponse | undefined> } | undefined> {
    if (this.#patternsFor(selectors) !== undefined || this.#authenticated === undefined) return undefined;
    const a = await this.#authenticated;
    const nova = new NovaClient(a.http, a.computeUrl, a.expectedMicroversion, a.session);
    const answer = nova.firstPage(listQuery(selectors), signal);
    const first = Promise.all([answer, a.microversion]).then(
      ([res, version]) => (servedMicroversion(res.headers) === version ? res : undefined),
      () => undefined,
    );
    return { first };
  }

  /**
   * How this listing's pages are digested: the first on this thread (most listings have one page), the others on the
   * runtime's page worker, started (in parallel with the first page's digest) when the first page is large and more
   * are expected (its end has a next link): a listing of one page, however large, never starts the thread. The first
   * page stays here: the thread's start (30 ms quiet, 100-200 ms on a loaded machine) plus a cold parse there took
   * longer than the parse here, and the digests, one after another, set the pace of the listing's read-ahead.
   */
  #digester(request: ServerPageRequest): (bytes: Uint8Array, more: boolean) => Promise<ServerPageDigest> {
    let pages = 0;
    return async (bytes, more) => {
      const start = this.#options.pageWorker;
      if (start !== undefined && more && bytes.byteLength >= WORKER_PAGE_BYTES) this.#pageWorker ??= start();
      if (pages++ > 0 && this.#pageWorker !== undefined) return this.#pageWorker.digest(bytes, request);
      // The next page's request (read ahead from this page's end) is a few awaits from undici, and undici hands it the
      // socket this page came on only a turn of the event loop later (it waits one before reusing a socket): let the
      // request leave before a parse of up to 2 MB holds this thread, or the whole chain of pages starts that much later.
      if (more) await nextTurn();
      return digestServerPageBytes(bytes, request);
    };
  }

  #learn<T extends readonly NovaServer[]>(servers: T): T {
    this.#names.learn(servers);
    return servers;
  }

  async startStep(req: StartStepRequest, signal: AbortSignal): Promise<OperationHandle> {
    const c = await this.#ready(signal);
    const { instance, step } = req;
    if (step.kind === "update-metadata") {
      const requestId = await writeMetadata(c.nova, instance.id, step.params.metadata, signal);
      return {
        instanceId: instance.id,
        step: step.kind,
        startedAt: this.#options.clock.now(),
        ...(requestId ? { requestId } : {}),
        baseline: { updatedAt: instance.updatedAt, status: instance.rawStatus },
        synchronous: true,
      };
    }
    // A reboot step that carries annotations writes them before the reboot is sent (the planner normally
    // records them in a trailing update-metadata step instead, once the reboot is verified).
    if (step.kind === "reboot" && step.params.metadata)
      await writeMetadata(c.nova, instance.id, step.params.metadata, signal);
    const deps = {
      nova: c.nova,
      clock: this.#options.clock,
      conflict: this.#options.conflict ?? DEFAULT_CONFLICT_POLICY,
    };
    return startAction(deps, instance, step, actionBody(step, req.inputs), signal);
  }

  /**
   * One bulk read of the servers in flight and, at the same time, the instance action of each rebuild this poll can
   * confirm (a few at a time): the poll takes as long as the longer of the two, not their sum.
   */
  async pollOperations(
    queries: readonly OperationQuery[],
    signal: AbortSignal,
  ): Promise<readonly OperationObservation[]> {
    if (queries.length === 0) return [];
    const c = await this.#ready(signal);
    const limit = pLimit(16);
    const requestIds = queries.map(actionToRead);
    const [instances, actions] = await Promise.all([
      this.#pollInstances(c, queries, signal),
      Promise.all(
        queries.map((query, index) => {
          const requestId = requestIds[index];
          return requestId === undefined
            ? undefined
            : limit(() => c.nova.instanceAction(query.handle.instanceId, requestId, signal));
        }),
      ),
    ]);
    return queries.map((query, index): OperationObservation => {
      const instance = instances[index];
      if (!instance) return { instance: undefined };
      if (requestIds[index] === undefined || !actionCounts(query.handle, instance)) return { instance };
      const job = actionStatus(query.handle, instance, actions[index]);
      return job ? { instance, job } : { instance };
    });
  }

  /** Each query's server as this poll lists it; undefined when it is gone. */
  async #pollInstances(
    c: Connected,
    queries: readonly OperationQuery[],
    signal: AbortSignal,
  ): Promise<readonly (ObservedInstance | undefined)[]> {
    const handles = queries.map((q) => q.handle);
    const byId = new Map((await this.#pollRead(c, handles, signal)).map((s) => [s.id, s]));
    if (handles.some((h) => !byId.has(h.instanceId))) {
      for (const server of this.#learn(await c.nova.listServers({}, signal)))
        if (!byId.has(server.id)) byId.set(server.id, server);
    }
    return this.#observeServers(c, queries, byId, signal);
  }

  /**
   * Each query's server as listed (undefined when gone); for a query that can confirm its step (`complete`), whole as
   * `listInstances` returns it: a volume-backed server with the image of its root volume.
   */
  async #observeServers(
    c: Connected,
    queries: readonly OperationQuery[],
    byId: ReadonlyMap<string, NovaServer>,
    signal: AbortSignal,
  ): Promise<readonly (ObservedInstance | undefined)[]> {
    const volumeBacked = new Map<ObservedInstance, NovaServer>();
    const instances = queries.map((query) => {
      const server = byId.get(query.handle.instanceId);
      if (!server || server.status?.toUpperCase() === "DELETED") return undefined;
      const instance = normalizeServer(server, this.name);
      if (query.complete && bootsFromVolume(server)) volumeBacked.set(instance, server);
      return instance;
    });
    if (volumeBacked.size === 0) return instances;
    const whole = await observeBootVolumes([...volumeBacked.keys()], volumeBacked, c.cinder, signal);
    const byInstance = new Map([...volumeBacked.keys()].map((instance, i) => [instance, whole[i]]));
    return instances.map((instance) => (instance && byInstance.get(instance)) ?? instance);
  }

  /**
   * The servers of in-flight operations. By the names they were last listed with (Nova's name filter, about a hundred
   * servers per request): the requests and the bytes grow with the operations in flight, not with the fleet. Without
   * names, by `changes-since` (everything changed since shortly before the earliest operation, which in a rolling
   * apply of a large fleet soon means every server already done).
   */
  async #pollRead(c: Connected, handles: readonly OperationHandle[], signal: AbortSignal): Promise<NovaServer[]> {
    const names = handles.map((h) => this.#names.get(h.instanceId));
    if (names.every((n): n is string => n !== undefined)) {
      // At once: a poll of a large window waits for one list, not for one after the other.
      const lists = await Promise.all(namePatterns(names).map((name) => c.nova.listServers({ name }, signal)));
      return this.#learn(lists.flat());
    }
    let earliest = Infinity;
    for (const h of handles) earliest = Math.min(earliest, h.startedAt);
    return this.#learn(
      await c.nova.listServers({ changesSince: new Date(earliest - POLL_MARGIN_MS).toISOString() }, signal),
    );
  }

  async close(): Promise<void> {
    const worker = this.#pageWorker;
    this.#pageWorker = undefined;
    await worker?.close();
    const connected = this.#connected;
    this.#connected = undefined;
    this.#authenticated = undefined;
    if (connected) await (await connected.catch(() => undefined))?.close();
  }

  async #probeUserData(c: Connected, signal: AbortSignal): Promise<boolean> {
    const sample = await c.nova.listServers({ limit: 1, firstPageOnly: true }, signal);
    return sample.some((s) => Object.hasOwn(s, USER_DATA_KEY));
  }
}

/** One name selects a filtered query (anchored regex); anything else lists everything once. Never one GET per server. */
function listQuery(selectors: readonly InstanceSelector[]): { name?: string } {
  if (selectors.length === 1 && "name" in selectors[0]!) return { name: `^${escapeRegex(selectors[0].name)}$` };
  return {};
}

/** Longest `name` regex sent in one list request (the URL stays well under proxies' limits). */
const MAX_PATTERN_LENGTH = 1500;

/** Anchored alternations `^(a|b)$` covering every name, each at most MAX_PATTERN_LENGTH long (a longer single name alone). */
export function namePatterns(names: readonly string[]): string[] {
  const patterns: string[] = [];
  let group: string[] = [];
  let length = 0;
  for (const name of [...new Set(names)]) {
    const escaped = escapeRegex(name);
    if (group.length > 0 && length + escaped.length + 1 > MAX_PATTERN_LENGTH) {
      patterns.push(`^(${group.join("|")})$`);
      group = [];
      length = 0;
    }
    group.push(escaped);
    length += escaped.length + 1;
  }
  if (group.length > 0) patterns.push(`^(${group.join("|")})$`);
  return patterns;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What the negotiated microversion allows, in the words a plan's reason needs. */
function describeMicroversion(microversion: string, features: RebuildFeatures): string {
  const missing = [
    ...(features.setsKeyPair ? [] : ["key pair needs 2.54"]),
    ...(features.setsUserData ? [] : ["user_data needs 2.57"]),
  ];
  const sets = missing.length > 0 ? `; a rebuild that sets the ${missing.join(", the ")}` : "";
  const volume = features.reimagesBootVolume
    ? ""
    : "; a rebuild of a server that boots from a volume (re-imaging its root volume) needs 2.93";
  return `compute API microversion ${microversion}${sets}${volume}`;
}
