// Five poolers are one formula, a weighted sum of the last layer's token vectors,
//   pooled[b,:] = Σ_t w[b,t] · x[b,t,:]   -> [B,H]
// with fixed weights w read off the mask (zero on padding, so either padding side works): cls, mean,
// mean-sqrt-len, weighted-mean and last-token differ only in w, which each defines in its own file.
// Being linear, the backward pass is the same sum run the other way: dx[b,t,:] += w[b,t] · dPooled[b,:].
// Legend: B batch, T tokens, H hidden, n real tokens of a row.
import { definePooler, type PoolerDefinition } from "./core.js";
import { weightedTokensBackward, weightedTokensForward } from "./tokens.js";

/** The token weights w [B,T] for a mask [B,T] (each row has at least one real token). */
export type TokenWeights = (mask: Int32Array, B: number, T: number) => Float64Array;

/**
 * Builds w [B,T] row by row: `fill(w, row, n, last)` writes row b (starting at index row = b·T) knowing
 * its n real tokens and the position of the last one.
 */
export function tokenWeights(mask: Int32Array, B: number, T: number, fill: (w: Float64Array, row: number, n: number, last: number) => void): Float64Array {
  const w = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    const row = b * T;
    let n = 0;
    let last = 0;
    for (let t = 0; t < T; t++) {
      if (mask[row + t] === 1) {
        n++;
        last = t;
      }
    }
    fill(w, row, n, last);
  }
  return w;
}

/** The definition of a fixed-weights pooler over the last layer; no parameters, no options. Output [B,H]. */
export function fixedWeightsPooler<Type extends string>(
  type: Type, weights: TokenWeights, reads: { firstTokenOnly: boolean },
): PoolerDefinition<{ type: Type }, Float64Array> {
  return definePooler<{ type: Type }, Float64Array>({
    type,
    options: {},
    example: type,
    build(_spec, ctx) {
      const L = ctx.dims.numLayers;
      return {
        outputSize: ctx.dims.hiddenSize,
        reads: { layers: [L], firstTokenOnly: reads.firstTokenOnly },
        forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
          const w = weights(attentionMask, B, T);
          weightedTokensForward(pooled, hiddenStates[L]!.data, w, B, T, H);
          return w;
        },
        backward({ B, T, H }, w, dPooled, grads) {
          weightedTokensBackward(grads.layer(L), dPooled, w, B, T, H);
        },
      };
    },
  });
}
