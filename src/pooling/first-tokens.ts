// The first-token vectors of several layers as one sequence, the input of the `lstm` and
// `layer-attention` poolers, and the way back for the gradient.
// Legend: B batch, T tokens, H hidden, L layers.
import type { FloatArray } from "../tensor/tensor.js";

/** out[b,:] = x[b,0,:].  x: [B,T,H] -> out: [B,H] */
export function gatherFirstToken(out: FloatArray, x: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) out[b * H + h] = x[b * T * H + h]!;
}

/** dx[b,0,:] += dOut[b,:].  dOut: [B,H] -> dx: [B,T,H] */
export function scatterFirstToken(dx: FloatArray, dOut: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) dx[b * T * H + h]! += dOut[b * H + h]!;
}

/** 1, 2, …, L: the encoder layers proper (hidden state 0, the embeddings output, is left out). */
export function encoderLayers(numLayers: number): number[] {
  return Array.from({ length: numLayers }, (_, i) => i + 1);
}
