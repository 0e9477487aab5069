// Logistic sigmoid, elementwise. Legend: n elements.
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

/** σ(x) = 1 / (1 + e^(−x)), evaluated so that exp never overflows: e^x / (1 + e^x) for x < 0. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** y = σ(x) elementwise. */
export function sigmoidForward(out: FloatArray, x: FloatArray, n: number): void {
  checkSize("sigmoidForward", "x", x, [n], "[n]");
  checkSize("sigmoidForward", "out", out, [n], "[n]");
  // y = σ(x)
  for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]!);
}

/** Backward of sigmoidForward from its output y: dx += dOut · y · (1 − y). */
export function sigmoidBackward(dx: FloatArray, dOut: FloatArray, y: FloatArray, n: number): void {
  checkSize("sigmoidBackward", "dx", dx, [n], "[n]");
  checkSize("sigmoidBackward", "dOut", dOut, [n], "[n]");
  checkSize("sigmoidBackward", "y", y, [n], "[n]");
  // dx += dOut · y · (1 − y)
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    dx[i]! += dOut[i]! * v * (1 - v);
  }
}
