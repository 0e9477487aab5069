// Layer-attention pooling (the Kaggle "attention over layers" head): a learned query q scores the
// first-token vectors of layers 1…L, and their softmax-weighted sum is projected by w_h,
//   h[b,l,:] = hiddenStates[l][b,0,:],   s[b,l] = q · h[b,l,:],   a[b,:] = softmax_l s[b,:],
//   v[b,:] = Σ_l a[b,l] h[b,l,:],   pooled[b,:] = v[b,:] · w_h   -> [B,hid]
// The model learns which depth holds what the task needs, per text. (The notebook stacked the vectors
// along the last axis and then .view()ed them as [B,L,H], which mixes layers and hidden units; here
// the sequence is [B,L,H] by construction.)
// Legend: B batch, T tokens, H hidden, L layers (1…L attended), hid output size.
// Parameters (the notebook's names): q [1,H], w_h [H,hid] (stored (in, out), used as v · w_h);
// fresh ones ~ N(0, 0.1²) as in the notebook.
import { linearBackward } from "../../tensor/ops/linear.js";
import { matmul, matmulTransB } from "../../tensor/ops/matmul.js";
import { softmaxBackward, softmaxForward } from "../../tensor/ops/softmax.js";
import type { FloatArray } from "../../tensor/tensor.js";
import { definePooler } from "../core.js";
import { normalInit } from "../module.js";
import { POOLING_LIMITS, positiveInt } from "../options.js";
import {
  encoderLayers, gatherFirstToken, scatterFirstToken, weightedTokensBackward, weightedTokensForward, weightedTokensWeightGrad,
} from "../tokens.js";

export interface LayerAttentionSpec {
  type: "layer-attention";
  hiddenSize: number;
}

export interface LayerAttentionCache {
  /** first-token vectors of layers 1..L: [B,L,H] */
  seq: FloatArray;
  /** attention over layers: [B,L] */
  probs: FloatArray;
  /** attended vector before the projection: [B,H] */
  v: FloatArray;
}

/** The layer-attention pooler with output size `hiddenSize` (hid). Output [B,hid]. */
export const layerAttention = definePooler<LayerAttentionSpec, LayerAttentionCache>({
  type: "layer-attention",
  options: { hiddenSize: positiveInt(128, POOLING_LIMITS.hiddenSize) },
  example: { type: "layer-attention", hiddenSize: 2 },
  build({ hiddenSize: hid }, ctx) {
    const { numLayers: L, hiddenSize: H } = ctx.dims;
    const q = ctx.param("q", [1, H], normalInit(0.1));
    const wh = ctx.param("w_h", [H, hid], normalInit(0.1));
    return {
      outputSize: hid,
      reads: { layers: encoderLayers(L), firstTokenOnly: true },
      forward({ hiddenStates, B, T }, pooled) {
        // seq[b,l,:] = hiddenStates[l+1][b,0,:]
        const seq = ctx.alloc(B * L * H);
        const row = ctx.alloc(B * H);
        for (let l = 0; l < L; l++) {
          gatherFirstToken(row, hiddenStates[l + 1]!.data, B, T, H);
          for (let b = 0; b < B; b++) seq.set(row.subarray(b * H, (b + 1) * H), (b * L + l) * H);
        }
        // s[b,l] = q · seq[b,l,:]; probs = softmax over l
        const scores = ctx.alloc(B * L);
        matmulTransB(scores, seq, q.data, B * L, H, 1);
        const probs = ctx.alloc(B * L);
        softmaxForward(probs, scores, B, L, null);
        // v[b,:] = Σ_l probs[b,l] · seq[b,l,:]; pooled = v · w_h
        const v = ctx.alloc(B * H);
        weightedTokensForward(v, seq, probs, B, L, H);
        matmul(pooled, v, wh.data, B, H, hid);
        return { seq, probs, v };
      },
      backward({ B, T }, { seq, probs, v }, dPooled, grads) {
        // dw_h[h,j] += Σ_b v[b,h] · dPooled[b,j]
        const dWh = grads.param(wh);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            const vh = v[b * H + h]!;
            for (let j = 0; j < hid; j++) dWh[h * hid + j]! += vh * dPooled[b * hid + j]!;
          }
        }
        // dv = dPooled · w_hᵀ: [B,H]
        const dv = ctx.alloc(B * H);
        matmulTransB(dv, dPooled, wh.data, B, hid, H);
        // the weighted sum: dSeq[b,l,:] += probs[b,l] · dv[b,:];  dProbs[b,l] = seq[b,l,:] · dv[b,:]
        const dSeq = ctx.alloc(B * L * H);
        weightedTokensBackward(dSeq, dv, probs, B, L, H);
        const dProbs = ctx.alloc(B * L);
        weightedTokensWeightGrad(dProbs, seq, dv, B, L, H);
        const dScores = ctx.alloc(B * L);
        softmaxBackward(dScores, dProbs, probs, B, L);
        // the scores are a linear map of seq with weight q [1,H]: dSeq += dScores · q, dq += dScoresᵀ · seq
        linearBackward(dSeq, grads.param(q), null, dScores, seq, q.data, B * L, H, 1);
        // back to the first token of each layer
        const row = ctx.alloc(B * H);
        for (let l = 0; l < L; l++) {
          for (let b = 0; b < B; b++) row.set(dSeq.subarray((b * L + l) * H, (b * L + l + 1) * H), b * H);
          scatterFirstToken(grads.layer(l + 1), row, B, T, H);
        }
      },
    };
  },
});
