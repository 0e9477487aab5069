// CLS pooling: the first token of the last layer, <s> in RoBERTa (BERT's [CLS]),
//   pooled[b,:] = x[b,0,:]   -> [B,H]   (w = 1 at t = 0)
// It reads only the first token, so the batch must be padded on the right.
// Legend: B batch, T tokens, H hidden.
import { fixedWeightsPooler, tokenWeights } from "../fixed-weights.js";

/** w[b,t] = 1 at t = 0, else 0. */
export function clsWeights(mask: Int32Array, B: number, T: number): Float64Array {
  return tokenWeights(mask, B, T, (w, row) => {
    w[row] = 1;
  });
}

export const cls = fixedWeightsPooler("cls", clsWeights, { firstTokenOnly: true });
