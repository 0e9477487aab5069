// Max pooling: the largest value of each hidden unit over the real tokens of the last layer.
//   pooled[b,h] = max_{t real} x[b,t,h]   -> [B,H]
// Padding never wins, even when every real value is very negative: padded positions are skipped, not
// zeroed or written to (the seed wrote -1e4 into the model's own output; we never touch the input).
// Backward routes each output's gradient to the one token that won; on exact ties the first (lowest t)
// maximal token gets it all, a valid subgradient (PyTorch also picks a single index).
// Legend: B batch, T tokens, H hidden.
import { definePooler } from "../core.js";
import { maskedMaxBackward, maskedMaxForward } from "../tokens.js";

/** The max pooler over the last layer; no parameters. Output [B,H]. Cache: argmax [B,H]. */
export const max = definePooler<{ type: "max" }, Int32Array>({
  type: "max",
  options: {},
  example: "max",
  build(_spec, ctx) {
    const L = ctx.dims.numLayers;
    return {
      outputSize: ctx.dims.hiddenSize,
      reads: { layers: [L], firstTokenOnly: false },
      forward({ hiddenStates, attentionMask, B, T, H }, pooled) {
        const argmax = new Int32Array(B * H);
        maskedMaxForward(pooled, argmax, hiddenStates[L]!.data, attentionMask, B, T, H);
        return argmax;
      },
      backward({ B, T, H }, argmax, dPooled, grads) {
        maskedMaxBackward(grads.layer(L), dPooled, argmax, B, T, H);
      },
    };
  },
});
