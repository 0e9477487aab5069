// Mean pooling: the average of the real tokens of the last layer,
//   pooled[b,:] = (1/n) Σ_{t real} x[b,t,:]   -> [B,H]   (w = 1/n on real tokens)
// Legend: B batch, T tokens, H hidden, n real tokens of the row.
import { fixedWeightsPooler, tokenWeights } from "../fixed-weights.js";

/** w[b,t] = 1/n on real tokens, 0 on padding. */
export function meanWeights(mask: Int32Array, B: number, T: number): Float64Array {
  return tokenWeights(mask, B, T, (w, row, n) => {
    const v = 1 / n;
    for (let t = 0; t < T; t++) if (mask[row + t] === 1) w[row + t] = v;
  });
}

export const mean = fixedWeightsPooler("mean", meanWeights, { firstTokenOnly: false });
