// Five poolers that are one formula: a weighted sum of the last layer's token vectors,
//   pooled[b,:] = Σ_t w[b,t] · x[b,t,:],
// with fixed weights w read off the mask (zero on padding, so either padding side works):
//   cls            w = 1 at t = 0
//   mean           w = 1/n on real tokens                      (n = number of real tokens)
//   mean-sqrt-len  w = 1/√n on real tokens                     (sentence-transformers' mean_sqrt_len_tokens)
//   weighted-mean  w = r/(n(n+1)/2), r = 1..n the rank of the real token (later tokens weigh more)
//   last-token     w = 1 at the last real token               (decoder-style embedders)
// Being linear, the backward pass is the same sum run the other way: dx[b,t,:] += w[b,t] · dPooled[b,:].
// Legend: B batch, T tokens, H hidden.
import type { FloatArray } from "../tensor/tensor.js";
import { layerGrad, type BuildContext, type PoolerCore } from "./core.js";

export type WeightedTokensType = "cls" | "mean" | "mean-sqrt-len" | "weighted-mean" | "last-token";

/** The token weights w [B,T] of `type` for a mask [B,T] (each row has at least one real token). */
export function tokenWeights(type: WeightedTokensType, mask: Int32Array, B: number, T: number): Float64Array {
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
    if (type === "cls") {
      w[row] = 1;
    } else if (type === "last-token") {
      w[row + last] = 1;
    } else if (type === "weighted-mean") {
      // w = rank / (1 + 2 + … + n)
      const total = (n * (n + 1)) / 2;
      let rank = 0;
      for (let t = 0; t < T; t++) if (mask[row + t] === 1) w[row + t] = ++rank / total;
    } else {
      // w = 1/n (mean) or 1/√n (mean-sqrt-len) on real tokens
      const v = type === "mean" ? 1 / n : 1 / Math.sqrt(n);
      for (let t = 0; t < T; t++) if (mask[row + t] === 1) w[row + t] = v;
    }
  }
  return w;
}

/** out[b,:] = Σ_t w[b,t] · x[b,t,:].  x: [B,T,H], w: [B,T] -> out: [B,H] */
export function weightedTokensForward(out: FloatArray, x: FloatArray, w: FloatArray, B: number, T: number, H: number): void {
  out.fill(0, 0, B * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t]!;
      if (wt === 0) continue;
      const xRow = (b * T + t) * H;
      for (let h = 0; h < H; h++) out[b * H + h]! += wt * x[xRow + h]!;
    }
  }
}

/** dx[b,t,:] += w[b,t] · dOut[b,:].  dOut: [B,H] -> dx: [B,T,H] */
export function weightedTokensBackward(dx: FloatArray, dOut: FloatArray, w: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t]!;
      if (wt === 0) continue;
      const xRow = (b * T + t) * H;
      for (let h = 0; h < H; h++) dx[xRow + h]! += wt * dOut[b * H + h]!;
    }
  }
}

/** The pooler of one of the five weighted-token types over the last layer; no parameters. Output [B,H]. */
export function buildWeightedTokens<A extends FloatArray>(type: WeightedTokensType, ctx: BuildContext<A>): PoolerCore<A> {
  const L = ctx.dims.numLayers;
  return {
    spec: { type },
    outputSize: ctx.dims.hiddenSize,
    parameters: new Map(),
    reads: { layers: [L], firstTokenOnly: type === "cls" },
    forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
      const w = tokenWeights(type, attentionMask, B, T);
      weightedTokensForward(pooled, hiddenStates[L]!.data, w, B, T, H);
      return w;
    },
    backward({ B, T, H }, cache, dPooled, grads) {
      weightedTokensBackward(layerGrad(grads, L), dPooled, cache as Float64Array, B, T, H);
    },
  };
}
