// Tiny shared test helpers: a tolerance comparison that reports where it failed, and central finite
// differences in Float64 for checking hand-written backward passes.
import { expect } from "vitest";

/**
 * Expects |actual[i] − expected[i]| ≤ atol for every i (and equal lengths). On failure the message
 * names `label`, the tolerance, the max abs difference and the index where it occurs.
 * NaN anywhere on either side is a failure unless both sides are NaN at that index.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let maxDiff = 0;
  let where = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    const d = a === e ? 0 : Math.abs(a - e);
    if (!(d <= maxDiff)) {
      maxDiff = Number.isNaN(d) ? Infinity : d;
      where = i;
    }
  }
  const detail = where < 0 ? "" : ` at index ${where} (actual ${actual[where]}, expected ${expected[where]})`;
  expect(maxDiff <= atol, `${label}: max abs diff ${maxDiff} > atol ${atol}${detail}`).toBe(true);
}

/**
 * Central finite differences of a scalar function with respect to `x` (perturbed in place and restored):
 * grad[i] ≈ (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps).
 */
export function numericGradient(f: () => number, x: Float64Array, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + eps;
    const plus = f();
    x[i] = saved - eps;
    const minus = f();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}

/** The error `f` throws; the test fails when it throws nothing. */
export function thrown<E extends Error = Error & { code?: string }>(f: () => unknown): E {
  try {
    f();
  } catch (err) {
    return err as E;
  }
  throw new Error("expected an error, none was thrown");
}
