// Weighted-mean pooling: later tokens weigh more, in proportion to their rank among the real tokens,
//   pooled[b,:] = Σ_{t real} r_t · x[b,t,:] / (1 + 2 + … + n)   -> [B,H]
// with r_t = 1..n the rank of real token t among the real tokens (sentence-transformers'
// weightedmean_tokens, used by SGPT: a late token has seen more context than an early one).
// Legend: B batch, T tokens, H hidden, n real tokens of the row.
import { fixedWeightsPooler, tokenWeights } from "../fixed-weights.js";

/** w[b,t] = rank / (n(n+1)/2) on real tokens, 0 on padding. */
export function weightedMeanWeights(mask: Int32Array, B: number, T: number): Float64Array {
  return tokenWeights(mask, B, T, (w, row, n) => {
    // w = rank / (1 + 2 + … + n)
    const total = (n * (n + 1)) / 2;
    let rank = 0;
    for (let t = 0; t < T; t++) if (mask[row + t] === 1) w[row + t] = ++rank / total;
  });
}

export const weightedMean = fixedWeightsPooler("weighted-mean", weightedMeanWeights, { firstTokenOnly: false });
