// The safetensors format, read and written strictly. A file is:
//   8 bytes  N, the header length (unsigned 64-bit little-endian)
//   N bytes  a JSON object: name -> { dtype, shape, data_offsets: [begin, end] }, plus an optional
//            "__metadata__": { string: string }
//   the rest the data area, raw little-endian elements; offsets are relative to its start.
// Every check names the file (`source`) and the tensor, so that a corrupt download is easy to find.
// Reading goes header first through a ByteSource — bytes in memory, viewed in place, or a file read by
// range (src/io/file-source.ts) — so nothing large is read before the header is checked, and a model
// loader fetches each tensor's bytes once (readSafetensorsHeader, tensorBytes). parseSafetensors reads a
// whole file held in memory into independent arrays, F16 and BF16 widened to Float32 (the dtype is
// still reported as stored); they are narrowed with round-to-nearest-even when written from Float32.
import { describeValue, NotSupportedError, SafetensorsError } from "../errors.js";
import { parseJson } from "./json.js";
import { narrowBF16, narrowF16, widenBF16, widenF16 } from "../tensor/ops/half.js";
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
// Reading

function fail(source: string, message: string): never {
  throw new SafetensorsError(`${source}: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Random access to the bytes of a safetensors file: a buffer in memory, or (Node) a file read by range. */
export interface ByteSource {
  /** Size in bytes. */
  readonly byteLength: number;
  /** Fills `dst` with bytes [position, position + dst.length); a source that ends early throws. */
  read(dst: Uint8Array, position: number): void;
  /** Bytes [position, position + length) without a copy where the source is in memory; null for a file. */
  view(position: number, length: number): Uint8Array | null;
}

/**
 * A ByteSource over bytes in memory: any Uint8Array view (a Node Buffer from the pool, a sub-view at any
 * offset) or an ArrayBuffer. Positions are relative to the view, never to the buffer underneath it.
 */
export function bufferSource(bytes: Uint8Array | ArrayBuffer): ByteSource {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return {
    byteLength: data.byteLength,
    read: (dst, position) => dst.set(data.subarray(position, position + dst.length)),
    view: (position, length) => data.subarray(position, position + length),
  };
}

/** One tensor of the header: its dtype, shape and byte range [begin, end) within the file. */
export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A checked safetensors header, with the bytes it describes (not read yet). */
export interface SafetensorsIndex {
  source: string;
  bytes: ByteSource;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

// 8 bytes of length, then the JSON: the length is checked against the cap and the file size before
// the header itself is read, so a file claiming a huge header costs nothing.
function readHeader(bytes: ByteSource, source: string): { header: Record<string, unknown>; dataStart: number } {
  const size = bytes.byteLength;
  if (size < 8) fail(source, `file is ${size} bytes, too short for the 8-byte header length`);
  const prefix = new Uint8Array(8);
  bytes.read(prefix, 0);
  const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(size - 8)) {
    fail(source, `header length ${headerLength} runs past the end of the file (${size} bytes): truncated or not a safetensors file`);
  }
  const n = Number(headerLength);
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`${source}: header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { code: "EP_LIMIT" });
  }
  const headerBytes = new Uint8Array(n);
  bytes.read(headerBytes, 8);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
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

