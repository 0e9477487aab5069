// 16-bit floats ⇄ float32, exactly as IEEE 754 defines them: the reference for the engine's widening kernels
// and the converter for weights stored in F16 / BF16. Legend: n values.
//   f16 (binary16): 1 sign, 5 exponent (bias 15), 10 mantissa bits. bf16: the top 16 bits of a float32.
// Narrowing rounds to nearest, ties to even; it overflows to ±inf and keeps NaN a NaN.

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

/** Float32 values of n 16-bit floats of the given format. */
export function widenHalf(bits: Uint16Array, format: "f16" | "bf16"): Float32Array {
  const out = new Float32Array(bits.length);
  const widen = format === "f16" ? f16ToF32 : bf16ToF32;
  for (let i = 0; i < bits.length; i++) out[i] = widen(bits[i]!);
  return out;
}

/** 16-bit floats of the given format nearest to n float32 values. */
export function narrowHalf(values: Float32Array, format: "f16" | "bf16"): Uint16Array {
  const out = new Uint16Array(values.length);
  const narrow = format === "f16" ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) out[i] = narrow(values[i]!);
  return out;
}
