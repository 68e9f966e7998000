import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../../model/errors.js";
import type { ProviderEndpoint } from "../../model/provider.js";
import { chosenByFleet } from "../../model/provider.js";
import { HttpClient } from "../http/client.js";
import type { Exchange } from "../http/types.js";
import type { OpenStackAdapterOptions } from "./adapter.js";
import { keystoneHint, requireAsciiCredentials } from "./auth-hints.js";
import { discoveryBase } from "./catalog.js";
import { resolveConnection } from "./config.js";
import type { EndpointInterface, OpenStackConnection } from "./connection.js";
import { CinderClient, volumeBase } from "./cinder.js";
import { GlanceClient } from "./glance.js";
import { KeystoneSession } from "./keystone.js";
import { negotiateMicroversion } from "./microversion.js";
import { NovaClient } from "./nova.js";

/** A live connection: authenticated session, Nova at the negotiated microversion, Glance and Cinder on demand. */
export interface Connected {
  readonly connection: OpenStackConnection;
  readonly session: KeystoneSession;
  readonly microversion: string;
  /** Nova's base URL (an override, or from the catalog). */
  readonly computeUrl: string;
  readonly nova: NovaClient;
  glance(signal: AbortSignal): Promise<GlanceClient>;
  /** Cinder, found on first use (the catalog's block-storage or volumev3, or the override); rejects when there is none. */
  cinder(signal: AbortSignal): Promise<CinderClient>;
  close(): Promise<void>;
}

/** Authenticated and Nova found; the compute microversion still being negotiated (its version document in flight). */
export interface Authenticated {
  readonly connection: OpenStackConnection;
  readonly session: KeystoneSession;
  /** Nova's base URL (an override, or from the catalog). */
  readonly computeUrl: string;
  /** The project the token is scoped to, when Keystone said. */
  readonly projectId: string | undefined;
  /** The microversion every Nova call carries, once the version document has answered. */
  readonly microversion: Promise<string>;
  /**
   * What a request sent before `microversion` is known asks for: the pinned version, else `latest` (Nova answers at
   * its maximum and says which in `OpenStack-API-Version`: what negotiation chooses, unless above ours).
   */
  readonly expectedMicroversion: string;
  /** The session's HTTP client. */
  readonly http: HttpClient;
  close(): Promise<void>;
}

/** Resolves the connection (explicit, or clouds.yaml / OS_* with the fleet settings on top), then discovers Nova. */
export async function connect(options: OpenStackAdapterOptions, signal: AbortSignal): Promise<Connected> {
  return negotiated(await authenticate(options, signal));
}

/**
 * The connection's token and Nova's URL, with the version document asked for and not awaited: a caller may send
 * what does not depend on the answer (the first page of a listing at `expectedMicroversion`) while it is on its way.
 */
export async function authenticate(options: OpenStackAdapterOptions, signal: AbortSignal): Promise<Authenticated> {
  const connection = applySettings(
    options.connection ??
      (await resolveConnection({ ...pick(options.settings, "cloud"), ...pick(options.settings, "region") }, options)),
    options.settings ?? {},
  );
  requireAsciiCredentials(options.name, connection);
  const insecure = connection.verify === false;
  if (insecure)
    options.warn(
      `provider ${options.name}: TLS certificate verification is turned off (${connection.origin ?? "explicit connection"}); the connection can be intercepted`,
    );
  const ca =
    connection.cacert && !insecure
      ? await options.readFile(
          isAbsolute(connection.cacert) ? connection.cacert : resolve(options.cwd, connection.cacert),
        )
      : undefined;
  const http = new HttpClient({
    ...options.http,
    provider: options.name,
    clock: options.clock,
    ...(options.random ? { random: options.random } : {}),
    ...(ca === undefined ? {} : { ca }),
    insecure,
    hint: keystoneHint(connection),
    ...(options.debug ? { onExchange: debugLine(options.debug) } : {}),
  });
  try {
    const session = new KeystoneSession(http, connection, options.clock);
    const computeUrl = await session.endpoint("compute", signal);
    const projectId = await session.projectId(signal);
    const pinned = connection.computeApiVersion;
    const microversion = negotiateMicroversion(http, {
      discoveryUrl: discoveryBase(computeUrl, projectId),
      signer: session,
      signal,
      ...(pinned ? { pinned } : {}),
    });
    // Awaited by negotiated(); a caller that fails before then leaves its failure unobserved, not unhandled.
    microversion.catch(() => undefined);
    const expectedMicroversion = pinned && pinned !== "latest" ? pinned : "latest";
    return {
      connection,
      session,
      computeUrl,
      projectId,
      microversion,
      expectedMicroversion,
      http,
      close: () => http.close(),
    };
  } catch (error) {
    await http.close();
    throw error;
  }
}

