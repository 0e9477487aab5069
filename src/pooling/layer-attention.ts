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
import { linearBackward } from "../tensor/ops/linear.js";
import { matmul, matmulTransB } from "../tensor/ops/matmul.js";
import { softmaxBackward, softmaxForward } from "../tensor/ops/softmax.js";
import type { Rng } from "../tensor/random.js";
import type { FloatArray } from "../tensor/tensor.js";
import { declareParameter, layerGrad, paramGrad, type BuildContext, type PoolerCore } from "./core.js";
import { encoderLayers, gatherFirstToken, scatterFirstToken } from "./first-tokens.js";
import { weightedTokensBackward, weightedTokensForward } from "./weighted-tokens.js";

interface LayerAttentionCache<A extends FloatArray> {
  /** first-token vectors of layers 1..L: [B,L,H] */
  seq: A;
  /** attention over layers: [B,L] */
  probs: A;
  /** attended vector before the projection: [B,H] */
  v: A;
}

/** The layer-attention pooler with output size `hid`. Output [B,hid]. */
export function buildLayerAttention<A extends FloatArray>(hid: number, ctx: BuildContext<A>): PoolerCore<A> {
  const { numLayers: L, hiddenSize: H } = ctx.dims;
  const normal = (data: A, rng: Rng): void => {
    rng.fillNormal(data, 0.1);
  };
  const q = declareParameter(ctx, "q", [1, H], normal);
  const wh = declareParameter(ctx, "w_h", [H, hid], normal);
  const p = ctx.prefix;
  return {
    spec: { type: "layer-attention", hiddenSize: hid },
    outputSize: hid,
    parameters: new Map([[`${p}q`, q], [`${p}w_h`, wh]]),
    reads: { layers: encoderLayers(L), firstTokenOnly: true },
    forward({ hiddenStates, B, T }, pooled): LayerAttentionCache<A> {
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
    backward({ B, T }, cacheIn, dPooled, grads) {
      const { seq, probs, v } = cacheIn as LayerAttentionCache<A>;
      // dw_h[h,j] += Σ_b v[b,h] · dPooled[b,j]
      const dWh = paramGrad(grads, `${p}w_h`);
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
      for (let b = 0; b < B; b++) {
        for (let l = 0; l < L; l++) {
          let s = 0;
          for (let h = 0; h < H; h++) s += seq[(b * L + l) * H + h]! * dv[b * H + h]!;
          dProbs[b * L + l] = s;
        }
      }
      const dScores = ctx.alloc(B * L);
      softmaxBackward(dScores, dProbs, probs, B, L);
      // the scores are a linear map of seq with weight q [1,H]: dSeq += dScores · q, dq += dScoresᵀ · seq
      linearBackward(dSeq, paramGrad(grads, `${p}q`), null, dScores, seq, q.data, B * L, H, 1);
      // back to the first token of each layer
      const row = ctx.alloc(B * H);
      for (let l = 0; l < L; l++) {
        for (let b = 0; b < B; b++) row.set(dSeq.subarray((b * L + l) * H, (b * L + l + 1) * H), b * H);
        scatterFirstToken(layerGrad(grads, l + 1), row, B, T, H);
      }
    },
  };
}
