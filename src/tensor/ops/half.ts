// 16-bit floats ⇄ float32, exactly as IEEE 754 defines them: the reference for the engine's widening kernels
// and the converter for weights stored in F16 / BF16 (safetensors, the backends' half-size weights).
// Legend: n values.
//   f16 (binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits. bf16: the top 16 bits of a float32.
// Widening is exact; narrowing rounds to nearest, ties to even; it overflows to ±inf and keeps NaN a NaN.
// (Checked on all 2^32 float32 bit patterns against an independent bit-level narrowing.)

/** Raw bits of half-precision numbers, as a safetensors file stores F16 / BF16 tensors. */
export interface HalfBits {
  bits: Uint16Array;
  format: "f16" | "bf16";
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 value of f16 bits. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The float32 value of bf16 bits. */
export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/** f16 bits of the nearest f16 to a float32 value (ties to even). */
export function f32ToF16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  if (exponent === 255) return sign | 0x7c00 | ((x & 0x7fffff) !== 0 ? 0x200 : 0);
  const a = Math.abs(f32[0]!);
  // below 2^-14 the f16 grid is uniform (step 2^-24): round a / 2^-24 to an integer, ties to even
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24);
  // otherwise keep 10 of the 23 mantissa bits, ties to even; a carry may bump the exponent (to inf at the top)
  const e = exponent - 127 + 15;
  const m = x & 0x7fffff;
  let h = (e << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return e >= 31 || h >= 0x7c00 ? sign | 0x7c00 : sign | h;
}

/** bf16 bits of the nearest bf16 to a float32 value (ties to even); NaN stays NaN. */
export function f32ToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

let f16Table: Float32Array | null = null;

/** All 65536 f16 values as Float32, built on first use (256 KB) so that widening is a lookup. */
export function halfToFloatTable(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16ToF32(h);
  }
  return f16Table;
}

/** out[i] = the f16 number with bit pattern bits[i] (exact); n elements (default all of bits). */
export function widenF16Into(out: Float32Array, bits: Uint16Array, n: number = bits.length): void {
  const table = halfToFloatTable();
  for (let i = 0; i < n; i++) out[i] = table[bits[i]!]!;
}

/** out[i] = the bf16 number with bit pattern bits[i] (exact): shifted back into the top half of a float32. */
export function widenBF16Into(out: Float32Array, bits: Uint16Array, n: number = bits.length): void {
  const wide = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let i = 0; i < n; i++) wide[i] = bits[i]! << 16;
}

/** F16 bit patterns widened to a fresh Float32Array. */
export function widenF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  widenF16Into(out, bits);
  return out;
}

/** BF16 bit patterns widened to a fresh Float32Array. */
export function widenBF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  widenBF16Into(out, bits);
  return out;
}

/** Float32 values of n 16-bit floats of the given format. */
export function widenHalf(bits: Uint16Array, format: "f16" | "bf16"): Float32Array {
  return format === "f16" ? widenF16(bits) : widenBF16(bits);
}

/** out[i] = bits of `format` nearest to values[i] (ties to even), for every i of values. */
export function narrowHalfInto(out: Uint16Array, values: Float32Array, format: "f16" | "bf16"): void {
  const narrow = format === "f16" ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) out[i] = narrow(values[i]!);
}

/** Float32 values narrowed to f16 bits (nearest, ties to even). */
export function narrowF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  narrowHalfInto(out, values, "f16");
  return out;
}

/** Float32 values narrowed to bf16 bits (nearest, ties to even). */
export function narrowBF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  narrowHalfInto(out, values, "bf16");
  return out;
}

/** 16-bit floats of the given format nearest to n float32 values. */
export function narrowHalf(values: Float32Array, format: "f16" | "bf16"): Uint16Array {
  return format === "f16" ? narrowF16(values) : narrowBF16(values);
}

/** Float32 values of Float32 values (returned as they are) or half bits (widened exactly). */
export function asFloat32(values: Float32Array | HalfBits): Float32Array {
  return values instanceof Float32Array ? values : widenHalf(values.bits, values.format);
}

/** Bits of `format` from half bits (returned as they are when the format matches) or Float32 values (rounded). */
export function asHalf(values: Float32Array | HalfBits, format: "f16" | "bf16"): Uint16Array {
  if (!(values instanceof Float32Array) && values.format === format) return values.bits;
  return narrowHalf(asFloat32(values), format);
}

/** out[0 .. n) = values as Float32 (copied, or half bits widened exactly); n = the number of values. */
export function writeFloat32(out: Float32Array, values: Float32Array | HalfBits): void {
  if (values instanceof Float32Array) out.set(values);
  else if (values.format === "f16") widenF16Into(out, values.bits);
  else widenBF16Into(out, values.bits);
}

/** out[0 .. n) = values as bits of `format` (copied when they already are, else rounded, ties to even). */
export function writeHalf(out: Uint16Array, values: Float32Array | HalfBits, format: "f16" | "bf16"): void {
  if (values instanceof Float32Array) narrowHalfInto(out, values, format);
  else if (values.format === format) out.set(values.bits);
  else {
    // the other half format: widen exactly, then round to this one
    const widen = values.format === "f16" ? f16ToF32 : bf16ToF32;
    const narrow = format === "f16" ? f32ToF16 : f32ToBf16;
    for (let i = 0; i < values.bits.length; i++) out[i] = narrow(widen(values.bits[i]!));
  }
}
