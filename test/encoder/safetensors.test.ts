import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NotSupportedError, SafetensorsError } from "../../src/errors.js";
import { parseSafetensors, serializeSafetensors, toInt32Array, type SafeTensor } from "../../src/encoder/safetensors.js";
import { caseDir } from "./fixtures.js";

const SRC = "test.safetensors";

/** A file from a raw header (object or text) and `dataLength` bytes of data 0, 1, 2, ... */
function rawFile(header: object | string, dataLength: number): Uint8Array {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  for (let i = 0; i < dataLength; i++) out[8 + text.length + i] = i & 0xff;
  return out;
}

/** The stored bits of an F16/BF16 tensor `x` holding `values`. */
function storedBits(dtype: "F16" | "BF16", values: number[]): number[] {
  const bytes = serializeSafetensors({ x: { dtype, shape: [values.length], data: new Float32Array(values) } });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return Array.from(new Uint16Array(bytes.slice(8 + headerLength).buffer));
}

function parseError(bytes: Uint8Array): string {
  try {
    parseSafetensors(bytes, SRC);
  } catch (err) {
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as Error).message.startsWith(`${SRC}: `)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected parseSafetensors to throw");
}

describe("safetensors round trip", () => {
  it("every dtype, with shapes, values and __metadata__ preserved", () => {
    const tensors: Record<string, SafeTensor> = {
      f64: { dtype: "F64", shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      f32: { dtype: "F32", shape: [2, 2], data: new Float32Array([1.5, -2, 0, 3.25]) },
      f16: { dtype: "F16", shape: [3], data: new Float32Array([1, -0.5, 65504]) },
      bf16: { dtype: "BF16", shape: [3], data: new Float32Array([1, -0.5, 3.140625]) },
      i64: { dtype: "I64", shape: [2], data: new BigInt64Array([-(2n ** 40n), 7n]) },
      i32: { dtype: "I32", shape: [1, 3], data: new Int32Array([-5, 0, 2 ** 31 - 1]) },
      i16: { dtype: "I16", shape: [2], data: new Int16Array([-32768, 12]) },
      i8: { dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) },
      u64: { dtype: "U64", shape: [1], data: new BigUint64Array([2n ** 63n]) },
      u32: { dtype: "U32", shape: [1], data: new Uint32Array([4e9]) },
      u16: { dtype: "U16", shape: [1], data: new Uint16Array([65535]) },
      u8: { dtype: "U8", shape: [3], data: new Uint8Array([0, 128, 255]) },
      bool: { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) },
      empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
      scalar: { dtype: "F32", shape: [], data: new Float32Array([42]) },
    };
    const bytes = serializeSafetensors(tensors, { format: "pt", note: "ünïcode" });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const { tensors: back, metadata } = parseSafetensors(bytes, SRC);
    expect(metadata).toEqual({ format: "pt", note: "ünïcode" });
    expect([...back.keys()]).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.get(name)!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual(t.shape);
      expect(got.data.constructor, name).toBe(t.data.constructor);
      expect(Array.from(got.data as ArrayLike<number>), name).toEqual(Array.from(t.data as ArrayLike<number>));
    }
  });

  it("F16 and BF16 fixture weights re-serialise to the very bits PyTorch wrote", () => {
    for (const name of ["f16", "bf16"]) {
      const path = `${caseDir(name)}/model.safetensors`;
      const original = new Uint8Array(readFileSync(path));
      const { tensors, metadata } = parseSafetensors(original, path);
      expect([...tensors.values()].every((t) => t.data instanceof Float32Array)).toBe(true);
      const again = serializeSafetensors(tensors, metadata);
      const dataOf = (b: Uint8Array) => b.slice(8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)));
      expect(Buffer.from(dataOf(again)).equals(Buffer.from(dataOf(original))), name).toBe(true);
    }
  });
});

