// Weighted layer pooling: a learned average of the layers layerStart…L, then a token summary,
//   avg[b,t,:] = Σ_i w_i · hiddenStates[i][b,t,:] / Σ_i w_i,    pooled = summary(avg)   -> [B,H]
// with trainable weights w (init 1: the plain average). The seed's default averages the last four layers
// and takes the first token. With token "cls" only t = 0 is averaged.
// Backward: d avg/d x_i = w_i/W and d avg/d w_i = (x_i − avg)/W, where W = Σ_i w_i.
// Legend: B batch, T tokens, H hidden, n = L+1−layerStart averaged layers.
// Parameter: layer_weights [n] (the seed's WeightedLayerPooling name); fresh ones are all 1.
import type { FloatArray } from "../../tensor/tensor.js";
import { definePooler } from "../core.js";
import { constantInit } from "../module.js";
import { choice, fail, show, type OptionReader } from "../options.js";
import { summaryBackward, summaryForward, type SummaryCache } from "../token-summary.js";

export interface WeightedLayerSpec {
  type: "weighted-layer";
  layerStart: number;
  token: "cls" | "mean";
}

export interface WeightedLayerCache {
  /** [B,Tr,H], Tr = 1 for token "cls", T for "mean" */
  avg: FloatArray;
  Tr: number;
  summary: SummaryCache | null;
}

/** The first averaged layer: 0..L, by default the fourth from the top (L−3), or 0 on a shallower model. */
const layerStart: OptionReader<number> = (value, at) => {
  const L = at.dims.numLayers;
  const start = value ?? Math.max(0, L - 3);
  if (typeof start !== "number" || !Number.isInteger(start) || start < 0 || start > L) {
    fail(`${at.where} must be an integer in 0..${L} (hidden states 0..${L}), got ${show(value)}`);
  }
  return start;
};

/** W = Σ_i w_i */
function weightSum(w: FloatArray, n: number): number {
  let W = 0;
  for (let i = 0; i < n; i++) W += w[i]!;
  return W;
}

/** The weighted-layer pooler. Output [B,H]. */
export const weightedLayer = definePooler<WeightedLayerSpec, WeightedLayerCache>({
  type: "weighted-layer",
  options: { layerStart, token: choice(["cls", "mean"], "cls") },
  example: { type: "weighted-layer", layerStart: 0, token: "mean" },
  build({ layerStart: start, token }, ctx) {
    const L = ctx.dims.numLayers;
    const n = L + 1 - start;
    const weights = ctx.param("layer_weights", [n], constantInit(1));
    const layers = Array.from({ length: n }, (_, i) => start + i);
    return {
      outputSize: ctx.dims.hiddenSize,
      reads: { layers, firstTokenOnly: token === "cls" },
      forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
        const w = weights.data;
        const Tr = token === "cls" ? 1 : T;
        const W = weightSum(w, n);
        // avg[b,t,:] = Σ_i w_i · x_i[b,t,:] / W   for t < Tr
        const avg = ctx.alloc(B * Tr * H);
        layers.forEach((layer, i) => {
          const x = hiddenStates[layer]!.data;
          const wi = w[i]! / W;
          for (let b = 0; b < B; b++) {
            for (let t = 0; t < Tr; t++) {
              for (let h = 0; h < H; h++) avg[(b * Tr + t) * H + h]! += wi * x[(b * T + t) * H + h]!;
            }
          }
        });
        if (token === "cls") {
          pooled.set(avg);
          return { avg, Tr, summary: null };
        }
        return { avg, Tr, summary: summaryForward("mean", pooled, avg, attentionMask, B, T, H) };
      },
      backward({ hiddenStates, B, T, H }, { avg, Tr, summary }, dPooled, grads) {
        const w = weights.data;
        const dW = grads.param(weights);
        const W = weightSum(w, n);
        // dAvg: [B,Tr,H], through the token summary
        let dAvg = dPooled;
        if (summary !== null) {
          dAvg = ctx.alloc(B * Tr * H);
          summaryBackward(summary, dAvg, dPooled, B, T, H);
        }
        layers.forEach((layer, i) => {
          const x = hiddenStates[layer]!.data;
          const dx = grads.layer(layer);
          const wi = w[i]! / W;
          let dwi = 0;
          for (let b = 0; b < B; b++) {
            for (let t = 0; t < Tr; t++) {
              for (let h = 0; h < H; h++) {
                const g = dAvg[(b * Tr + t) * H + h]!;
                const k = (b * T + t) * H + h;
                // dx_i += (w_i/W) · dAvg;   dw_i += (x_i − avg) · dAvg / W
                dx[k]! += wi * g;
                dwi += (x[k]! - avg[(b * Tr + t) * H + h]!) * g;
              }
            }
          }
          dW[i]! += dwi / W;
        });
      },
    };
  },
});
