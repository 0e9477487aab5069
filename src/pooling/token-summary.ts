// One vector per text from one layer's tokens: the `token` option of `concat` and `weighted-layer`,
// and the halves of `mean-max`. cls and mean are weighted token sums, max is the masked max.
// Legend: B batch, T tokens, H hidden.
import type { FloatArray } from "../tensor/tensor.js";
import { clsWeights } from "./poolers/cls.js";
import { meanWeights } from "./poolers/mean.js";
import { maskedMaxBackward, maskedMaxForward, weightedTokensBackward, weightedTokensForward } from "./tokens.js";

/** Which summary of a layer's tokens a multi-layer pooler takes. */
export type TokenChoice = "cls" | "mean" | "max";

export const TOKEN_CHOICES: readonly TokenChoice[] = ["cls", "mean", "max"];

/** What the backward pass of a summary needs: the token weights (cls, mean) or the argmax (max). */
export type SummaryCache = { weights: Float64Array } | { argmax: Int32Array };

/** out[b,:] = token summary of x[b,:,:].  x: [B,T,H] -> out: [B,H] */
export function summaryForward(token: TokenChoice, out: FloatArray, x: FloatArray, mask: Int32Array, B: number, T: number, H: number): SummaryCache {
  if (token === "max") {
    const argmax = new Int32Array(B * H);
    maskedMaxForward(out, argmax, x, mask, B, T, H);
    return { argmax };
  }
  const weights = token === "cls" ? clsWeights(mask, B, T) : meanWeights(mask, B, T);
  weightedTokensForward(out, x, weights, B, T, H);
  return { weights };
}

/** Accumulates dx [B,T,H] from dOut [B,H] through the summary. */
export function summaryBackward(cache: SummaryCache, dx: FloatArray, dOut: FloatArray, B: number, T: number, H: number): void {
  if ("argmax" in cache) maskedMaxBackward(dx, dOut, cache.argmax, B, T, H);
  else weightedTokensBackward(dx, dOut, cache.weights, B, T, H);
}
