// GeM (generalised mean) pooling over the real tokens of the last layer, with a trainable power p:
//   z = max(x, eps),   S[b,h] = (1/n) Σ_{t real} z[b,t,h]^p,   pooled[b,h] = S[b,h]^(1/p)   -> [B,H]
// p = 1 is the mean of the clamped values, p → ∞ approaches the max; p = 3 is the usual start.
// Gradients (values below eps are clamped, so they get none, as in PyTorch's clamp):
//   ∂pooled/∂x[b,t,h] = pooled/S · z^(p−1) / n
//   ∂pooled/∂p        = pooled · ( −ln S / p² + (1/(p·S)) · (1/n) Σ_t z^p ln z )
// Legend: B batch, T tokens, H hidden, n real tokens of the row.
// Parameter: p [1] (the name GeM implementations use); fresh value: the spec's `p` (default 3).
import { definePooler } from "../core.js";
import { constantInit } from "../module.js";
import { numberInRange, POOLING_LIMITS } from "../options.js";
import { realTokenCounts } from "../tokens.js";

export interface GemSpec {
  type: "gem";
  p: number;
  eps: number;
}

/** The GeM pooler. Output [B,H]. Cache: S [B,H] in doubles. */
export const gem = definePooler<GemSpec, Float64Array>({
  type: "gem",
  options: { p: numberInRange(3, POOLING_LIMITS.gemP), eps: numberInRange(1e-6, POOLING_LIMITS.gemEps) },
  example: { type: "gem", p: 1.5, eps: 1e-3 },
  build({ p: pInit, eps }, ctx) {
    const L = ctx.dims.numLayers;
    const power = ctx.param("p", [1], constantInit(pInit));
    return {
      outputSize: ctx.dims.hiddenSize,
      reads: { layers: [L], firstTokenOnly: false },
      forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
        const x = hiddenStates[L]!.data;
        const p = power.data[0]!;
        const n = realTokenCounts(attentionMask, B, T);
        // S[b,h] = (1/n) Σ_{t real} max(x, eps)^p: [B,H], kept for backward
        const S = new Float64Array(B * H);
        for (let b = 0; b < B; b++) {
          for (let t = 0; t < T; t++) {
            if (attentionMask[b * T + t] !== 1) continue;
            for (let h = 0; h < H; h++) S[b * H + h]! += Math.max(x[(b * T + t) * H + h]!, eps) ** p;
          }
          for (let h = 0; h < H; h++) S[b * H + h]! /= n[b]!;
        }
        // pooled = S^(1/p)
        for (let i = 0; i < B * H; i++) pooled[i] = S[i]! ** (1 / p);
        return S;
      },
      backward({ hiddenStates, attentionMask, B, T, H }, S, dPooled, grads) {
        const x = hiddenStates[L]!.data;
        const dx = grads.layer(L);
        const p = power.data[0]!;
        const n = realTokenCounts(attentionMask, B, T);
        let dp = 0;
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            const s = S[b * H + h]!;
            const y = s ** (1 / p);
            const g = dPooled[b * H + h]!;
            // zlnz = (1/n) Σ_t z^p ln z, for ∂S/∂p
            let zlnz = 0;
            for (let t = 0; t < T; t++) {
              if (attentionMask[b * T + t] !== 1) continue;
              const k = (b * T + t) * H + h;
              const v = x[k]!;
              const z = Math.max(v, eps);
              zlnz += z ** p * Math.log(z);
              // dx += g · y/S · z^(p−1)/n where x ≥ eps (clamped values pass no gradient)
              if (v >= eps) dx[k]! += (g * y * z ** (p - 1)) / (s * n[b]!);
            }
            zlnz /= n[b]!;
            // dp += g · y · (−ln S/p² + zlnz/(p·S))
            dp += g * y * (-Math.log(s) / (p * p) + zlnz / (p * s));
          }
        }
        grads.param(power)[0]! += dp;
      },
    };
  },
});
