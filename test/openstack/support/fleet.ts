import { stringify } from "yaml";

/** One instance of a fleet file: the server's name and its spec, as docs/configuration.md describes them. */
export interface FleetInstance {
  readonly name: string;
  readonly spec: Record<string, unknown>;
}

/** The provider name every fleet of the suite uses: addresses are `os/<server name>`. */
export const PROVIDER = "os";

/** A fleet file for the cloud `cloud` (a clouds.yaml entry name). */
export function fleetYaml(cloud: string, instances: readonly FleetInstance[]): string {
  return `# written by the OpenStack integration suite (test/openstack)\n${stringify({
    providers: { [PROVIDER]: { type: "openstack", cloud } },
    instances: instances.map((i) => ({ provider: PROVIDER, name: i.name, spec: i.spec })),
  })}`;
}

export function address(serverName: string): string {
  return `${PROVIDER}/${serverName}`;
}
