// Concatenate pooling: one token summary (cls, mean or max) from each listed layer, side by side,
//   pooled[b,:] = concat_k summary(hiddenStates[layers[k]])[b,:]    -> [B, K·H]
// The seed's default is the first token of the last four layers (BERT paper, feature-based NER).
// Layer indices follow Python: -1 is the last layer L, 0 the embeddings output.
// Legend: B batch, T tokens, H hidden, K number of listed layers.
import { definePooler } from "../core.js";
import { choice, fail, layerIndex, POOLING_LIMITS, resolveLayer, show, type OptionReader } from "../options.js";
import { summaryBackward, summaryForward, TOKEN_CHOICES, type SummaryCache, type TokenChoice } from "../token-summary.js";
import { readColumns, writeColumns } from "../tokens.js";

export interface ConcatSpec {
  type: "concat";
  layers: number[];
  token: TokenChoice;
}

/** concat reads the last this-many hidden states (-1, -2, …) by default, or all L+1 on a shallower model. */
export const CONCAT_DEFAULT_LAYER_COUNT = 4;

const layerList: OptionReader<number[]> = (value, at) => {
  const L = at.dims.numLayers;
  const count = Math.min(CONCAT_DEFAULT_LAYER_COUNT, L + 1);
  const layers = value ?? Array.from({ length: count }, (_, i) => -1 - i);
  if (!Array.isArray(layers) || layers.length === 0) fail(`${at.where} must be a non-empty array of layer indices, got ${show(value)}`);
  if (layers.length > POOLING_LIMITS.concatLayers) fail(`${at.where} lists ${layers.length} layers, above the limit of ${POOLING_LIMITS.concatLayers}`, "EP_LIMIT");
  return layers.map((v: unknown, i: number) => layerIndex(`${at.where}[${i}]`, v, L));
};

/** The concat pooler; no parameters. Output [B,K·H] in the order of `layers`. */
export const concat = definePooler<ConcatSpec, SummaryCache[]>({
  type: "concat",
  options: { layers: layerList, token: choice(TOKEN_CHOICES, "cls") },
  example: { type: "concat", layers: [0, -1, 1, -1], token: "mean" },
  build({ layers, token }, ctx) {
    const resolved = layers.map((i) => resolveLayer(i, ctx.dims.numLayers));
    const K = resolved.length;
    return {
      outputSize: K * ctx.dims.hiddenSize,
      reads: { layers: [...new Set(resolved)].sort((a, b) => a - b), firstTokenOnly: token === "cls" },
      forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
        const part = ctx.alloc(B * H);
        return resolved.map((layer, k) => {
          const cache = summaryForward(token, part, hiddenStates[layer]!.data, attentionMask, B, T, H);
          writeColumns(pooled, K * H, k * H, part, B, H);
          return cache;
        });
      },
      backward({ B, T, H }, caches, dPooled, grads) {
        caches.forEach((c, k) => {
          summaryBackward(c, grads.layer(resolved[k]!), readColumns(dPooled, K * H, k * H, B, H, ctx.alloc), B, T, H);
        });
      },
    };
  },
});
