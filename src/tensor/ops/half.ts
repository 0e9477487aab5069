// Half-precision numbers: IEEE binary16 ("f16") and bfloat16 ("bf16"), stored as 16-bit patterns.
// Widening to Float32 is exact for both; narrowing rounds to nearest even. The safetensors reader and
// writer use these, and so do the backends for weights kept half-size in memory.
// Legend: n elements.

/** Raw bits of half-precision numbers, as a safetensors file stores F16 / BF16 tensors. */
export interface HalfBits {
  bits: Uint16Array;
  format: "f16" | "bf16";
}

let f16Table: Float32Array | null = null;

/** All 65536 half-precision values as Float32, built on first use (256 KB) so widening is a lookup. */
export function halfToFloatTable(): Float32Array {
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

/** out[i] = the f16 number with bit pattern bits[i] (exact). `out` may be longer; n elements are written. */
export function widenF16Into(out: Float32Array, bits: Uint16Array, n: number = bits.length): void {
  const table = halfToFloatTable();
  for (let i = 0; i < n; i++) out[i] = table[bits[i]!]!;
}

/** out[i] = the bf16 number with bit pattern bits[i] (exact): a bf16 is the top half of a Float32. */
export function widenBF16Into(out: Float32Array, bits: Uint16Array, n: number = bits.length): void {
  const u32 = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let i = 0; i < n; i++) u32[i] = bits[i]! << 16;
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

/** Float32 -> BF16 keeps the top 16 bits, rounded to nearest even; NaN stays a quiet NaN. */
export function narrowBF16(x: Float32Array): Uint16Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = bits[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) out[i] = (b >>> 16) | 0x0040;
    else out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** Float32 -> F16, round to nearest even; overflow becomes ±Infinity, tiny values become subnormals or ±0. */
export function narrowF16(x: Float32Array): Uint16Array {
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
