// Row softmax with an optional keep-mask. Legend: rows × cols, softmax along cols.
// mask: [rows,cols], 1 = keep, 0 = excluded (probability exactly 0).
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

/**
 * y[r,:] = softmax(x[r,:]) over the kept entries, computed as exp(x - max) / Σ exp(x - max) so that
 * inputs of ±1000 neither overflow nor underflow to 0/0. A row with nothing kept becomes all zeros
 * (callers reject that case earlier with a clear error).
 */
export function softmaxForward(out: FloatArray, x: FloatArray, rows: number, cols: number, mask: ArrayLike<number> | null): void {
  checkSize("softmaxForward", "x", x, [rows, cols], "[rows,cols]");
  checkSize("softmaxForward", "out", out, [rows, cols], "[rows,cols]");
  if (mask !== null) checkSize("softmaxForward", "mask", mask, [rows, cols], "[rows,cols]");
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    // max = max_{c kept} x[r,c]
    let max = -Infinity;
    for (let c = 0; c < cols; c++) {
      if (mask !== null && mask[base + c] === 0) continue;
      const v = x[base + c]!;
      if (v > max) max = v;
    }
    // e[c] = exp(x[r,c] - max) for kept c, 0 otherwise; sum = Σ e
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = (mask !== null && mask[base + c] === 0) || max === -Infinity ? 0 : Math.exp(x[base + c]! - max);
      out[base + c] = e;
      sum += e;
    }
    // y = e / sum (sum ≥ 1 whenever one entry is kept, since the max contributes exp(0) = 1)
    const inv = sum > 0 ? 1 / sum : 0;
    for (let c = 0; c < cols; c++) out[base + c]! *= inv;
  }
}

/** Backward of softmaxForward from its output y: dx[r,c] += y[r,c] · (dOut[r,c] - Σ_c' dOut[r,c'] · y[r,c']). */
export function softmaxBackward(dx: FloatArray, dOut: FloatArray, y: FloatArray, rows: number, cols: number): void {
  checkSize("softmaxBackward", "dx", dx, [rows, cols], "[rows,cols]");
  checkSize("softmaxBackward", "dOut", dOut, [rows, cols], "[rows,cols]");
  checkSize("softmaxBackward", "y", y, [rows, cols], "[rows,cols]");
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    // dot = Σ_c dOut[r,c] · y[r,c]
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += dOut[base + c]! * y[base + c]!;
    // dx[r,c] += y[r,c] · (dOut[r,c] - dot); masked entries have y = 0 and get no gradient
    for (let c = 0; c < cols; c++) dx[base + c]! += y[base + c]! * (dOut[base + c]! - dot);
  }
}
