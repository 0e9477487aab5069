// Reading back what `embed` wrote, for `similar` (a .jsonl line, a .npy header), under the
// hostile-files rules of issue 10: deep JSON is EP_LIMIT naming file:line, bad values are described briefly.
import { describe, expect, it } from "vitest";
import { InputError, NotSupportedError, type EncoderPoolingError } from "../../src/errors.js";
import { parseNpyHeader, parseVectorLine } from "../../src/formats/vectors.js";
import { thrown } from "../helpers.js";

const deep = "[".repeat(100_000);

describe("a vectors file read by `similar`", () => {
  it("a deep .jsonl line is an InputError with code EP_LIMIT naming file:line", () => {
    const error = thrown<EncoderPoolingError>(() => parseVectorLine(deep, "v.jsonl:3"));
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe("EP_LIMIT");
    expect(error.message).toMatch(/^v\.jsonl:3: JSON nested deeper than 64 levels/);
  });

  it("a bad element or .npy header is described briefly", () => {
    const line = JSON.stringify({ embedding: [0.5, ["z".repeat(10_000)]] });
    expect(thrown<EncoderPoolingError>(() => parseVectorLine(line, "v.jsonl:1")).message).toBe("v.jsonl:1: embedding[1] is [\"zzzzzzzzzzzz…\" (10000 chars)], expected a finite number");
    expect(thrown<EncoderPoolingError>(() => parseVectorLine('{"embedding": [1, NaN]}', "v.jsonl:2")).message).toMatch(/^v\.jsonl:2: not valid JSON/);
    const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ${"'pad': 0, ".repeat(300)}}`;
    const bytes = new Uint8Array([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8, ...new TextEncoder().encode(header)]);
    const error = thrown<EncoderPoolingError>(() => parseNpyHeader(bytes, "v.npy"));
    expect(error).toBeInstanceOf(NotSupportedError);
    expect(error.message.length).toBeLessThan(250);
  });
});
