export interface Flavor {
  readonly id: string;
  readonly name: string;
  readonly ram: number;
  readonly vcpus: number;
  readonly disk: number;
}

/** The emulator's fixed flavors (ids as in the Nova harness). */
export const FLAVORS: readonly Flavor[] = [
  { id: "1", name: "m1.tiny", ram: 512, vcpus: 1, disk: 1 },
  { id: "2", name: "m1.small", ram: 2048, vcpus: 1, disk: 20 },
  { id: "3", name: "m1.medium", ram: 4096, vcpus: 2, disk: 40 },
];

export function flavorById(id: string): Flavor | undefined {
  return FLAVORS.find((f) => f.id === id);
}
