import { CloudError } from "../../model/errors.js";
import type { HttpClient } from "../http/client.js";
import type { HttpResponse, QueryValue, RequestSigner } from "../http/types.js";
import { microversionHeaders } from "./microversion.js";
import type { NovaServer } from "./normalize.js";
import type { ServerPageDigest } from "./server-page.js";
import { ReadAhead } from "./read-ahead.js";
import { nextLinkFromTail } from "./server-page.js";

/** Nova's default `[api] max_limit`. */
export const PAGE_LIMIT = 1000;

/**
 * List pages asked for ahead of their digest, at most: the cloud answers the next pages while one is digested, and at
 * most this many answers (about 2 MB each for 1,000 servers) wait in memory.
 */
const READ_AHEAD = 2;

const NO_BYTES = new Uint8Array();

export interface ListServersQuery {
  /** ISO 8601: only servers changed since then (deleted ones included). */
  readonly changesSince?: string;
  /** An (unanchored) regex on names: use `^name$`. */
  readonly name?: string;
  /** @default PAGE_LIMIT */
  readonly limit?: number;
  /** Read only the first page. @default false */
  readonly firstPageOnly?: boolean;
}

interface ServerPage {
  readonly servers?: readonly NovaServer[];
  readonly servers_links?: readonly { readonly rel?: string; readonly href?: string }[];
}

/** The fields of an instance action reform reads (`message` is null while running or after success). */
export interface NovaInstanceAction {
  readonly action?: string;
  readonly message?: string | null;
  readonly events?: readonly { readonly event?: string; readonly result?: string | null }[];
}

/** A thin Nova v2.1 client: every call carries the negotiated microversion and the auth signer. */
export class NovaClient {
  readonly #http: HttpClient;
  readonly #base: string;
  readonly #signer: RequestSigner;
  readonly #headers: Record<string, string>;
  /** GET requests made by listServers, for tests and benchmarks. */
  listRequests = 0;

  constructor(http: HttpClient, endpoint: string, microversion: string, signer: RequestSigner) {
    this.#http = http;
    this.#base = endpoint.replace(/\/+$/, "");
    this.#signer = signer;
    this.#headers = microversionHeaders(microversion);
  }

  /** `GET /servers/detail`, following `servers_links` next until there is none or a page is empty. */
  async listServers(query: ListServersQuery, signal: AbortSignal): Promise<NovaServer[]> {
    const servers: NovaServer[] = [];
    await this.eachServerPage(query, signal, (batch) => {
      for (const server of batch) servers.push(server);
    });
    return servers;
  }

