// The safetensors format, read and written strictly. A file is:
//   8 bytes  N, the header length (unsigned 64-bit little-endian)
//   N bytes  a JSON object: name -> { dtype, shape, data_offsets: [begin, end] }, plus an optional
//            "__metadata__": { string: string }
//   the rest the data area, raw little-endian elements; offsets are relative to its start.
// Every check names the file (`source`) and the tensor, so that a corrupt download is easy to find.
// F16 and BF16 are widened to Float32 on load (the dtype is still reported as stored) and narrowed with
// round-to-nearest-even when written from Float32.
import { describeValue, NotSupportedError, SafetensorsError } from "../errors.js";
import { parseJson } from "./json.js";
import { numel, shapeToString } from "../tensor/tensor.js";

export type Dtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL";

/** Element arrays a SafeTensor may hold: F16/BF16 arrive as Float32Array, BOOL as Uint8Array of 0/1. */
export type SafeTensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

export interface SafeTensor {
  dtype: Dtype;
  shape: number[];
  data: SafeTensorData;
}

export interface ParsedSafetensors {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Bytes per stored element. */
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Dtypes the format defines that we refuse plainly instead of guessing at their encoding. */
const UNSUPPORTED_DTYPES = new Set(["F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"]);

/** The header length we accept; the reference implementation refuses more than 100 MB as well. */
export const MAX_HEADER_BYTES = 100_000_000;

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function isDtype(s: string): s is Dtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

// ---------------------------------------------------------------------------------------------------
// Half-precision conversions

let f16Table: Float32Array | null = null;

/** All 65536 half-precision values as Float32, built on first use (256 KB) so widening is a lookup. */
function halfToFloatTable(): Float32Array {
  if (f16Table !== null) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    // value = sign · 2^(exp-15) · (1 + mant/1024); subnormals sign · 2^-14 · mant/1024
    if (exp === 0) table[h] = sign * mant * 2 ** -24;
    else if (exp === 31) table[h] = mant === 0 ? sign * Infinity : NaN;
    else table[h] = sign * 2 ** (exp - 15) * (1 + mant / 1024);
  }
  f16Table = table;
  return table;
}

