// Attention pooling: a small network scores every real token of the last layer, and the pooled vector
// is the softmax-weighted sum of the token vectors,
//   s[b,t] = w₂ · tanh(W₁ x[b,t,:] + b₁) + b₂,   a[b,:] = softmax over real t of s[b,:],   pooled[b,:] = Σ_t a[b,t] x[b,t,:]
// Padding gets probability exactly 0 (the seed let it into the softmax, and pooled pooler_output instead
// of the token states). Backward runs the same chain in reverse; b₂ shifts every score equally, so its
// gradient is zero up to rounding (it is kept for state_dict compatibility).
// Legend: B batch, T tokens, H hidden, A attention hidden size.
// Parameters (the seed's nn.Sequential(Linear(H,A), Tanh(), Linear(A,1)) names): attention.0.weight [A,H],
// attention.0.bias [A], attention.2.weight [1,A], attention.2.bias [1]; fresh ones ~ U(−1/√fan_in, 1/√fan_in).
import { linearBackward, linearForward } from "../tensor/ops/linear.js";
import { softmaxBackward, softmaxForward } from "../tensor/ops/softmax.js";
import { tanhBackward, tanhForward } from "../tensor/ops/tanh.js";
import type { Rng } from "../tensor/random.js";
import type { FloatArray } from "../tensor/tensor.js";
import { declareParameter, layerGrad, paramGrad, type BuildContext, type PoolerCore } from "./core.js";
import { weightedTokensBackward, weightedTokensForward } from "./weighted-tokens.js";

interface AttentionCache<A extends FloatArray> {
  /** tanh(W₁x + b₁): [B·T,A] */
  act: A;
  /** softmax probabilities: [B,T] */
  probs: A;
}

/** The attention pooler with `A` attention units. Output [B,H]. */
export function buildAttention<A extends FloatArray>(size: number, ctx: BuildContext<A>): PoolerCore<A> {
  const { numLayers: L, hiddenSize: H } = ctx.dims;
  const uniform = (bound: number) => (data: A, rng: Rng): void => {
    rng.fillUniform(data, bound);
  };
  const w1 = declareParameter(ctx, "attention.0.weight", [size, H], uniform(1 / Math.sqrt(H)));
  const b1 = declareParameter(ctx, "attention.0.bias", [size], uniform(1 / Math.sqrt(H)));
  const w2 = declareParameter(ctx, "attention.2.weight", [1, size], uniform(1 / Math.sqrt(size)));
  const b2 = declareParameter(ctx, "attention.2.bias", [1], uniform(1 / Math.sqrt(size)));
  const p = ctx.prefix;
  return {
    spec: { type: "attention", hiddenSize: size },
    outputSize: H,
    parameters: new Map([
      [`${p}attention.0.weight`, w1], [`${p}attention.0.bias`, b1],
      [`${p}attention.2.weight`, w2], [`${p}attention.2.bias`, b2],
    ]),
    reads: { layers: [L], firstTokenOnly: false },
    forward({ hiddenStates, attentionMask, B, T }, pooled): AttentionCache<A> {
      const x = hiddenStates[L]!.data;
      const N = B * T;
      // act = tanh(x W₁ᵀ + b₁): [B·T,A]; scores = act w₂ᵀ + b₂: [B·T,1] = [B,T]
      const act = ctx.alloc(N * size);
      linearForward(act, x, w1.data, b1.data, N, H, size);
      tanhForward(act, act, N * size);
      const scores = ctx.alloc(N);
      linearForward(scores, act, w2.data, b2.data, N, size, 1);
      // probs = softmax over the real tokens of each row
      const probs = ctx.alloc(N);
      softmaxForward(probs, scores, B, T, attentionMask);
      // pooled[b,:] = Σ_t probs[b,t] · x[b,t,:]
      weightedTokensForward(pooled, x, probs, B, T, H);
      return { act, probs };
    },
    backward({ hiddenStates, B, T }, cacheIn, dPooled, grads) {
      const { act, probs } = cacheIn as AttentionCache<A>;
      const x = hiddenStates[L]!.data;
      const dx = layerGrad(grads, L);
      const N = B * T;
      // the weighted sum: dx[b,t,:] += probs[b,t] · dPooled[b,:];  dProbs[b,t] = x[b,t,:] · dPooled[b,:]
      weightedTokensBackward(dx, dPooled, probs, B, T, H);
      const dProbs = ctx.alloc(N);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          let s = 0;
          for (let h = 0; h < H; h++) s += x[(b * T + t) * H + h]! * dPooled[b * H + h]!;
          dProbs[b * T + t] = s;
        }
      }
      const dScores = ctx.alloc(N);
      softmaxBackward(dScores, dProbs, probs, B, T);
      const dAct = ctx.alloc(N * size);
      linearBackward(dAct, paramGrad(grads, `${p}attention.2.weight`), paramGrad(grads, `${p}attention.2.bias`), dScores, act, w2.data, N, size, 1);
      // through tanh: dPre = dAct · (1 − act²)
      const dPre = ctx.alloc(N * size);
      tanhBackward(dPre, dAct, act, N * size);
      linearBackward(dx, paramGrad(grads, `${p}attention.0.weight`), paramGrad(grads, `${p}attention.0.bias`), dPre, x, w1.data, N, H, size);
    },
  };
}
