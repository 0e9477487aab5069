// Mean-max pooling: the mean and the max of the last layer's real tokens side by side,
//   pooled[b,:] = concat(mean_t x[b,t,:], max_t x[b,t,:])   -> [B,2H]
// The mean keeps what all tokens share, the max keeps the strongest single feature of any token.
// Legend: B batch, T tokens, H hidden.
import { definePooler } from "../core.js";
import { summaryBackward, summaryForward, type SummaryCache } from "../token-summary.js";
import { readColumns, writeColumns } from "../tokens.js";

const HALVES = ["mean", "max"] as const;

/** The mean-max pooler; no parameters. Output [B,2H]: columns 0..H-1 the mean, H..2H-1 the max. */
export const meanMax = definePooler<{ type: "mean-max" }, SummaryCache[]>({
  type: "mean-max",
  options: {},
  example: "mean-max",
  build(_spec, ctx) {
    const L = ctx.dims.numLayers;
    return {
      outputSize: 2 * ctx.dims.hiddenSize,
      reads: { layers: [L], firstTokenOnly: false },
      forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
        const part = ctx.alloc(B * H);
        return HALVES.map((token, k) => {
          const cache = summaryForward(token, part, hiddenStates[L]!.data, attentionMask, B, T, H);
          writeColumns(pooled, 2 * H, k * H, part, B, H);
          return cache;
        });
      },
      backward({ B, T, H }, caches, dPooled, grads) {
        caches.forEach((c, k) => {
          summaryBackward(c, grads.layer(L), readColumns(dPooled, 2 * H, k * H, B, H, ctx.alloc), B, T, H);
        });
      },
    };
  },
});
