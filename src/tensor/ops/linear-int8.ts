// Dynamically quantized int8 linear layer: the readable reference of the wasm engine's int8 path
// (src/tensor/wasm/kernels/gemm-int8.ts computes the same numbers bit for bit).
// Legend: N rows (tokens), in = inFeatures, out = outFeatures; weight: [out,in] (out, in).
//   Each row v (a row of W at load time, a row of x at run time) is quantized symmetrically:
//   scale = max|v|/127, q = round_half_even(v · (127/max|v|)) ∈ [−127, 127] (all in float32 arithmetic).
//   y[n,o] = f32(Σ_i qx[n,i] · qw[o,i]) · (scale_x[n] · scale_w[o]) + bias[o], the sum exact in integers.
import { checkSize } from "./check.js";

/** A weight [rows, cols] quantized per row: q [rows, cols] int8 and scales [rows]. */
export interface QuantizedWeight {
  readonly q: Int8Array;
  readonly scales: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Rounds to the nearest integer, ties to even (as WebAssembly's f32.nearest). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes src[offset .. offset+n) into q[qOffset ..]; returns the scale max|v|/127 (0 for a zero row). */
export function quantizeRow(q: Int8Array | Int16Array, qOffset: number, src: Float32Array, offset: number, n: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(src[offset + i]!));
  const inv = max > 0 ? Math.fround(127 / max) : 0;
  // q = round_half_even(v · inv), the product rounded to float32 first as the vector kernel does
  for (let i = 0; i < n; i++) q[qOffset + i] = roundHalfEven(Math.fround(src[offset + i]! * inv));
  return Math.fround(max / 127);
}

/** Per-row int8 quantization of a weight [rows, cols]. */
export function quantizeWeightInt8(weight: Float32Array, rows: number, cols: number): QuantizedWeight {
  checkSize("quantizeWeightInt8", "weight", weight, [rows, cols], "[rows,cols]");
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = quantizeRow(q, r * cols, weight, r * cols, cols);
  return { q, scales, rows, cols };
}

/** y[N,out] = dequantized (quantize(x) · Wqᵀ) + bias, with x quantized per row at call time; bias may be null. */
export function linearInt8(
  out: Float32Array, x: Float32Array, weight: QuantizedWeight, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkSize("linearInt8", "x", x, [N, inFeatures], "[N,in]");
  checkSize("linearInt8", "weight", weight.q, [outFeatures, inFeatures], "[out,in]");
  if (bias !== null) checkSize("linearInt8", "bias", bias, [outFeatures], "[out]");
  checkSize("linearInt8", "out", out, [N, outFeatures], "[N,out]");
  const qx = new Int16Array(inFeatures);
  for (let n = 0; n < N; n++) {
    const sx = quantizeRow(qx, 0, x, n * inFeatures, inFeatures);
    for (let o = 0; o < outFeatures; o++) {
      // acc = Σ_i qx[i] · qw[o,i], exact
      let acc = 0;
      const w0 = o * inFeatures;
      for (let i = 0; i < inFeatures; i++) acc += qx[i]! * weight.q[w0 + i]!;
      // y = f32(acc) · (sx · sw) + bias, each step rounded to float32
      const y = Math.fround(Math.fround(acc) * Math.fround(sx * weight.scales[o]!));
      out[n * outFeatures + o] = bias === null ? y : Math.fround(y + bias[o]!);
    }
  }
}
