// Last-token pooling: the last real token of the last layer (</s> in RoBERTa), as decoder-style
// embedders do, whichever side the padding is on,
//   pooled[b,:] = x[b,last,:]   -> [B,H]   (w = 1 at the last real token)
// Legend: B batch, T tokens, H hidden.
import { fixedWeightsPooler, tokenWeights } from "../fixed-weights.js";

/** w[b,t] = 1 at the last real token of the row, else 0. */
export function lastTokenWeights(mask: Int32Array, B: number, T: number): Float64Array {
  return tokenWeights(mask, B, T, (w, row, _n, last) => {
    w[row + last] = 1;
  });
}

export const lastToken = fixedWeightsPooler("last-token", lastTokenWeights, { firstTokenOnly: false });