/** Nova at the negotiated microversion, Glance and Cinder on demand. */
export async function negotiated(a: Authenticated): Promise<Connected> {
  const { session, http, computeUrl, projectId } = a;
  let microversion: string;
  try {
    microversion = await a.microversion;
  } catch (error) {
    await a.close();
    throw error;
  }
  let glance: Promise<GlanceClient> | undefined;
  let cinder: Promise<CinderClient> | undefined;
  return {
    connection: a.connection,
    session,
    microversion,
    computeUrl,
    nova: new NovaClient(http, computeUrl, microversion, session),
    glance: (sig) => (glance ??= session.endpoint("image", sig).then((url) => new GlanceClient(http, url, session))),
    cinder: (sig) => {
      cinder ??= session
        .endpoint("block-storage", sig)
        .then((url) => new CinderClient(http, volumeBase(url, projectId), session));
      cinder.catch(() => (cinder = undefined));
      return cinder;
    },
    close: a.close,
  };
}

/** Where this connection sends requests and who chose each URL: the fleet file's options, else the connection's origin. */
export function connectionEndpoints(
  connection: OpenStackConnection,
  settings: Readonly<Record<string, unknown>>,
  computeUrl: string,
): ProviderEndpoint[] {
  const origin = connection.origin ?? "explicit connection";
  const chosen = (key: string) => chosenByFleet(settings, key);
  const catalog = "the identity service's catalog";
  return [
    ...(connection.authUrl
      ? [{ service: "identity", url: connection.authUrl, source: chosen("identityEndpoint") ?? origin }]
      : []),
    {
      service: "compute",
      url: computeUrl,
      source: chosen("computeEndpoint") ?? (connection.computeEndpoint ? origin : catalog),
    },
    {
      service: "image",
      url: connection.imageEndpoint ?? `from ${catalog}`,
      source: chosen("imageEndpoint") ?? (connection.imageEndpoint ? origin : catalog),
    },
    // read only when a listed server boots from a volume (its image is on the root volume)
    {
      service: "volume",
      url: connection.blockStorageEndpoint ?? `from ${catalog}`,
      source: chosen("blockStorageEndpoint") ?? (connection.blockStorageEndpoint ? origin : catalog),
    },
  ];
}

/** The fleet file's provider options win over clouds.yaml. */
export function applySettings(
  connection: OpenStackConnection,
  settings: Readonly<Record<string, unknown>>,
): OpenStackConnection {
  const s = (key: string) =>
    typeof settings[key] === "string" && settings[key] !== "" ? (settings[key] as string) : undefined;
  const iface = s("interface");
  if (iface !== undefined && iface !== "public" && iface !== "internal" && iface !== "admin")
    throw new ConfigError([{ message: `openstack: interface "${iface}" must be public, internal or admin` }]);
  return {
    ...connection,
    ...(s("identityEndpoint")
      ? { authUrl: s("identityEndpoint"), authUrlFrom: "identityEndpoint of the provider in the fleet file" }
      : {}),
    ...(s("region") ? { regionName: s("region") } : {}),
    ...(iface ? { interface: iface as EndpointInterface } : {}),
    ...(s("computeEndpoint") ? { computeEndpoint: s("computeEndpoint") } : {}),
    ...(s("imageEndpoint") ? { imageEndpoint: s("imageEndpoint") } : {}),
    ...(s("blockStorageEndpoint") ? { blockStorageEndpoint: s("blockStorageEndpoint") } : {}),
    ...(s("computeApiVersion") ? { computeApiVersion: s("computeApiVersion") } : {}),
    ...(s("cacert") ? { cacert: s("cacert") } : {}),
    ...(settings["insecure"] === true ? { verify: false } : {}),
  };
}

function pick(
  settings: Readonly<Record<string, unknown>> | undefined,
  key: "cloud" | "region",
): Record<string, string> {
  const value = settings?.[key];
  return typeof value === "string" && value !== "" ? { [key]: value } : {};
}

function debugLine(debug: (line: string) => void): (exchange: Exchange) => void {
  return (e) => {
    const outcome = e.status === undefined ? `error ${e.error ?? "?"}` : String(e.status);
    const rid = e.requestId ? ` [${e.requestId}]` : "";
    const attempt = e.attempt > 1 ? ` (attempt ${e.attempt})` : "";
    const headers = Object.entries(e.requestHeaders)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ");
    debug(`http ${e.method} ${e.url} -> ${outcome} in ${e.ms}ms${rid}${attempt} {${headers}}`);
  };
}
