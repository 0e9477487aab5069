// Inverted dropout, as torch.nn.Dropout in training mode: each element is zeroed with probability p
// and the survivors are scaled by 1/(1−p), so evaluation needs no rescaling. The mask comes from a
// seeded Rng and is kept (as the per-element scale) for backward. Legend: n elements.
import type { FloatArray } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";

/** A per-element scale: 0 (dropped) or 1/(1−p) (kept), drawn from `rng`. */
export function dropoutMask(rng: Rng, n: number, p: number): Float32Array {
  const mask = new Float32Array(n);
  const keep = 1 / (1 - p);
  // mask_i = [u_i >= p] / (1 − p)
  for (let i = 0; i < n; i++) mask[i] = rng.next() < p ? 0 : keep;
  return mask;
}

/** out = x · mask (elementwise). out, x, mask: [n]. */
export function dropoutForward(out: FloatArray, x: FloatArray, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = (x[i] as number) * (mask[i] as number);
}

/** dx += dOut · mask (elementwise). dx, dOut, mask: [n]. */
export function dropoutBackward(dx: FloatArray, dOut: FloatArray, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = (dx[i] as number) + (dOut[i] as number) * (mask[i] as number);
}
