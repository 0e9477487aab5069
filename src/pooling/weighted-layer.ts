// Weighted layer pooling: a learned average of the layers layerStart…L, then a token summary,
//   avg[b,t,:] = Σ_i w_i · hiddenStates[i][b,t,:] / Σ_i w_i,    pooled = summary(avg)   -> [B,H]
// with trainable weights w (init 1: the plain average). The seed's default averages the last four layers
// and takes the first token. With token "cls" only t = 0 is averaged.
// Backward: d avg/d x_i = w_i/W and d avg/d w_i = (x_i − avg)/W, where W = Σ_i w_i.
// Legend: B batch, T tokens, H hidden, n = L+1−layerStart averaged layers.
// Parameter: layer_weights [n] (the seed's WeightedLayerPooling name); fresh ones are all 1.
import type { FloatArray } from "../tensor/tensor.js";
import { declareParameter, layerGrad, paramGrad, type BuildContext, type PoolerCore } from "./core.js";
import { summaryBackward, summaryForward, type SummaryCache } from "./token-summary.js";

interface WeightedLayerCache<A extends FloatArray> {
  /** [B,Tr,H], Tr = 1 for token "cls", T for "mean" */
  avg: A;
  Tr: number;
  summary: SummaryCache | null;
}

/** The weighted-layer pooler. Output [B,H]. */
export function buildWeightedLayer<A extends FloatArray>(layerStart: number, token: "cls" | "mean", ctx: BuildContext<A>): PoolerCore<A> {
  const L = ctx.dims.numLayers;
  const n = L + 1 - layerStart;
  const name = `${ctx.prefix}layer_weights`;
  const weights = declareParameter(ctx, "layer_weights", [n], (data) => data.fill(1));
  const layers = Array.from({ length: n }, (_, i) => layerStart + i);
  return {
    spec: { type: "weighted-layer", layerStart, token },
    outputSize: ctx.dims.hiddenSize,
    parameters: new Map([[name, weights]]),
    reads: { layers, firstTokenOnly: token === "cls" },
    forward({ hiddenStates, attentionMask, B, T, H }, pooled): WeightedLayerCache<A> {
      const w = weights.data;
      const Tr = token === "cls" ? 1 : T;
      let W = 0;
      for (let i = 0; i < n; i++) W += w[i]!;
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
    backward({ hiddenStates, B, T, H }, cacheIn, dPooled, grads) {
      const { avg, Tr, summary } = cacheIn as WeightedLayerCache<A>;
      const w = weights.data;
      const dW = paramGrad(grads, name);
      let W = 0;
      for (let i = 0; i < n; i++) W += w[i]!;
      // dAvg: [B,Tr,H], through the token summary
      let dAvg: A = dPooled;
      if (summary !== null) {
        dAvg = ctx.alloc(B * Tr * H);
        summaryBackward(summary, dAvg, dPooled, B, T, H);
      }
      layers.forEach((layer, i) => {
        const x = hiddenStates[layer]!.data;
        const dx = layerGrad(grads, layer);
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
}