  /**
   * The pages of `GET /servers/detail`, one `visit` each, in order. The next page is asked for before the current one
   * is visited (the same requests, one after another, as the marker of the next is in the current): the caller works
   * on a page while the cloud answers the next, and need not keep the raw documents of a whole listing.
   */
  async eachServerPage(
    query: ListServersQuery,
    signal: AbortSignal,
    visit: (servers: readonly NovaServer[]) => void,
  ): Promise<void> {
    let pending = this.#page(
      { limit: query.limit ?? PAGE_LIMIT, "changes-since": query.changesSince, name: query.name },
      signal,
    );
    for (;;) {
      const { servers, next } = await pending;
      const more = next !== undefined && servers.length > 0 && query.firstPageOnly !== true;
      if (more) {
        pending = this.#page(queryOf(next), signal);
        // Awaited on the next turn; if visit throws first, the listing is abandoned and so is its answer.
        pending.catch(() => undefined);
      }
      visit(servers);
      if (!more) return;
    }
  }

  /**
   * The pages of `GET /servers/detail` as `digest` makes them of each page's bytes (on a worker thread, say), one
   * `visit` each, in order. The pages are read ahead of their digest (`ReadAhead`, up to READ_AHEAD pages): each is
   * asked for as soon as the one before it has arrived, by the `next` link read from that one's end
   * (`nextLinkFromTail`), so the cloud answers while earlier pages are digested and a slow digest does not hold back
   * the requests; a guess the digest contradicts (never seen from Nova) drops what was read ahead and costs one
   * request more, never a wrong page. `digest` is told whether another page is expected (the page's end has a next
   * link). `first`: the answer to the first request (`firstPage`), already asked for; undefined when it cannot be
   * used, and the first page is asked for here.
   */
  async eachServerPageDigest(
    query: ListServersQuery,
    signal: AbortSignal,
    digest: (bytes: Uint8Array, more: boolean) => Promise<ServerPageDigest>,
    visit: (page: ServerPageDigest) => void,
    first?: Promise<HttpResponse | undefined>,
  ): Promise<void> {
    const only = query.firstPageOnly === true;
    const firstAnswer =
      first === undefined
        ? this.#rawPage(firstParams(query), signal)
        : first.then((res) => res ?? this.#rawPage(firstParams(query), signal));
    const guessNext = (res: HttpResponse) => (only ? undefined : nextLinkFromTail(res.bytes ?? NO_BYTES));
    const pages = new ReadAhead(firstAnswer, {
      fetch: (link) => this.#rawPage(queryOf(link), signal),
      nextOf: guessNext,
      depth: READ_AHEAD,
    });
    try {
      for (;;) {
        const taken = pages.take();
        if (!taken) return;
        const res = await taken.answer;
        const guess = guessNext(res);
        const page = await digest(res.bytes ?? NO_BYTES, guess !== undefined);
        if (!page.isList) throw this.#notAServerList(res);
        const more = page.next !== undefined && page.listed > 0 && !only;
        if (more && guess !== page.next) pages.redirect(page.next as string);
        if (!more) pages.stop();
        visit(page);
        if (!more) return;
      }
    } finally {
      pages.stop();
    }
  }

  /** The first request of `eachServerPageDigest` for `query`, on its own: its answer can be handed to it as `first`. */
  firstPage(query: ListServersQuery, signal: AbortSignal): Promise<HttpResponse> {
    return this.#rawPage(firstParams(query), signal);
  }

  #rawPage(params: Record<string, QueryValue>, signal: AbortSignal): Promise<HttpResponse> {
    this.listRequests++;
    return this.#get("/servers/detail", params, "GET /servers/detail", signal, true);
  }

  async #page(
    params: Record<string, QueryValue>,
    signal: AbortSignal,
  ): Promise<{ readonly servers: readonly NovaServer[]; readonly next: string | undefined }> {
    this.listRequests++;
    const res = await this.#get("/servers/detail", params, "GET /servers/detail", signal);
    const page = res.json as ServerPage | undefined;
    if (!Array.isArray(page?.servers)) throw this.#notAServerList(res);
    return { servers: page.servers, next: page.servers_links?.find((l) => l.rel === "next")?.href };
  }

  /** One server, for the re-read after an ambiguous mutation. Undefined when it is gone (404). */
  async getServer(id: string, signal: AbortSignal): Promise<NovaServer | undefined> {
    const res = await this.#http.request({
      method: "GET",
      url: `${this.#base}/servers/${encodeURIComponent(id)}`,
      headers: this.#headers,
      operation: "GET /servers/{id}",
      signer: this.#signer,
      signal,
      accept: [404],
    });
    if (res.status === 404) return undefined;
    return (res.json as { server?: NovaServer } | undefined)?.server;
  }

  /**
   * `GET /servers/{id}/os-instance-actions/{request_id}`: how Nova says an asynchronous action ended (`message` is
   * "Error" when it failed; events per step from 2.51). Undefined when Nova does not know the request (404).
   */
  async instanceAction(id: string, requestId: string, signal: AbortSignal): Promise<NovaInstanceAction | undefined> {
    const url = `${this.#base}/servers/${encodeURIComponent(id)}/os-instance-actions/${encodeURIComponent(requestId)}`;
    const res = await this.#http.request({
      method: "GET",
      url,
      headers: this.#headers,
      operation: "GET /servers/{id}/os-instance-actions/{request_id}",
      signer: this.#signer,
      signal,
      accept: [404],
    });
    if (res.status === 404) return undefined;
    return (res.json as { instanceAction?: NovaInstanceAction } | undefined)?.instanceAction;
  }

  /** `GET /os-keypairs/{name}`: whether the caller has this key pair (Nova looks a rebuild's key_name up the same way). */
  /** `GET /os-keypairs`: the caller's key pair names (the first page; Nova pages key pairs from 2.35). */
  async keypairNames(signal: AbortSignal): Promise<string[]> {
    const res = await this.#http.request({
      method: "GET",
      url: `${this.#base}/os-keypairs`,
      headers: this.#headers,
      operation: "GET /os-keypairs",
      signer: this.#signer,
      signal,
    });
    const listed = (res.json as { keypairs?: { keypair?: { name?: unknown } }[] } | undefined)?.keypairs ?? [];
    return listed.flatMap((entry) => (typeof entry.keypair?.name === "string" ? [entry.keypair.name] : []));
  }

  async keypairExists(name: string, signal: AbortSignal): Promise<boolean> {
    const url = `${this.#base}/os-keypairs/${encodeURIComponent(name)}`;
    const res = await this.#http.request({
      method: "GET",
      url,
      headers: this.#headers,
      operation: "GET /os-keypairs/{name}",
      signer: this.#signer,
      signal,
      accept: [404],
    });
    return res.status !== 404;
  }

  /** `POST /servers/{id}/action`: a mutation, never retried after an ambiguous failure. */
  async action(id: string, body: Record<string, unknown>, signal: AbortSignal): Promise<HttpResponse> {
    const name = Object.keys(body)[0] ?? "action";
    return this.#http.request({
      method: "POST",
      url: `${this.#base}/servers/${encodeURIComponent(id)}/action`,
      headers: this.#headers,
      json: body,
      operation: `POST /servers/{id}/action ${name}`,
      idempotent: false,
      signer: this.#signer,
      signal,
    });
  }

  /** `POST /servers/{id}/metadata`: merges the given keys (idempotent by content: repeating it writes the same values). */
  async mergeMetadata(
    id: string,
    metadata: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    return this.#http.request({
      method: "POST",
      url: `${this.#base}/servers/${encodeURIComponent(id)}/metadata`,
      headers: this.#headers,
      json: { metadata },
      operation: "POST /servers/{id}/metadata",
      idempotent: true,
      signer: this.#signer,
      signal,
    });
  }

  /** `DELETE /servers/{id}/metadata/{key}`; a key already gone (404) is fine. */
  async deleteMetadataKey(id: string, key: string, signal: AbortSignal): Promise<void> {
    await this.#http.request({
      method: "DELETE",
      url: `${this.#base}/servers/${encodeURIComponent(id)}/metadata/${encodeURIComponent(key)}`,
      headers: this.#headers,
      operation: "DELETE /servers/{id}/metadata/{key}",
      idempotent: true,
      signer: this.#signer,
      signal,
      accept: [404],
    });
  }

  /**
   * A 2xx answer without a server list is never read as "no servers". Nova's noauth2 middleware answers
   * every request that has no X-Auth-Token with 204 and a suggested token (found against a real Nova).
   */
  #notAServerList(res: HttpResponse): CloudError {
    const noauth2 = res.status === 204 && res.headers["x-auth-token"] !== undefined;
    const cloudMessage = noauth2
      ? "Nova answered 204 with a suggested X-Auth-Token instead of a server list: this is Nova's noauth2 middleware, which needs a token of the form user:project (use auth_type admin_token with such a token, not none)"
      : `the answer has no "servers" list (content-type ${res.headers["content-type"] ?? "none"})`;
    return new CloudError({
      provider: this.#http.provider,
      operation: "GET /servers/detail",
      status: res.status,
      cloudMessage,
      ...(res.requestId ? { requestId: res.requestId } : {}),
    });
  }

  /** `raw`: a 2xx body is left as bytes (HttpRequest.raw). */
  #get(
    path: string,
    query: Record<string, QueryValue>,
    operation: string,
    signal: AbortSignal,
    raw = false,
  ): Promise<HttpResponse> {
    return this.#http.request({
      method: "GET",
      url: `${this.#base}${path}`,
      query,
      headers: this.#headers,
      operation,
      signer: this.#signer,
      signal,
      ...(raw ? { raw } : {}),
    });
  }
}

function firstParams(query: ListServersQuery): Record<string, QueryValue> {
  return { limit: query.limit ?? PAGE_LIMIT, "changes-since": query.changesSince, name: query.name };
}

/** The query of a next link, applied to our own endpoint (the link's host may be an internal name behind a proxy). */
export function queryOf(href: string): Record<string, QueryValue> {
  const url = new URL(href, "http://placeholder.invalid");
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}
