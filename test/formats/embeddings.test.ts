// Output encodings of embeddings: .npy (checked against NumPy's own file), the shortest float32 decimals of .jsonl, .safetensors.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { NotSupportedError } from "../../src/errors.js";
import { encodeEmbeddings, float32ToString } from "../../src/formats/embeddings.js";
import { encodeNpyFloat32 } from "../../src/formats/npy.js";
import { readNpy } from "./npy-reader.js";

const values = new Float32Array([0.1, -2.5, 3.0, 1e-8, 65504.0, -0.0]);

describe("npy", () => {
  it("writes a version 1.0 header, <f4, C order, shape (N, D), padded to 64 bytes with a final newline", () => {
    const bytes = encodeNpyFloat32(values, 2, 3);
    const npy = readNpy(bytes);
    expect(npy.magic).toBe("\x93NUMPY");
    expect(npy.version).toEqual([1, 0]);
    expect(npy.dataOffset % 64).toBe(0);
    expect(npy.descr).toBe("<f4");
    expect(npy.fortranOrder).toBe("False");
    expect(npy.shape).toEqual([2, 3]);
    expect(npy.trailing).toBe(0);
    expect(Array.from(npy.data)).toEqual(Array.from(values));
  });

  it("matches the file NumPy itself writes (same dict, same data bytes)", () => {
    const ref = new Uint8Array(readFileSync(new URL("fixtures/numpy_2x3_f4.npy", import.meta.url)));
    const ours = encodeNpyFloat32(values, 2, 3);
    const a = readNpy(ours);
    const b = readNpy(ref);
    expect([a.descr, a.fortranOrder, a.shape]).toEqual([b.descr, b.fortranOrder, b.shape]);
    expect(ours.subarray(a.dataOffset)).toEqual(ref.subarray(b.dataOffset));
  });

  it("aligns the data whatever the header length", () => {
    for (let cols = 1; cols < 1e15; cols *= 10) {
      expect(readNpy(encodeNpyFloat32(new Float32Array(0), 0, cols)).dataOffset % 64, `shape (0, ${cols})`).toBe(0);
    }
  });

  it("refuses data whose length does not match the shape", () => {
    expect(() => encodeNpyFloat32(values, 2, 2)).toThrow(/data has 6 values, shape \[2,2\] needs 4/);
  });
});

describe("float32ToString", () => {
  it("prints the shortest decimal that reads back as the same float32", () => {
    expect(float32ToString(Math.fround(0.1))).toBe("0.1");
    expect(float32ToString(Math.fround(1 / 3))).toBe("0.33333334");
    expect(float32ToString(-2.5)).toBe("-2.5");
    expect(float32ToString(0)).toBe("0");
    expect(float32ToString(Math.fround(1e-8))).toBe("1e-8");
    expect(float32ToString(Math.fround(3.4028234663852886e38))).toBe("3.4028235e+38");
  });

  it("round-trips and is never longer than needed, on many random float32 values", () => {
    let seed = 12345;
    for (let k = 0; k < 2000; k++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const f = new Float32Array(new Uint32Array([seed & 0x7f7fffff]).buffer)[0]!;
      const s = float32ToString(f);
      expect(Math.fround(Number(s)), s).toBe(f);
      const digits = s.replace(/e.*$/, "").replace(/[-.]/g, "").replace(/^0+|0+$/g, "").length;
      if (digits > 1) expect(Math.fround(Number(f.toPrecision(digits - 1))), `${s} could be shorter`).not.toBe(f);
    }
  });
});

describe("encodeEmbeddings", () => {
  it("jsonl: one line per row with the text first, in row order", () => {
    const out = new TextDecoder().decode(encodeEmbeddings("jsonl", values, 2, 3, { texts: ["a", 'q"\n'] }));
    expect(out).toBe('{"text":"a","embedding":[0.1,-2.5,3]}\n{"text":"q\\"\\n","embedding":[1e-8,65504,0]}\n');
    const parsed = out.trimEnd().split("\n").map((l) => JSON.parse(l) as { embedding: number[] });
    expect(Float32Array.from(parsed.flatMap((p) => p.embedding))).toEqual(Float32Array.from(values, (x) => x + 0));
    expect(new TextDecoder().decode(encodeEmbeddings("jsonl", values, 3, 2))).toBe(
      '{"embedding":[0.1,-2.5]}\n{"embedding":[3,1e-8]}\n{"embedding":[65504,0]}\n',
    );
  });

  it("jsonl refuses non-finite values, naming row and column", () => {
    expect(() => encodeEmbeddings("jsonl", new Float32Array([1, NaN]), 1, 2)).toThrow(NotSupportedError);
    expect(() => encodeEmbeddings("jsonl", new Float32Array([1, NaN]), 1, 2)).toThrow(/row 0, column 1/);
  });

  it("safetensors: one F32 tensor `embeddings` [N,D] that parses back exactly, with metadata", () => {
    const bytes = encodeEmbeddings("safetensors", values, 2, 3, { metadata: { model: "tiny" } });
    const { tensors, metadata } = parseSafetensors(bytes, "out.safetensors");
    expect([...tensors.keys()]).toEqual(["embeddings"]);
    const t = tensors.get("embeddings")!;
    expect(t.dtype).toBe("F32");
    expect(t.shape).toEqual([2, 3]);
    expect(t.data).toEqual(values);
    expect(metadata).toEqual({ model: "tiny" });
    // And by hand, per the format: u64 LE header length, JSON header, raw little-endian data.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: number[] }>;
    expect(header["embeddings"]).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
    expect(new Float32Array(bytes.slice(8 + n).buffer)).toEqual(values);
  });

  it("npy goes through encodeNpyFloat32", () => {
    expect(encodeEmbeddings("npy", values, 2, 3)).toEqual(encodeNpyFloat32(values, 2, 3));
  });

  it("refuses a size mismatch and a texts count mismatch", () => {
    expect(() => encodeEmbeddings("npy", values, 4, 2)).toThrow(/has 6 values, shape \[4,2\] needs 8/);
    expect(() => encodeEmbeddings("jsonl", values, 2, 3, { texts: ["a"] })).toThrow(/1 texts for 2 embedding rows/);
  });
});
