// Support for the tensor-op tests: fixture loading (test/fixtures/tensor/*.json, made by
// test/fixtures/make_tensor_fixtures.py) and a gradient check against central finite differences.
import { readFileSync } from "node:fs";
import { expectClose, numericGradient } from "../helpers.js";

/** Parses test/fixtures/tensor/<name>.json. */
export function loadFixture<T>(name: string): T {
  const url = new URL(`../fixtures/tensor/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as T;
}

/** Forward tolerance against float32-rounded golden values: 1e-6 relative to the largest magnitude. */
export function tol(expected: ArrayLike<number>, rel = 1e-6): number {
  let max = 1;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]!));
  return rel * max;
}

/** Deterministic values in [-scale, scale) as Float64, from a tiny LCG (tests must not depend on Math.random). */
export function randomF64(n: number, seed: number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

const PREFILL = 0.5;

/**
 * Checks a backward pass against central differences of `loss` (a Float64 forward, Σ output · dOut)
 * with respect to `x`. The gradient buffer handed to `backward` starts at 0.5 everywhere, so the check
 * also proves that backward accumulates (+=) instead of overwriting.
 */
export function checkGradient(
  label: string, x: Float64Array, loss: () => number, backward: (grad: Float64Array) => void, atol = 1e-6,
): void {
  const grad = new Float64Array(x.length).fill(PREFILL);
  backward(grad);
  for (let i = 0; i < grad.length; i++) grad[i]! -= PREFILL;
  expectClose(grad, numericGradient(loss, x, 1e-6), atol, `${label} vs finite differences`);
}

/** Σ a · b, the scalar loss whose gradient w.r.t. a forward output is b. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
