// Hyperbolic tangent, elementwise. Legend: n elements.
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

/** y = tanh(x); Math.tanh saturates to exactly ±1 for large |x| (no exp overflow, no NaN). */
export function tanhForward(out: FloatArray, x: FloatArray, n: number): void {
  checkSize("tanhForward", "x", x, [n], "[n]");
  checkSize("tanhForward", "out", out, [n], "[n]");
  // y = tanh(x)
  for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
}

/** Backward of tanhForward from its output y: dx += dOut · (1 − y²). */
export function tanhBackward(dx: FloatArray, dOut: FloatArray, y: FloatArray, n: number): void {
  checkSize("tanhBackward", "dx", dx, [n], "[n]");
  checkSize("tanhBackward", "dOut", dOut, [n], "[n]");
  checkSize("tanhBackward", "y", y, [n], "[n]");
  // dx += dOut · (1 − y²)
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    dx[i]! += dOut[i]! * (1 - v * v);
  }
}
