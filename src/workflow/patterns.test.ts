import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InstanceAddress } from "../model/address.js";
import { ignoreWarnings, parseIgnores, targetWarnings } from "./patterns.js";

const FLEET: InstanceAddress[] = ["dc1/web-1", "dc1/web-2", "hw/db-1"];

describe("targetWarnings", () => {
  it("warns about each target that matches no server, with the address form and the likely one", () => {
    expect(targetWarnings(["dc1/web-*", "hw/db-1", "**"], FLEET)).toEqual([]);
    expect(targetWarnings(["nomatch/*", "web-1", "dc1/web-1"], FLEET)).toEqual([
      "--target 'nomatch/*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/web-1): it selects nothing",
      "--target 'web-1' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/web-1): it selects nothing; did you mean 'dc1/web-1'?",
    ]);
    expect(targetWarnings(["dc1/*"], [])).toEqual([
      "--target 'dc1/*' matches no server of the fleet: it selects nothing",
    ]);
    expect(targetWarnings(["db-*"], ["dc1/db-1", "hw/db-2"])).toEqual([
      "--target 'db-*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/db-1): it selects nothing; did you mean '*/db-*'?",
    ]);
  });

  it("never warns about a target that is one of the fleet's addresses, always about one of a provider the fleet lacks", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    const address = fc.tuple(fc.constantFrom("dc1", "dc2", "hw"), name).map(([p, n]) => `${p}/${n}`);
    fc.assert(
      fc.property(
        fc.uniqueArray(address, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        name,
        (addresses, pick, other) => {
          expect(targetWarnings([addresses[pick % addresses.length] as string], addresses)).toEqual([]);
          expect(targetWarnings([`nowhere/${other}`], addresses)).toHaveLength(1);
        },
      ),
    );
  });
});

describe("ignoreWarnings", () => {
  it("accepts every field, its document and fleet spellings, metadata keys and globs that can begin a field", () => {
    const fine = [
      "image",
      "keyPair",
      "key_pair",
      "keypair",
      "userData",
      "user_data",
      "userdata",
      "reboot",
      "power",
      "status",
      "metadata.backup",
      "metadata.*",
      "meta*",
      "*backup",
      "imag?",
      "dc1/*",
      "hw/db-1",
    ];
    expect(ignoreWarnings(fine, FLEET)).toEqual([]);
  });

  it("warns about a value that names no field, and an address glob that matches no server", () => {
    expect(ignoreWarnings(["keypiar", "Image", "metadata", "foo*", "dc9/*"], FLEET)).toEqual([
      "--ignore 'keypiar' is not a field (image, keyPair, userData, reboot, power, status, metadata.KEY (globs allowed)) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing; did you mean 'keypair'?",
      "--ignore 'Image' is not a field (image, keyPair, userData, reboot, power, status, metadata.KEY (globs allowed)) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing; did you mean 'image'?",
      "--ignore 'metadata' is not a field (image, keyPair, userData, reboot, power, status, metadata.KEY (globs allowed)) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing; did you mean 'metadata.*'?",
      "--ignore 'foo*' is not a field (image, keyPair, userData, reboot, power, status, metadata.KEY (globs allowed)) nor an address glob (PROVIDER/NAME, with a '/'): it silences nothing",
      "--ignore 'dc9/*' matches no server of the fleet (addresses are PROVIDER/NAME, e.g. dc1/web-1): it selects nothing",
    ]);
  });

  it("every value it accepts as a field silences that field", () => {
    const ignore = parseIgnores(["keypair", "user_data", "metadata.*"]);
    expect([
      ignore.field("keyPair"),
      ignore.field("userData"),
      ignore.field("metadata.x"),
      ignore.field("image"),
    ]).toEqual([true, true, true, false]);
  });
});
