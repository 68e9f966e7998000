import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReformError } from "../../model/errors.js";
import { requireAscii } from "./ascii.js";

const refusal = (value: string, secret: boolean): ReformError | undefined => {
  try {
    requireAscii({ provider: "hw (huaweicloud)", setting: "HW_SECRET_KEY", value, secret });
    return undefined;
  } catch (error) {
    return error as ReformError;
  }
};

describe("requireAscii", () => {
  it("names the provider, the setting and the character; of a secret only where it is", () => {
    expect(refusal("AK…", false)?.message).toBe(
      "provider hw (huaweicloud): HW_SECRET_KEY contains a non-ASCII character ('…' (U+2026) at character 3): keys, tokens and ids are plain ASCII; was a placeholder or a typographic quote copied into it?",
    );
    expect(refusal("s3cr’t", true)?.message).toContain(
      "HW_SECRET_KEY contains a non-ASCII character (at character 5):",
    );
    expect(refusal("key\n", true)?.message).toContain(
      "contains a control character (U+000A, a line break) at character 4:",
    );
    expect(refusal("key", true)).toBeUndefined();
    expect(refusal("AK…", false)?.code).toBe("AUTH_ERROR");
  });

  it("accepts every printable ASCII key, refuses any other, and never shows a secret's characters", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x20-\x7e]{0,40}$/), (key) => {
        expect(refusal(key, true)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{4,20}$/),
        fc.integer({ min: 0x80, max: 0xffff }),
        fc.nat(),
        (key, point, at) => {
          const char = String.fromCharCode(point);
          fc.pre(!/[\ud800-\udfff]/.test(char));
          const i = at % (key.length + 1);
          const value = `${key.slice(0, i)}${char}${key.slice(i)}`;
          const message = refusal(value, true)?.message ?? "";
          expect(message).toContain(`non-ASCII character (at character ${i + 1})`);
          expect(message).not.toContain(key);
          expect(message).not.toContain(char);
        },
      ),
    );
  });
});
