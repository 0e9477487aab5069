// Inverted dropout, as torch.nn.Dropout in training mode: each element is zeroed with probability p
// and the survivors are scaled by 1/(1−p), so evaluation needs no rescaling. The mask comes from a
// seeded Rng and is kept (as the per-element scale) for backward. Legend: n elements.
import { TrainingError } from "../errors.js";
import type { Rng } from "../tensor/random.js";
import type { FloatArray } from "../tensor/tensor.js";

/** A per-element scale: 0 (dropped) or 1/(1−p) (kept), drawn from `rng`. */
export function dropoutMask(rng: Rng, n: number, p: number): Float32Array {
  return rng.fillDropoutMask(new Float32Array(n), p);
}

/** out = x · mask (elementwise). out, x, mask: [n]. */
export function dropoutForward(out: FloatArray, x: FloatArray, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = x[i]! * mask[i]!;
}

/** dx += dOut · mask (elementwise). dx, dOut, mask: [n]. */
export function dropoutBackward(dx: FloatArray, dOut: FloatArray, mask: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dx[i] = dx[i]! + dOut[i]! * mask[i]!;
}

/** Training mode and the source of its dropout masks. */
export interface DropoutMode {
  /** Training mode applies dropout (when p > 0); evaluation never does. */
  training?: boolean;
  /** Source of dropout masks; required when training with dropout. */
  rng?: Rng;
}

/** Dropout with probability p in training mode: y = x · mask, and the mask for backward; otherwise x itself and no mask. */
export function dropoutIfTraining(
  x: FloatArray, p: number, mode: DropoutMode, alloc: (n: number) => FloatArray,
): { y: FloatArray; mask: Float32Array | null } {
  if (!mode.training || p === 0) return { y: x, mask: null };
  if (mode.rng === undefined) throw new TrainingError("head.forward: training with dropout needs an rng");
  const n = x.length;
  const mask = dropoutMask(mode.rng, n, p);
  const y = alloc(n);
  dropoutForward(y, x, mask, n);
  return { y, mask };
}

/** Backward of dropoutIfTraining: dx = dy · mask in a fresh buffer, or dy itself when no dropout ran. */
export function dropoutGradient(dy: FloatArray, mask: Float32Array | null, alloc: (n: number) => FloatArray): FloatArray {
  if (mask === null) return dy;
  const dx = alloc(dy.length);
  dropoutBackward(dx, dy, mask, dy.length);
  return dx;
}
