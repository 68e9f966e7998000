import type { Secret } from "../../model/secret.js";

/** Keystone v3 password auth. A user by id needs no domain; by name the domain defaults to "Default". */
export interface PasswordAuth {
  readonly type: "password";
  readonly username?: string;
  readonly userId?: string;
  readonly password: Secret;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
  readonly projectName?: string;
  readonly projectId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
}

/** Application credential: by id, or by name plus its user. Never scoped (Keystone refuses a scope). */
export interface ApplicationCredentialAuth {
  readonly type: "v3applicationcredential";
  readonly id?: string;
  readonly name?: string;
  readonly secret: Secret;
  readonly username?: string;
  readonly userId?: string;
  readonly userDomainName?: string;
  readonly userDomainId?: string;
}

/** An existing Keystone token exchanged for a (scoped) one. */
export interface TokenAuth {
  readonly type: "token";
  readonly token: Secret;
  readonly projectName?: string;
  readonly projectId?: string;
  readonly projectDomainName?: string;
  readonly projectDomainId?: string;
}

/** A fixed token sent as is, no Keystone (Nova's noauth2): endpoints come from the overrides. */
export interface AdminTokenAuth {
  readonly type: "admin_token";
  readonly token: Secret;
}

/** No authentication at all: endpoints come from the overrides. */
export interface NoAuth {
  readonly type: "none";
}

export type OpenStackAuth = PasswordAuth | ApplicationCredentialAuth | TokenAuth | AdminTokenAuth | NoAuth;

export type EndpointInterface = "public" | "internal" | "admin";

/** Everything needed to talk to one OpenStack cloud, resolved from clouds.yaml / OS_* or handed over directly. */
export interface OpenStackConnection {
  /** Where it came from, for messages (e.g. `cloud "dc1" in /home/u/.config/openstack/clouds.yaml`). @default "explicit connection" */
  readonly origin?: string;
  /** Where its settings are written, for messages: `auth.username` in a clouds.yaml entry, `OS_USERNAME` in the environment. @default "explicit" (plain names) */
  readonly settingsIn?: "clouds.yaml" | "environment" | "explicit";
  /** Who set `authUrl`, for messages, when not where `settingsIn` says (the fleet file's identityEndpoint). @default undefined */
  readonly authUrlFrom?: string;
  /** Keystone URL, versioned (`…/v3`) or not. Required except for admin_token and none. */
  readonly authUrl?: string;
  readonly auth: OpenStackAuth;
  /** Region for catalog selection. @default undefined (any region) */
  readonly regionName?: string;
  /** @default "public" */
  readonly interface?: EndpointInterface;
  /** CA bundle path (PEM). */
  readonly cacert?: string;
  /** False turns TLS verification off (the adapter warns). @default true */
  readonly verify?: boolean;
  /** Nova endpoint, bypassing the catalog. */
  readonly computeEndpoint?: string;
  /** Glance endpoint, bypassing the catalog. */
  readonly imageEndpoint?: string;
  /** Cinder v3 endpoint (`…/v3/{project_id}`), bypassing the catalog: where the images of volume-backed servers are read. */
  readonly blockStorageEndpoint?: string;
  /** Pinned compute microversion ("2.79"); otherwise negotiated. */
  readonly computeApiVersion?: string;
}
