// Mean-sqrt-len pooling (sentence-transformers' mean_sqrt_len_tokens): the sum of the real tokens of
// the last layer divided by √n, so longer texts get longer vectors, but less than with a plain sum,
//   pooled[b,:] = (1/√n) Σ_{t real} x[b,t,:]   -> [B,H]   (w = 1/√n on real tokens)
// Legend: B batch, T tokens, H hidden, n real tokens of the row.
import { fixedWeightsPooler, tokenWeights } from "../fixed-weights.js";

/** w[b,t] = 1/√n on real tokens, 0 on padding. */
export function meanSqrtLenWeights(mask: Int32Array, B: number, T: number): Float64Array {
  return tokenWeights(mask, B, T, (w, row, n) => {
    const v = 1 / Math.sqrt(n);
    for (let t = 0; t < T; t++) if (mask[row + t] === 1) w[row + t] = v;
  });
}

export const meanSqrtLen = fixedWeightsPooler("mean-sqrt-len", meanSqrtLenWeights, { firstTokenOnly: false });
