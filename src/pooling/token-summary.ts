// One vector per text from one layer's tokens: the `token` option of `concat` and `weighted-layer`,
// and the halves of `mean-max`. cls and mean are weighted token sums, max is the masked max.
// Legend: B batch, T tokens, H hidden.
import type { FloatArray } from "../tensor/tensor.js";
import { maskedMaxBackward, maskedMaxForward } from "./max.js";
import type { TokenChoice } from "./spec.js";
import { tokenWeights, weightedTokensBackward, weightedTokensForward } from "./weighted-tokens.js";

/** What the backward pass of a summary needs: the token weights (cls, mean) or the argmax (max). */
export type SummaryCache = { weights: Float64Array } | { argmax: Int32Array };

/** out[b,:] = token summary of x[b,:,:].  x: [B,T,H] -> out: [B,H] */
export function summaryForward(token: TokenChoice, out: FloatArray, x: FloatArray, mask: Int32Array, B: number, T: number, H: number): SummaryCache {
  if (token === "max") {
    const argmax = new Int32Array(B * H);
    maskedMaxForward(out, argmax, x, mask, B, T, H);
    return { argmax };
  }
  const weights = tokenWeights(token, mask, B, T);
  weightedTokensForward(out, x, weights, B, T, H);
  return { weights };
}

/** Accumulates dx [B,T,H] from dOut [B,H] through the summary. */
export function summaryBackward(cache: SummaryCache, dx: FloatArray, dOut: FloatArray, B: number, T: number, H: number): void {
  if ("argmax" in cache) maskedMaxBackward(dx, dOut, cache.argmax, B, T, H);
  else weightedTokensBackward(dx, dOut, cache.weights, B, T, H);
}

/** Copies part [B,w] into columns offset..offset+w of out [B,D]. */
export function writeColumns(out: FloatArray, D: number, offset: number, part: FloatArray, B: number, w: number): void {
  for (let b = 0; b < B; b++) for (let j = 0; j < w; j++) out[b * D + offset + j] = part[b * w + j]!;
}

/** Copies columns offset..offset+w of src [B,D] into a new array [B,w]. */
export function readColumns<A extends FloatArray>(src: A, D: number, offset: number, B: number, w: number, alloc: (n: number) => A): A {
  const part = alloc(B * w);
  for (let b = 0; b < B; b++) for (let j = 0; j < w; j++) part[b * w + j] = src[b * D + offset + j]!;
  return part;
}
