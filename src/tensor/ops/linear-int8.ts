// Dynamic int8 quantization of a linear layer (symmetric, per row), the reference of the wasm int8 kernel:
//   weights, once, per output row o:  sw[o] = max_k |W[o,k]| / 127,  qw[o,k] = nearestEven(W[o,k] / sw[o])
//   activations, per call, per token n: sx[n], qx[n,k] the same way from x[n,:]
//   y[n,o] = f32(Σ_k qx[n,k]·qw[o,k]) · (sx[n]·sw[o]) + bias[o]
// Every step is rounded to Float32 where a SIMD kernel rounds (the division, the product of the scales,
// the product, the sum), and the integer dot product is exact, so a kernel can match it bit for bit.
// |q| ≤ 127 and in ≤ 2^17 keep Σ qx·qw far inside int32. A zero row has scale 0 and quantizes to zeros.
// Legend: N rows (tokens), in/out features, rows × cols for quantizeRowsInt8.
// x: [N,in]; qw: [out,in] int8; wScales: [out]; bias: [out]; y: [N,out].
//
// Why the fast one is fast: the integers are exact in a double, so the tiled Float32/Float64 kernel of
// gemm-kernel.ts computes Σ qx·qw exactly on widened blocks of qw (as linear-half.ts does for f16).
import { checkSize } from "./check.js";
import { gemmTransBTiled } from "./gemm-kernel.js";

const LEVELS = 127;
/** Weight elements widened per block (256 KB of Float32). */
const BLOCK_ELEMENTS = 65536;

/** Round to the nearest integer, ties to even (as f32x4.nearest). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties go up
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-row symmetric quantization: scales[r] = max|x[r,:]| / 127, q[r,c] = nearestEven(x[r,c] / scales[r]). */
export function quantizeRowsInt8(q: Int8Array, scales: Float32Array, x: Float32Array, rows: number, cols: number): void {
  checkSize("quantizeRowsInt8", "x", x, [rows, cols], "[rows,cols]");
  checkSize("quantizeRowsInt8", "q", q, [rows, cols], "[rows,cols]");
  checkSize("quantizeRowsInt8", "scales", scales, [rows], "[rows]");
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    // amax = max_c |x[r,c]|; s = amax / 127
    let amax = 0;
    for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(x[base + c]!));
    const s = Math.fround(amax / LEVELS);
    scales[r] = s;
    // q = nearestEven(x / s), within ±127 by construction (clamped all the same)
    for (let c = 0; c < cols; c++) {
      const v = s === 0 ? 0 : roundHalfEven(Math.fround(x[base + c]! / s));
      q[base + c] = Math.max(-LEVELS, Math.min(LEVELS, v));
    }
  }
}

function checkLinearInt8(
  fn: string, y: Float32Array, x: Float32Array, qw: Int8Array, wScales: Float32Array, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkSize(fn, "x", x, [N, inFeatures], "[N,in]");
  checkSize(fn, "qw", qw, [outFeatures, inFeatures], "[out,in]");
  checkSize(fn, "wScales", wScales, [outFeatures], "[out]");
  if (bias !== null) checkSize(fn, "bias", bias, [outFeatures], "[out]");
  checkSize(fn, "y", y, [N, outFeatures], "[N,out]");
}

/** y[n,o] = f32(acc) · f32(sx[n]·sw[o]) + bias[o], each step rounded to Float32. */
function dequantize(acc: number, sx: number, sw: number, bias: number): number {
  return Math.fround(Math.fround(Math.fround(acc) * Math.fround(sx * sw)) + bias);
}

/** Fast dynamic-int8 linear (see the file comment); bias may be null. */
export function linearInt8(
  y: Float32Array, x: Float32Array, qw: Int8Array, wScales: Float32Array, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearInt8("linearInt8", y, x, qw, wScales, bias, N, inFeatures, outFeatures);
  // qx [N,in] as exact small integers in a Float64Array, sx [N]
  const q8 = new Int8Array(N * inFeatures);
  const sx = new Float32Array(N);
  quantizeRowsInt8(q8, sx, x, N, inFeatures);
  const qx = Float64Array.from(q8);
  const rowsPerBlock = Math.max(1, Math.min(outFeatures, Math.floor(BLOCK_ELEMENTS / Math.max(1, inFeatures))));
  const block = new Float64Array(rowsPerBlock * inFeatures); // qw rows as doubles [rows,in]
  const acc = new Float64Array(N * rowsPerBlock); // exact Σ qx·qw for y[:, o0 .. o0 + rows]
  for (let o0 = 0; o0 < outFeatures; o0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, outFeatures - o0);
    for (let i = 0; i < rows * inFeatures; i++) block[i] = qw[o0 * inFeatures + i]!;
    gemmTransBTiled(acc, qx, block, N, inFeatures, rows, null);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < rows; j++) {
        const o = o0 + j;
        y[n * outFeatures + o] = dequantize(acc[n * rows + j]!, sx[n]!, wScales[o]!, bias === null ? 0 : bias[o]!);
      }
    }
  }
}

/** Reference dynamic-int8 linear: quantize x, integer dot products in plain loops, dequantize. */
export function linearInt8Naive(
  y: Float32Array, x: Float32Array, qw: Int8Array, wScales: Float32Array, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearInt8("linearInt8Naive", y, x, qw, wScales, bias, N, inFeatures, outFeatures);
  const qx = new Int8Array(N * inFeatures);
  const sx = new Float32Array(N);
  quantizeRowsInt8(qx, sx, x, N, inFeatures);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outFeatures; o++) {
      // acc = Σ_k qx[n,k]·qw[o,k], exact
      let acc = 0;
      for (let k = 0; k < inFeatures; k++) acc += qx[n * inFeatures + k]! * qw[o * inFeatures + k]!;
      y[n * outFeatures + o] = dequantize(acc, sx[n]!, wScales[o]!, bias === null ? 0 : bias[o]!);
    }
  }
}
