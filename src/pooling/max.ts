// Max pooling: the largest value of each hidden unit over the real tokens of the last layer.
//   pooled[b,h] = max_{t real} x[b,t,h]
// Padding never wins, even when every real value is very negative: padded positions are skipped, not
// zeroed or written to (the seed wrote -1e4 into the model's own output; we never touch the input).
// Backward routes each output's gradient to the one token that won; on exact ties the first (lowest t)
// maximal token gets it all, a valid subgradient (PyTorch also picks a single index).
// Legend: B batch, T tokens, H hidden.
import type { FloatArray } from "../tensor/tensor.js";
import { layerGrad, type BuildContext, type PoolerCore } from "./core.js";

/** out[b,h] = max over real t of x[b,t,h]; argmax[b,h] = that t.  x: [B,T,H] -> out: [B,H] */
export function maskedMaxForward(out: FloatArray, argmax: Int32Array, x: FloatArray, mask: Int32Array, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let best = -Infinity;
      let at = -1;
      for (let t = 0; t < T; t++) {
        if (mask[b * T + t] !== 1) continue;
        const v = x[(b * T + t) * H + h]!;
        if (at < 0 || v > best) {
          best = v;
          at = t;
        }
      }
      out[b * H + h] = best;
      argmax[b * H + h] = at;
    }
  }
}

/** dx[b, argmax[b,h], h] += dOut[b,h].  dOut: [B,H] -> dx: [B,T,H] */
export function maskedMaxBackward(dx: FloatArray, dOut: FloatArray, argmax: Int32Array, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) dx[(b * T + argmax[b * H + h]!) * H + h]! += dOut[b * H + h]!;
  }
}

/** The max pooler over the last layer; no parameters. Output [B,H]. */
export function buildMax<A extends FloatArray>(ctx: BuildContext<A>): PoolerCore<A> {
  const L = ctx.dims.numLayers;
  return {
    spec: { type: "max" },
    outputSize: ctx.dims.hiddenSize,
    parameters: new Map(),
    reads: { layers: [L], firstTokenOnly: false },
    forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
      const argmax = new Int32Array(B * H);
      maskedMaxForward(pooled, argmax, hiddenStates[L]!.data, attentionMask, B, T, H);
      return argmax;
    },
    backward({ B, T, H }, cache, dPooled, grads) {
      maskedMaxBackward(layerGrad(grads, L), dPooled, cache as Int32Array, B, T, H);
    },
  };
}
