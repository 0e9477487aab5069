// Fully connected layer as torch.nn.Linear. Legend: N rows (tokens or batch), in = inFeatures,
// out = outFeatures. weight: [out,in] (out, in) as PyTorch stores it; bias: [out].
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";
import { gemmAccumulate, gemmTransAAccumulate, gemmTransBTiled, scratchLike } from "./gemm-kernel.js";

function checkLinear(
  fn: string, out: FloatArray, x: FloatArray, weight: FloatArray, bias: FloatArray | null,
  N: number, inFeatures: number, outFeatures: number, names = { out: "out", bias: "bias" },
): void {
  checkSize(fn, "x", x, [N, inFeatures], "[N,in]");
  checkSize(fn, "weight", weight, [outFeatures, inFeatures], "[out,in]");
  if (bias !== null) checkSize(fn, names.bias, bias, [outFeatures], "[out]");
  checkSize(fn, names.out, out, [N, outFeatures], "[N,out]");
}

/** Fast y[N,out] = x[N,in] · weightᵀ + bias (tiled kernel of gemm-kernel.ts); `bias` may be null. */
export function linearForward(
  out: FloatArray, x: FloatArray, weight: FloatArray, bias: FloatArray | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinear("linearForward", out, x, weight, bias, N, inFeatures, outFeatures);
  gemmTransBTiled(out, x, weight, N, inFeatures, outFeatures, bias);
}

/** Reference y[N,out] = x[N,in] · weightᵀ + bias, plain loops; same signature as linearForward. */
export function linearNaive(
  out: FloatArray, x: FloatArray, weight: FloatArray, bias: FloatArray | null,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinear("linearNaive", out, x, weight, bias, N, inFeatures, outFeatures);
  // y[n,o] = b[o] + Σ_i x[n,i] · W[o,i]
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outFeatures; o++) {
      let s = bias === null ? 0 : bias[o]!;
      for (let i = 0; i < inFeatures; i++) s += x[n * inFeatures + i]! * weight[o * inFeatures + i]!;
      out[n * outFeatures + o] = s;
    }
  }
}

function checkLinearBackward(
  fn: string, dx: FloatArray | null, dWeight: FloatArray | null, dBias: FloatArray | null,
  dOut: FloatArray, x: FloatArray, weight: FloatArray, N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinear(fn, dOut, x, weight, dBias, N, inFeatures, outFeatures, { out: "dOut", bias: "dBias" });
  if (dx !== null) checkSize(fn, "dx", dx, [N, inFeatures], "[N,in]");
  if (dWeight !== null) checkSize(fn, "dWeight", dWeight, [outFeatures, inFeatures], "[out,in]");
}

/** dBias[o] += Σ_n dOut[n,o]: shared by both backward versions. */
function biasBackward(dBias: FloatArray, dOut: FloatArray, N: number, outFeatures: number): void {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outFeatures; o++) dBias[o]! += dOut[n * outFeatures + o]!;
  }
}

/**
 * Compaction pays once at least this fraction of the rows of dOut is zero (padding tokens of a masked
 * pooler): gathering the live rows costs (out + 3·in) copies per row, a skipped row saves 4·in·out flops.
 */
const MIN_ZERO_FRACTION = 1 / 16;

/** Indices of the rows of dOut [N,out] with a non-zero entry, or null when too few rows are zero to skip. */
function liveRows(dOut: FloatArray, N: number, outFeatures: number): Int32Array | null {
  const rows = new Int32Array(N);
  let n = 0;
  for (let r = 0; r < N; r++) {
    const o = r * outFeatures;
    for (let j = 0; j < outFeatures; j++) {
      if (dOut[o + j] !== 0) {
        rows[n++] = r;
        break;
      }
    }
  }
  return N - n < N * MIN_ZERO_FRACTION ? null : rows.subarray(0, n);
}

/** packed[k,:] = src[rows[k],:] for src [·,width]: the chosen rows, contiguous. */
function gatherRows(src: FloatArray, rows: Int32Array, width: number): FloatArray {
  const packed = scratchLike(src, rows.length * width);
  for (let k = 0; k < rows.length; k++) packed.set(src.subarray(rows[k]! * width, (rows[k]! + 1) * width), k * width);
  return packed;
}

/**
 * Backward of linearForward; accumulates (+=) into dx [N,in], dWeight [out,in], dBias [out].
 * A null gradient buffer is skipped. Both products run on the tiled kernels of gemm-kernel.ts:
 * dx += dOut · W (W transposed into scratch once) and dWeight += dOutᵀ · x (packed in row chunks).
 * Rows whose dOut is all zero (padding) add nothing and are skipped, as the naive loops skip them.
 */
export function linearBackward(
  dx: FloatArray | null, dWeight: FloatArray | null, dBias: FloatArray | null,
  dOut: FloatArray, x: FloatArray, weight: FloatArray,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearBackward("linearBackward", dx, dWeight, dBias, dOut, x, weight, N, inFeatures, outFeatures);
  if (dBias !== null) biasBackward(dBias, dOut, N, outFeatures);
  if (dx === null && dWeight === null) return;
  const live = liveRows(dOut, N, outFeatures);
  if (live === null) {
    // dx[N,in] += dOut[N,out] · W[out,in]
    if (dx !== null) gemmAccumulate(dx, dOut, weight, N, outFeatures, inFeatures);
    // dWeight[out,in] += dOut[N,out]ᵀ · x[N,in]
    if (dWeight !== null) gemmTransAAccumulate(dWeight, dOut, x, outFeatures, N, inFeatures);
    return;
  }
  // the same two products over the n live rows only: dOutLive [n,out], xLive, dxLive [n,in]
  const n = live.length;
  const dOutLive = gatherRows(dOut, live, outFeatures);
  if (dx !== null) {
    // dxLive = dx[live,:] + dOutLive · W, written back to the same rows
    const dxLive = gatherRows(dx, live, inFeatures);
    gemmAccumulate(dxLive, dOutLive, weight, n, outFeatures, inFeatures);
    for (let k = 0; k < n; k++) dx.set(dxLive.subarray(k * inFeatures, (k + 1) * inFeatures), live[k]! * inFeatures);
  }
  // dWeight += dOutLiveᵀ · x[live,:]
  if (dWeight !== null) gemmTransAAccumulate(dWeight, dOutLive, gatherRows(x, live, inFeatures), outFeatures, n, inFeatures);
}

/** Reference backward of linearForward, plain loops; same signature and (+=) semantics as linearBackward. */
export function linearBackwardNaive(
  dx: FloatArray | null, dWeight: FloatArray | null, dBias: FloatArray | null,
  dOut: FloatArray, x: FloatArray, weight: FloatArray,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinearBackward("linearBackwardNaive", dx, dWeight, dBias, dOut, x, weight, N, inFeatures, outFeatures);
  if (dBias !== null) biasBackward(dBias, dOut, N, outFeatures);
  if (dx === null && dWeight === null) return;
  for (let n = 0; n < N; n++) {
    const xRow = n * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const g = dOut[n * outFeatures + o]!;
      // zero gradients (padding tokens) add nothing: skipped, as the loops always did
      if (g === 0) continue;
      const wRow = o * inFeatures;
      // dx[n,:] += dOut[n,o] · W[o,:]
      if (dx !== null) for (let i = 0; i < inFeatures; i++) dx[xRow + i]! += g * weight[wRow + i]!;
      // dWeight[o,:] += dOut[n,o] · x[n,:]
      if (dWeight !== null) for (let i = 0; i < inFeatures; i++) dWeight[wRow + i]! += g * x[xRow + i]!;
    }
  }
}