function widenF16(bits: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

// A BF16 value is the top half of a Float32: shift it back into place.
function widenBF16(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}

// Float32 -> BF16 keeps the top 16 bits, rounded to nearest even; NaN stays a quiet NaN.
function narrowBF16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | 0x0040;
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

// Float32 -> F16, round to nearest even; overflow becomes ±Infinity, tiny values become subnormals or ±0.
function narrowF16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i]!;
    const sign = (b >>> 16) & 0x8000;
    const exp = (b >>> 23) & 0xff;
    const mant = b & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15; // rebias
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // subnormal half: value = m · 2^-24 with m = (1.mant) · 2^(e - 1 + 10) ... shift the 24-bit significand
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const full = mant | 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = full & ((1 << shift) - 1);
      let m = full >>> shift;
      if (rest > half || (rest === half && (m & 1) === 1)) m += 1;
      out[i] = sign | m;
    } else {
      // normal: keep 10 mantissa bits, round the dropped 13 to nearest even (a carry may bump the exponent)
      let h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
      out[i] = sign | h;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Reading

function fail(source: string, message: string): never {
  throw new SafetensorsError(`${source}: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) fail(source, `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(source, `header length ${headerLength} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { code: "EP_LIMIT" });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail(source, "header is not valid UTF-8");
  }
  const header = parseJson(text, `${source}: header`, SafetensorsError);
  if (!isPlainObject(header)) fail(source, "header is not a JSON object");
  return { header, dataStart: 8 + n };
}

function parseMetadata(value: unknown, source: string): Record<string, string> {
  if (!isPlainObject(value)) fail(source, `"__metadata__" is not an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") fail(source, `"__metadata__" entry "${k}" is not a string`);
  }
  // fromEntries defines each key, so that "__proto__" stays a key instead of setting the prototype
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, value: unknown, dataLength: number, source: string): Entry {
  const where = `tensor "${name}"`;
  if (!isPlainObject(value)) fail(source, `${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string") fail(source, `${where}: dtype is missing or not a string`);
  if (UNSUPPORTED_DTYPES.has(dtype)) throw new NotSupportedError(`${source}: ${where}: dtype ${dtype}`);
  if (!isDtype(dtype)) fail(source, `${where}: unknown dtype "${dtype}"`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(source, `${where}: shape ${describeValue(shape)} is not a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(source, `${where}: data_offsets ${describeValue(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(source, `${where}: data_offsets [${begin},${end}] end before they begin`);
  if (end > dataLength) {
    fail(source, `${where}: data_offsets [${begin},${end}] run past the end of the data (${dataLength} bytes): file truncated?`);
  }
  const dims = shape as number[];
  const expected = numel(dims) * DTYPE_SIZE[dtype];
  if (end - begin !== expected) {
    fail(source, `${where}: ${dtype} ${shapeToString(dims)} needs ${expected} bytes, data_offsets [${begin},${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape: dims, begin, end };
}

// The data area must be tiled exactly: sorted by offset, each tensor starts where the previous one ended.
function checkLayout(entries: Entry[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | null = null;
  for (const e of sorted) {
    if (previous !== null && e.begin < cursor) {
      fail(source, `tensor "${e.name}" bytes [${e.begin},${e.end}) overlap tensor "${previous.name}" bytes [${previous.begin},${previous.end})`);
    }
    if (e.begin > cursor) fail(source, `data bytes [${cursor},${e.begin}) belong to no tensor (before "${e.name}")`);
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) fail(source, `data area is ${dataLength} bytes but the tensors cover ${cursor}: trailing bytes`);
}

function decode(bytes: Uint8Array, e: Entry, source: string): SafeTensorData {
  // slice() copies into a fresh, aligned buffer that the typed array may view directly
  const buffer = bytes.slice(e.begin, e.end).buffer;
  switch (e.dtype) {
    case "F64": return new Float64Array(buffer);
    case "F32": return new Float32Array(buffer);
    case "F16": return widenF16(new Uint16Array(buffer));
    case "BF16": return widenBF16(new Uint16Array(buffer));
    case "I64": return new BigInt64Array(buffer);
    case "I32": return new Int32Array(buffer);
    case "I16": return new Int16Array(buffer);
    case "I8": return new Int8Array(buffer);
    case "U64": return new BigUint64Array(buffer);
    case "U32": return new Uint32Array(buffer);
    case "U16": return new Uint16Array(buffer);
    case "U8": return new Uint8Array(buffer);
    case "BOOL": {
      const data = new Uint8Array(buffer);
      const bad = data.findIndex((v) => v > 1);
      if (bad >= 0) fail(source, `tensor "${e.name}": BOOL element ${bad} is ${data[bad]}, expected 0 or 1`);
      return data;
    }
  }
}

/**
 * Parses a whole safetensors file. F16/BF16 tensors come back widened to Float32Array (dtype as stored).
 * `source` (normally the file name) starts every error message.
 * @example const { tensors } = parseSafetensors(bytes, "model.safetensors");
 */
export function parseSafetensors(bytes: Uint8Array, source: string): ParsedSafetensors {
  if (!isLittleEndianHost()) throw new NotSupportedError("safetensors on a big-endian host");
  const { header, dataStart } = parseHeader(bytes, source);
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") metadata = parseMetadata(value, source);
    else entries.push(parseEntry(name, value, dataLength, source));
  }
  checkLayout(entries, dataLength, source);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(data, e, source) });
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------------------------------
// Writing

const ARRAY_FOR: Readonly<Record<Dtype, string>> = {
  F64: "Float64Array", F32: "Float32Array", F16: "Float32Array", BF16: "Float32Array",
  I64: "BigInt64Array", I32: "Int32Array", I16: "Int16Array", I8: "Int8Array",
  U64: "BigUint64Array", U32: "Uint32Array", U16: "Uint16Array", U8: "Uint8Array", BOOL: "Uint8Array",
};

function encode(name: string, t: SafeTensor): Uint8Array {
  const where = `serializeSafetensors: tensor "${name}"`;
  if (!isDtype(t.dtype)) throw new SafetensorsError(`${where}: unknown dtype "${String(t.dtype)}"`);
  if (t.data.constructor.name !== ARRAY_FOR[t.dtype]) {
    throw new SafetensorsError(`${where}: dtype ${t.dtype} needs a ${ARRAY_FOR[t.dtype]}, got a ${t.data.constructor.name}`);
  }
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || t.data.length !== numel(t.shape)) {
    throw new SafetensorsError(`${where}: shape ${shapeToString(t.shape)} does not match ${t.data.length} elements`);
  }
  let raw: ArrayBufferView = t.data;
  if (t.dtype === "F16") raw = narrowF16(t.data as Float32Array);
  if (t.dtype === "BF16") raw = narrowBF16(t.data as Float32Array);
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * Serialises tensors (in insertion order) and optional string metadata to safetensors bytes.
 * F16/BF16 tensors are given as Float32Array and rounded to nearest even.
 * @example serializeSafetensors({ x: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } })
 */
export function serializeSafetensors(
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  if (!isLittleEndianHost()) throw new NotSupportedError("safetensors on a big-endian host");
  const items = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // A Map, not an object: a tensor named "__proto__" must stay a tensor (header["__proto__"] = … would
  // set the prototype and drop it).
  const header = new Map<string, unknown>();
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(`serializeSafetensors: metadata "${k}" is not a string`);
    }
    header.set("__metadata__", metadata);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of items) {
    if (name === "__metadata__") throw new SafetensorsError(`serializeSafetensors: "__metadata__" is reserved, not a tensor name`);
    const raw = encode(name, t);
    header.set(name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + raw.length] });
    chunks.push(raw);
    offset += raw.length;
  }
  let json = JSON.stringify(Object.fromEntries(header));
  // pad the header with spaces so that the data area starts 8-byte aligned
  json += " ".repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const raw of chunks) {
    out.set(raw, at);
    at += raw.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Conversions callers need at their boundary

/** A floating tensor's data as Float32 (F32/F16/BF16 as loaded; F64 rounded); integer dtypes refused. */
export function toFloat32Array(t: SafeTensor, source: string, name: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new SafetensorsError(`${source}: tensor "${name}": expected a floating dtype (F32, F16, BF16, F64), got ${t.dtype}`);
}

/** An integer tensor's data as Int32 (I64, I32, I16, I8, U32, U16, U8), checking each value fits. */
export function toInt32Array(t: SafeTensor, source: string, name: string): Int32Array {
  const d = t.data;
  if (d instanceof Int32Array) return d;
  if (d instanceof Float32Array || d instanceof Float64Array || t.dtype === "BOOL") {
    throw new SafetensorsError(`${source}: tensor "${name}": expected an integer dtype (I64 or I32), got ${t.dtype}`);
  }
  const out = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]!);
    if (v < -2147483648 || v > 2147483647) {
      throw new SafetensorsError(`${source}: tensor "${name}": element ${i} = ${String(d[i])} does not fit in 32 bits`);
    }
    out[i] = v;
  }
  return out;
}
