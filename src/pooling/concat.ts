// Concatenate pooling: one token summary (cls, mean or max) from each listed layer, side by side,
//   pooled[b,:] = concat_k summary(hiddenStates[layers[k]])[b,:]    -> [B, K·H]
// The seed's default is the first token of the last four layers (BERT paper, feature-based NER).
// Layer indices follow Python: -1 is the last layer L, 0 the embeddings output.
// Legend: B batch, T tokens, H hidden, K number of listed layers.
import type { FloatArray } from "../tensor/tensor.js";
import { layerGrad, type BuildContext, type PoolerCore } from "./core.js";
import { resolveLayer, type TokenChoice } from "./spec.js";
import { readColumns, summaryBackward, summaryForward, writeColumns, type SummaryCache } from "./token-summary.js";

/** The concat pooler; no parameters. Output [B,K·H] in the order of `layers`. */
export function buildConcat<A extends FloatArray>(layers: number[], token: TokenChoice, ctx: BuildContext<A>): PoolerCore<A> {
  const resolved = layers.map((i) => resolveLayer(i, ctx.dims.numLayers));
  const K = resolved.length;
  return {
    spec: { type: "concat", layers: [...layers], token },
    outputSize: K * ctx.dims.hiddenSize,
    parameters: new Map(),
    reads: { layers: [...new Set(resolved)].sort((a, b) => a - b), firstTokenOnly: token === "cls" },
    forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
      const part = ctx.alloc(B * H);
      return resolved.map((layer, k) => {
        const cache = summaryForward(token, part, hiddenStates[layer]!.data, attentionMask, B, T, H);
        writeColumns(pooled, K * H, k * H, part, B, H);
        return cache;
      });
    },
    backward({ B, T, H }, cache, dPooled, grads) {
      (cache as SummaryCache[]).forEach((c, k) => {
        const layer = resolved[k]!;
        summaryBackward(c, layerGrad(grads, layer), readColumns(dPooled, K * H, k * H, B, H, ctx.alloc), B, T, H);
      });
    },
  };
}
