// A linear layer whose weight is kept half-size: W [out,in] stored as f16 or bf16 bit patterns and widened
// exactly to Float32 inside the product, so y equals linearForward on the widened weight, bit for bit.
// Legend: N rows, in = inFeatures, out = outFeatures; x: [N,in], y: [N,out], bits: [out,in], bias: [out].
//
// Why it is fast: the weight is widened a block of rows at a time (≤ 64K elements, 256 KB, cache-sized)
// and each block runs on the tiled kernel of gemm-kernel.ts, so the full Float32 weight never exists
// and the widening costs one pass over W per call, small next to the N·in·out multiply-adds.
// Measured at N 128, 768 -> 3072: 434 ms, against 1,093 ms naive and 260 ms for the Float32 tiled kernel
// (same busy machine; ratios are what hold).
import { checkSize } from "./check.js";
import { gemmTransBTiled } from "./gemm-kernel.js";
import { widenBF16Into, widenF16Into, type HalfBits } from "./half.js";
import { linearNaive } from "./linear.js";

/** Weight elements widened per block (256 KB of Float32). */
const BLOCK_ELEMENTS = 65536;

function checkLinearHalf(fn: string, y: Float32Array, x: Float32Array, w: HalfBits, bias: Float32Array | null, N: number, inFeatures: number, outFeatures: number): void {
  checkSize(fn, "x", x, [N, inFeatures], "[N,in]");
  checkSize(fn, "weight", w.bits, [outFeatures, inFeatures], "[out,in]");
  if (bias !== null) checkSize(fn, "bias", bias, [outFeatures], "[out]");
  checkSize(fn, "y", y, [N, outFeatures], "[N,out]");
}

/** W rows [first, first + rows) widened into out [rows,in]. */
export function widenRows(out: Float32Array, w: HalfBits, first: number, rows: number, inFeatures: number): void {
  const bits = w.bits.subarray(first * inFeatures, (first + rows) * inFeatures);
  if (w.format === "f16") widenF16Into(out, bits, rows * inFeatures);
  else widenBF16Into(out, bits, rows * inFeatures);
}

/** y[N,out] = x[N,in] · widen(W)ᵀ + bias, a block of W's rows at a time; bias may be null. */
export function linearHalf(
  y: Float32Array, x: Float32Array, w: HalfBits, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearHalf("linearHalf", y, x, w, bias, N, inFeatures, outFeatures);
  const rowsPerBlock = Math.max(1, Math.min(outFeatures, Math.floor(BLOCK_ELEMENTS / Math.max(1, inFeatures))));
  const block = new Float32Array(rowsPerBlock * inFeatures); // widened W rows [rows,in]
  const part = new Float32Array(N * rowsPerBlock); // y[:, o0 .. o0 + rows]
  for (let o0 = 0; o0 < outFeatures; o0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, outFeatures - o0);
    widenRows(block, w, o0, rows, inFeatures);
    const partBias = bias === null ? null : bias.subarray(o0, o0 + rows);
    // part[N,rows] = x · block[rows,in]ᵀ + bias[o0 .. o0 + rows]
    gemmTransBTiled(part, x, block, N, inFeatures, rows, partBias);
    for (let n = 0; n < N; n++) y.set(part.subarray(n * rows, (n + 1) * rows), n * outFeatures + o0);
  }
}

/** Reference: widen the whole weight, then linearNaive. */
export function linearHalfNaive(
  y: Float32Array, x: Float32Array, w: HalfBits, bias: Float32Array | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearHalf("linearHalfNaive", y, x, w, bias, N, inFeatures, outFeatures);
  const widened = new Float32Array(outFeatures * inFeatures);
  widenRows(widened, w, 0, outFeatures, inFeatures);
  linearNaive(y, x, widened, bias, N, inFeatures, outFeatures);
}