describe("half-precision conversions", () => {
  it("F16 widening: normals, subnormals, infinities, NaN", () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555]);
    const bytes = rawFile({ x: { dtype: "F16", shape: [bits.length], data_offsets: [0, bits.length * 2] } }, 0);
    const file = new Uint8Array(bytes.length + bits.byteLength);
    file.set(bytes);
    file.set(new Uint8Array(bits.buffer), bytes.length);
    const x = Array.from(parseSafetensors(file, SRC).tensors.get("x")!.data as Float32Array);
    expect(x.slice(0, 10)).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, NaN, -0]);
    expect(x[10]).toBe(Math.fround(0.333251953125));
  });
  it("F16 narrowing rounds to nearest even, overflows to Infinity, keeps subnormals", () => {
    const values = [1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65520, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -26, -0, -Infinity, 2 ** -14 - 2 ** -25];
    expect(storedBits("F16", values)).toEqual([0x3c00, 0x3c00, 0x3c02, 0x7bff, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002, 0x0000, 0x8000, 0xfc00, 0x0400]);
    expect(storedBits("F16", [NaN])[0]! & 0x7c00).toBe(0x7c00);
    expect(storedBits("F16", [NaN])[0]! & 0x3ff).not.toBe(0);
  });
  it("BF16 narrowing rounds to nearest even and keeps NaN a NaN", () => {
    expect(storedBits("BF16", [1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2, Infinity])).toEqual([0x3f80, 0x3f80, 0x3f82, 0xc000, 0x7f80]);
    const nan = storedBits("BF16", [NaN])[0]!;
    expect((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0).toBe(true);
  });
});

