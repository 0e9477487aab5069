// Exact (erf) GELU as torch.nn.functional.gelu(approximate="none"), with its own erf/erfc accurate to
// double precision (relative error ~1e-15), so Float32 results are correctly rounded in practice.
// Legend: n elements, elementwise.
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Below this |x| the power series is used; above it the continued fraction of erfc (both ~1e-16 there). */
const SERIES_LIMIT = 2.5;
/** Depth of the erfc continued fraction: 40 terms reach double precision for every x ≥ 2.5. */
const CF_DEPTH = 40;

/** erf(x) for 0 ≤ x < 2.5: (2/√π) · x · e^(−x²) · Σ_n (2x²)^n / (1·3·…·(2n+1)), all terms positive. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = 1;
  let sum = 1;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * x * Math.exp(-x * x) * sum;
}

/** erfc(x) for x ≥ 2.5: e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail. */
function erfcContinuedFraction(x: number): number {
  let t = x;
  for (let n = CF_DEPTH; n > 0; n--) t = x + n / 2 / t;
  return (INV_SQRT_PI * Math.exp(-x * x)) / t;
}

/** Error function, accurate to ~1e-15 relative everywhere (also for tiny x, where erf(x) ≈ 2x/√π). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (!(ax < SERIES_LIMIT)) {
    if (Number.isNaN(x)) return NaN;
    const r = 1 - erfcContinuedFraction(ax);
    return x < 0 ? -r : r;
  }
  const r = erfSeries(ax);
  return x < 0 ? -r : r;
}

/** Complementary error function 1 − erf(x), without the cancellation of `1 - erf(x)` for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x > -SERIES_LIMIT) return 1 - erf(x);
  return 2 - erfcContinuedFraction(-x);
}

/** Exact GELU: y = 0.5 · x · (1 + erf(x/√2)) = 0.5 · x · erfc(−x/√2); gelu(300) = 300, gelu(−300) = −0. */
export function geluForward(out: FloatArray, x: FloatArray, n: number): void {
  checkSize("geluForward", "x", x, [n], "[n]");
  checkSize("geluForward", "out", out, [n], "[n]");
  // y = 0.5 · x · erfc(−x/√2): the erfc form keeps full relative accuracy in the tail x ≪ 0
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = 0.5 * v * erfc(-v * INV_SQRT2);
  }
}

/** Backward of geluForward: dx += dOut · (Φ(x) + x · φ(x)), Φ(x) = 0.5 · erfc(−x/√2), φ(x) = e^(−x²/2)/√(2π). */
export function geluBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number): void {
  checkSize("geluBackward", "dx", dx, [n], "[n]");
  checkSize("geluBackward", "dOut", dOut, [n], "[n]");
  checkSize("geluBackward", "x", x, [n], "[n]");
  // dx += dOut · (Φ(x) + x · φ(x))
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const cdf = 0.5 * erfc(-v * INV_SQRT2);
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    dx[i]! += dOut[i]! * (cdf + v * pdf);
  }
}
