// Layer normalisation over the last axis, as torch.nn.LayerNorm: biased variance, eps inside the sqrt.
// Legend: rows × cols, normalised along cols; weight, bias: [cols]; mean, rstd: [rows].
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

/**
 * y = (x - mean) · rstd · weight + bias with rstd = 1 / sqrt(var + eps), var = mean((x - mean)²).
 * `mean` and `rstd` ([rows]) are filled when given: layerNormBackward needs them.
 */
export function layerNormForward(
  out: FloatArray, mean: FloatArray | null, rstd: FloatArray | null,
  x: FloatArray, weight: FloatArray, bias: FloatArray, rows: number, cols: number, eps: number,
): void {
  checkSize("layerNormForward", "x", x, [rows, cols], "[rows,cols]");
  checkSize("layerNormForward", "out", out, [rows, cols], "[rows,cols]");
  checkSize("layerNormForward", "weight", weight, [cols], "[cols]");
  checkSize("layerNormForward", "bias", bias, [cols], "[cols]");
  if (mean !== null) checkSize("layerNormForward", "mean", mean, [rows], "[rows]");
  if (rstd !== null) checkSize("layerNormForward", "rstd", rstd, [rows], "[rows]");
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    // mu = Σ x / cols
    let mu = 0;
    for (let c = 0; c < cols; c++) mu += x[base + c]!;
    mu /= cols;
    // var = Σ (x - mu)² / cols  (two passes: no cancellation for rows with a large offset)
    let variance = 0;
    for (let c = 0; c < cols; c++) {
      const d = x[base + c]! - mu;
      variance += d * d;
    }
    variance /= cols;
    const rs = 1 / Math.sqrt(variance + eps);
    // y = (x - mu) · rs · w + b
    for (let c = 0; c < cols; c++) out[base + c] = (x[base + c]! - mu) * rs * weight[c]! + bias[c]!;
    if (mean !== null) mean[r] = mu;
    if (rstd !== null) rstd[r] = rs;
  }
}

/**
 * Backward of layerNormForward; accumulates (+=). With xhat = (x - mean) · rstd and g = dOut · weight:
 * dx = rstd · (g - mean(g) - xhat · mean(g · xhat)), dWeight += Σ_rows dOut · xhat, dBias += Σ_rows dOut.
 */
export function layerNormBackward(
  dx: FloatArray, dWeight: FloatArray | null, dBias: FloatArray | null,
  dOut: FloatArray, x: FloatArray, mean: FloatArray, rstd: FloatArray, weight: FloatArray,
  rows: number, cols: number,
): void {
  checkSize("layerNormBackward", "dx", dx, [rows, cols], "[rows,cols]");
  checkSize("layerNormBackward", "dOut", dOut, [rows, cols], "[rows,cols]");
  checkSize("layerNormBackward", "x", x, [rows, cols], "[rows,cols]");
  checkSize("layerNormBackward", "mean", mean, [rows], "[rows]");
  checkSize("layerNormBackward", "rstd", rstd, [rows], "[rows]");
  checkSize("layerNormBackward", "weight", weight, [cols], "[cols]");
  if (dWeight !== null) checkSize("layerNormBackward", "dWeight", dWeight, [cols], "[cols]");
  if (dBias !== null) checkSize("layerNormBackward", "dBias", dBias, [cols], "[cols]");
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const mu = mean[r]!;
    const rs = rstd[r]!;
    // meanG = mean(dOut · w); meanGX = mean(dOut · w · xhat); and the parameter gradients on the way
    let meanG = 0;
    let meanGX = 0;
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c]! - mu) * rs;
      const g = dOut[base + c]! * weight[c]!;
      meanG += g;
      meanGX += g * xhat;
      if (dWeight !== null) dWeight[c]! += dOut[base + c]! * xhat;
      if (dBias !== null) dBias[c]! += dOut[base + c]!;
    }
    meanG /= cols;
    meanGX /= cols;
    // dx += rs · (g - meanG - xhat · meanGX)
    for (let c = 0; c < cols; c++) {
      const xhat = (x[base + c]! - mu) * rs;
      dx[base + c]! += rs * (dOut[base + c]! * weight[c]! - meanG - xhat * meanGX);
    }
  }
}
