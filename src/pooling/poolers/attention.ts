// Attention pooling: a small network scores every real token of the last layer, and the pooled vector
// is the softmax-weighted sum of the token vectors,
//   s[b,t] = w₂ · tanh(W₁ x[b,t,:] + b₁) + b₂,   a[b,:] = softmax over real t of s[b,:],   pooled[b,:] = Σ_t a[b,t] x[b,t,:]
// Padding gets probability exactly 0 (the seed let it into the softmax, and pooled pooler_output instead
// of the token states). Backward runs the same chain in reverse; b₂ shifts every score equally, so its
// gradient is zero up to rounding (it is kept for state_dict compatibility).
// Legend: B batch, T tokens, H hidden, A attention hidden size.
// Parameters (the seed's nn.Sequential(Linear(H,A), Tanh(), Linear(A,1)) names): attention.0.weight [A,H],
// attention.0.bias [A], attention.2.weight [1,A], attention.2.bias [1]; fresh ones ~ U(−1/√fan_in, 1/√fan_in).
import { softmaxBackward, softmaxForward } from "../../tensor/ops/softmax.js";
import { tanhBackward, tanhForward } from "../../tensor/ops/tanh.js";
import type { FloatArray } from "../../tensor/tensor.js";
import { definePooler } from "../core.js";
import { uniformInit } from "../module.js";
import { POOLING_LIMITS, positiveInt } from "../options.js";
import { weightedTokensBackward, weightedTokensForward, weightedTokensWeightGrad } from "../tokens.js";

export interface AttentionSpec {
  type: "attention";
  hiddenSize: number;
}

export interface AttentionCache {
  /** tanh(W₁x + b₁): [B·T,A] */
  act: FloatArray;
  /** softmax probabilities: [B,T] */
  probs: FloatArray;
}

/** The attention pooler with `hiddenSize` (A) attention units. Output [B,H]. */
export const attention = definePooler<AttentionSpec, AttentionCache>({
  type: "attention",
  options: { hiddenSize: positiveInt(512, POOLING_LIMITS.hiddenSize) },
  example: { type: "attention", hiddenSize: 3 },
  build({ hiddenSize: A }, ctx) {
    const { numLayers: L, hiddenSize: H } = ctx.dims;
    const w1 = ctx.param("attention.0.weight", [A, H], uniformInit(1 / Math.sqrt(H)));
    const b1 = ctx.param("attention.0.bias", [A], uniformInit(1 / Math.sqrt(H)));
    const w2 = ctx.param("attention.2.weight", [1, A], uniformInit(1 / Math.sqrt(A)));
    const b2 = ctx.param("attention.2.bias", [1], uniformInit(1 / Math.sqrt(A)));
    return {
      outputSize: H,
      reads: { layers: [L], firstTokenOnly: false },
      forward({ hiddenStates, attentionMask, B, T }, pooled) {
        const x = hiddenStates[L]!.data;
        const N = B * T;
        // act = tanh(x W₁ᵀ + b₁): [B·T,A]; scores = act w₂ᵀ + b₂: [B·T,1] = [B,T]
        const act = ctx.alloc(N * A);
        ctx.kernels.linearForward(act, x, w1.data, b1.data, N, H, A);
        tanhForward(act, act, N * A);
        const scores = ctx.alloc(N);
        ctx.kernels.linearForward(scores, act, w2.data, b2.data, N, A, 1);
        // probs = softmax over the real tokens of each row
        const probs = ctx.alloc(N);
        softmaxForward(probs, scores, B, T, attentionMask);
        // pooled[b,:] = Σ_t probs[b,t] · x[b,t,:]
        weightedTokensForward(pooled, x, probs, B, T, H);
        return { act, probs };
      },
      backward({ hiddenStates, B, T }, { act, probs }, dPooled, grads) {
        const x = hiddenStates[L]!.data;
        const dx = grads.layer(L);
        const N = B * T;
        // the weighted sum: dx[b,t,:] += probs[b,t] · dPooled[b,:];  dProbs[b,t] = x[b,t,:] · dPooled[b,:]
        weightedTokensBackward(dx, dPooled, probs, B, T, H);
        const dProbs = ctx.alloc(N);
        weightedTokensWeightGrad(dProbs, x, dPooled, B, T, H);
        const dScores = ctx.alloc(N);
        softmaxBackward(dScores, dProbs, probs, B, T);
        const dAct = ctx.alloc(N * A);
        ctx.kernels.linearBackward(dAct, grads.param(w2), grads.param(b2), dScores, act, w2.data, N, A, 1);
        // through tanh: dPre = dAct · (1 − act²)
        const dPre = ctx.alloc(N * A);
        tanhBackward(dPre, dAct, act, N * A);
        ctx.kernels.linearBackward(dx, grads.param(w1), grads.param(b1), dPre, x, w1.data, N, H, A);
      },
    };
  },
});