function parseEntry(name: string, value: unknown, dataLength: number, source: string): TensorInfo {
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
function checkLayout(entries: TensorInfo[], dataLength: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: TensorInfo | null = null;
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

/**
 * Reads and checks the header of a safetensors file — the length (capped before anything large is read),
 * the JSON, every entry's dtype, shape and byte length, and the exact tiling of the data area — and
 * returns where each tensor's bytes are. No tensor is read.
 * @example const index = readSafetensorsHeader(bufferSource(bytes), "model.safetensors");
 */
export function readSafetensorsHeader(bytes: ByteSource, source: string): SafetensorsIndex {
  if (!isLittleEndianHost()) throw new NotSupportedError("safetensors on a big-endian host");
  const { header, dataStart } = readHeader(bytes, source);
  const dataLength = bytes.byteLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: TensorInfo[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") metadata = parseMetadata(value, source);
    else entries.push(parseEntry(name, value, dataLength, source));
  }
  checkLayout(entries, dataLength, source);
  const tensors = new Map<string, TensorInfo>();
  for (const e of entries) tensors.set(e.name, { ...e, begin: dataStart + e.begin, end: dataStart + e.end });
  return { source, bytes, tensors, metadata };
}

/**
 * The bytes of elements [first, first + count) of a tensor: a view where the source is in memory, else
 * read from the file into `scratch(length)` (a reusable buffer of at least that many bytes) or a fresh array.
 */
export function tensorBytes(
  index: SafetensorsIndex, info: TensorInfo, first = 0, count = numel(info.shape), scratch?: (length: number) => Uint8Array,
): Uint8Array {
  const size = DTYPE_SIZE[info.dtype];
  const position = info.begin + first * size;
  const length = count * size;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || position + length > info.end) {
    fail(index.source, `tensor "${info.name}": elements [${first},${first + count}) are outside its ${numel(info.shape)}`);
  }
  const view = index.bytes.view(position, length);
  if (view !== null) return view;
  const out = scratch === undefined ? new Uint8Array(length) : scratch(length).subarray(0, length);
  index.bytes.read(out, position);
  return out;
}

/**
 * The elements of `bytes` as the typed array of `dtype`, viewing them when they are aligned for it (a
 * copy otherwise); the element count is checked against the tensor's shape (or `count`).
 */
export function typedElements(bytes: Uint8Array, dtype: Exclude<Dtype, "F16" | "BF16">, count: number, where: string): SafeTensorData;
export function typedElements(bytes: Uint8Array, dtype: "F16" | "BF16", count: number, where: string): Uint16Array;
export function typedElements(bytes: Uint8Array, dtype: Dtype, count: number, where: string): SafeTensorData {
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength !== count * size) {
    throw new SafetensorsError(`${where}: ${dtype} data holds ${bytes.byteLength} bytes, ${count} elements need ${count * size}`);
  }
  // new Uint8Array(view) copies; Buffer's slice() would not
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  const { buffer, byteOffset } = aligned;
  switch (dtype) {
    case "F64": return new Float64Array(buffer, byteOffset, count);
    case "F32": return new Float32Array(buffer, byteOffset, count);
    case "F16": case "BF16": case "U16": return new Uint16Array(buffer, byteOffset, count);
    case "I64": return new BigInt64Array(buffer, byteOffset, count);
    case "I32": return new Int32Array(buffer, byteOffset, count);
    case "I16": return new Int16Array(buffer, byteOffset, count);
    case "I8": return new Int8Array(buffer, byteOffset, count);
    case "U64": return new BigUint64Array(buffer, byteOffset, count);
    case "U32": return new Uint32Array(buffer, byteOffset, count);
    case "U8": case "BOOL": return new Uint8Array(buffer, byteOffset, count);
  }
}

// One tensor as parseSafetensors returns it: its own copy of the data (never a view of the caller's
// bytes, never the whole buffer under a view), F16/BF16 widened to Float32.
function decode(index: SafetensorsIndex, e: TensorInfo): SafeTensorData {
  const where = `${index.source}: tensor "${e.name}"`;
  const count = numel(e.shape);
  const copy = new Uint8Array(tensorBytes(index, e));
  if (e.dtype === "F16") return widenF16(typedElements(copy, "F16", count, where));
  if (e.dtype === "BF16") return widenBF16(typedElements(copy, "BF16", count, where));
  const data = typedElements(copy, e.dtype as Exclude<Dtype, "F16" | "BF16">, count, where);
  if (e.dtype === "BOOL") {
    const bad = data.findIndex((v) => v > 1);
    if (bad >= 0) fail(index.source, `tensor "${e.name}": BOOL element ${bad} is ${data[bad]}, expected 0 or 1`);
  }
  return data;
}

/**
 * Parses a whole safetensors file held in memory (any Uint8Array view, a Node Buffer included, or an
 * ArrayBuffer). Each tensor gets its own copy of the data; F16/BF16 come back widened to Float32Array
 * (dtype as stored). `source` (normally the file name) starts every error message.
 * @example const { tensors } = parseSafetensors(bytes, "model.safetensors");
 */
export function parseSafetensors(bytes: Uint8Array | ArrayBuffer, source: string): ParsedSafetensors {
  const index = readSafetensorsHeader(bufferSource(bytes), source);
  const tensors = new Map<string, SafeTensor>();
  for (const e of index.tensors.values()) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(index, e) });
  return { tensors, metadata: index.metadata };
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