describe("strict validation: every error names the file (and the tensor)", () => {
  const good = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "I32", shape: [1], data_offsets: [8, 12] } };

  it("accepts the well-formed file these cases break", () => {
    expect([...parseSafetensors(rawFile(good, 12), SRC).tensors.keys()]).toEqual(["a", "b"]);
  });
  it("file shorter than the 8-byte header length", () => {
    expect(parseError(new Uint8Array(5))).toMatch(/5 bytes, too short/);
  });
  it("header length past the end of the file", () => {
    const bytes = rawFile(good, 12);
    new DataView(bytes.buffer).setBigUint64(0, 10_000n, true);
    expect(parseError(bytes)).toMatch(/header length 10000 runs past the end of the file/);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(parseError(bytes)).toMatch(/runs past the end/);
  });
  it("truncated file: data cut short", () => {
    const bytes = rawFile(good, 12).subarray(0, -3);
    expect(parseError(bytes)).toMatch(/tensor "b": data_offsets \[8,12\] run past the end of the data \(9 bytes\)/);
  });
  it("corrupt header: not JSON, not UTF-8, not an object", () => {
    expect(parseError(rawFile('{"a": {', 0))).toMatch(/header: not valid JSON at line 1, column 8/);
    const bad = rawFile("{}", 0);
    bad[8] = 0xff;
    expect(parseError(bad)).toMatch(/not valid UTF-8/);
    expect(parseError(rawFile("[1,2]", 0))).toMatch(/header is not a JSON object/);
    expect(parseError(rawFile("null", 0))).toMatch(/header is not a JSON object/);
  });
  it("overlapping offsets", () => {
    const header = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } };
    expect(parseError(rawFile(header, 8))).toMatch(/tensor "b" bytes \[4,8\) overlap tensor "a" bytes \[0,8\)/);
  });
  it("holes and trailing bytes in the data area", () => {
    const hole = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
    expect(parseError(rawFile(hole, 12))).toMatch(/data bytes \[4,8\) belong to no tensor \(before "b"\)/);
    expect(parseError(rawFile(good, 16))).toMatch(/data area is 16 bytes but the tensors cover 12/);
  });
  it("unknown dtype, and known dtypes we do not decode", () => {
    expect(parseError(rawFile({ a: { dtype: "F12", shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/tensor "a": unknown dtype "F12"/);
    const f8 = rawFile({ w: { dtype: "F8_E4M3", shape: [4], data_offsets: [0, 4] } }, 4);
    expect(() => parseSafetensors(f8, SRC)).toThrow(NotSupportedError);
    expect(() => parseSafetensors(f8, SRC)).toThrow(`not supported: ${SRC}: tensor "w": dtype F8_E4M3`);
  });
  it("byte length different from product(shape) × dtype size", () => {
    expect(parseError(rawFile({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8))).toMatch(
      /tensor "a": F32 \[3\] needs 12 bytes, data_offsets \[0,8\] hold 8/,
    );
  });
  it("malformed entries: shape, offsets, dtype, entry type", () => {
    expect(parseError(rawFile({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0))).toMatch(/tensor "a": shape \[-1\]/);
    expect(parseError(rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [4] } }, 4))).toMatch(/tensor "a": data_offsets \[4\]/);
    expect(parseError(rawFile({ a: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, 4))).toMatch(/end before they begin/);
    expect(parseError(rawFile({ a: { shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/tensor "a": dtype is missing/);
    expect(parseError(rawFile({ a: 3 }, 0))).toMatch(/tensor "a": header entry is not an object/);
  });
  it("__metadata__ must map strings to strings; BOOL must be 0/1", () => {
    expect(parseError(rawFile({ __metadata__: { n: 1 } }, 0))).toMatch(/"__metadata__" entry "n" is not a string/);
    expect(parseError(rawFile({ __metadata__: [] }, 0))).toMatch(/"__metadata__" is not an object/);
    const bool = rawFile({ m: { dtype: "BOOL", shape: [3], data_offsets: [0, 3] } }, 3); // data 0, 1, 2
    expect(parseError(bool)).toMatch(/tensor "m": BOOL element 2 is 2/);
  });
  it("serializeSafetensors refuses data that does not match dtype or shape", () => {
    expect(() => serializeSafetensors({ x: { dtype: "F32", shape: [3], data: new Float32Array(2) } })).toThrow(/tensor "x": shape \[3\] does not match 2 elements/);
    expect(() => serializeSafetensors({ x: { dtype: "I64", shape: [1], data: new Int32Array(1) } })).toThrow(/dtype I64 needs a BigInt64Array, got a Int32Array/);
  });
});

describe("toInt32Array", () => {
  it("converts I64 and refuses values beyond 32 bits and float dtypes", () => {
    expect(Array.from(toInt32Array({ dtype: "I64", shape: [2], data: new BigInt64Array([3n, -4n]) }, SRC, "ids"))).toEqual([3, -4]);
    expect(() => toInt32Array({ dtype: "I64", shape: [1], data: new BigInt64Array([2n ** 40n]) }, SRC, "ids")).toThrow(
      `${SRC}: tensor "ids": element 0 = 1099511627776 does not fit in 32 bits`,
    );
    expect(() => toInt32Array({ dtype: "F32", shape: [1], data: new Float32Array(1) }, SRC, "ids")).toThrow(/expected an integer dtype/);
  });
});

describe("a tensor or metadata key named __proto__ (found by the fuzzer's round-trip property)", () => {
  it("stays a key through serialize and parse", () => {
    const tensors = new Map([["__proto__", { dtype: "U8" as const, shape: [1], data: new Uint8Array([7]) }]]);
    const metadata = JSON.parse('{"__proto__": "x", "format": "pt"}') as Record<string, string>;
    const back = parseSafetensors(serializeSafetensors(tensors, metadata), "p.safetensors");
    expect([...back.tensors.keys()]).toEqual(["__proto__"]);
    expect(back.tensors.get("__proto__")!.data).toEqual(new Uint8Array([7]));
    expect(Object.entries(back.metadata)).toEqual([["__proto__", "x"], ["format", "pt"]]);
  });
});
