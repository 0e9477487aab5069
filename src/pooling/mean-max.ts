// Mean-max pooling: the mean and the max of the last layer's real tokens side by side,
//   pooled[b,:] = concat(mean_t x[b,t,:], max_t x[b,t,:])   -> [B,2H]
// The mean keeps what all tokens share, the max keeps the strongest single feature of any token.
// Legend: B batch, T tokens, H hidden.
import type { FloatArray } from "../tensor/tensor.js";
import { layerGrad, type BuildContext, type PoolerCore } from "./core.js";
import { readColumns, summaryBackward, summaryForward, writeColumns, type SummaryCache } from "./token-summary.js";

/** The mean-max pooler; no parameters. Output [B,2H]: columns 0..H-1 the mean, H..2H-1 the max. */
export function buildMeanMax<A extends FloatArray>(ctx: BuildContext<A>): PoolerCore<A> {
  const L = ctx.dims.numLayers;
  const halves = ["mean", "max"] as const;
  return {
    spec: { type: "mean-max" },
    outputSize: 2 * ctx.dims.hiddenSize,
    parameters: new Map(),
    reads: { layers: [L], firstTokenOnly: false },
    forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
      const part = ctx.alloc(B * H);
      return halves.map((token, k) => {
        const cache = summaryForward(token, part, hiddenStates[L]!.data, attentionMask, B, T, H);
        writeColumns(pooled, 2 * H, k * H, part, B, H);
        return cache;
      });
    },
    backward({ B, T, H }, cache, dPooled, grads) {
      (cache as SummaryCache[]).forEach((c, k) => {
        summaryBackward(c, layerGrad(grads, L), readColumns(dPooled, 2 * H, k * H, B, H, ctx.alloc), B, T, H);
      });
    },
  };
}
