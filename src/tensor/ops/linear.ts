// Fully connected layer as torch.nn.Linear. Legend: N rows (tokens or batch), in = inFeatures,
// out = outFeatures. weight: [out,in] (out, in) as PyTorch stores it; bias: [out].
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";
import { gemmTransBTiled } from "./gemm-kernel.js";

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

/**
 * Backward of linearForward; accumulates (+=) into dx [N,in], dWeight [out,in], dBias [out].
 * A null gradient buffer is skipped.
 */
export function linearBackward(
  dx: FloatArray | null, dWeight: FloatArray | null, dBias: FloatArray | null,
  dOut: FloatArray, x: FloatArray, weight: FloatArray,
  N: number, inFeatures: number, outFeatures: number,
): void {
  checkLinear("linearBackward", dOut, x, weight, dBias, N, inFeatures, outFeatures, { out: "dOut", bias: "dBias" });
  if (dx !== null) checkSize("linearBackward", "dx", dx, [N, inFeatures], "[N,in]");
  if (dWeight !== null) checkSize("linearBackward", "dWeight", dWeight, [outFeatures, inFeatures], "[out,in]");
  // dBias[o] += Σ_n dOut[n,o]
  if (dBias !== null) {
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < outFeatures; o++) dBias[o]! += dOut[n * outFeatures + o]!;
    }
  }
  if (dx === null && dWeight === null) return;
  for (let n = 0; n < N; n++) {
    const xRow = n * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const g = dOut[n * outFeatures + o]!;
      if (g === 0) continue;
      const wRow = o * inFeatures;
      // dx[n,:] += dOut[n,o] · W[o,:]
      if (dx !== null) for (let i = 0; i < inFeatures; i++) dx[xRow + i]! += g * weight[wRow + i]!;
      // dWeight[o,:] += dOut[n,o] · x[n,:]
      if (dWeight !== null) for (let i = 0; i < inFeatures; i++) dWeight[wRow + i]! += g * x[xRow + i]!;
    }
  }
}
