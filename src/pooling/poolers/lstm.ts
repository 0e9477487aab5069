// LSTM pooling: the first-token vectors of layers 1…L read as a sequence by one LSTM (torch.nn.LSTM,
// gate order i, f, g, o, zero initial state); the pooled vector is the last step's hidden state.
//   x_l = hiddenStates[l][b,0,:],  (h_l, c_l) = LSTMCell(x_l, h_{l-1}, c_{l-1}),  pooled = h_L   -> [B,hid]
// Backward is backpropagation through time: from step L down to 1, each step hands dh, dc to the one before.
// Legend: B batch, T tokens, H hidden (LSTM input size), hid LSTM hidden size, L layers (= steps).
// Parameters (torch.nn.LSTM state_dict names): lstm.weight_ih_l0 [4·hid,H], lstm.weight_hh_l0 [4·hid,hid],
// lstm.bias_ih_l0 [4·hid], lstm.bias_hh_l0 [4·hid]; fresh ones ~ U(−1/√hid, 1/√hid) as PyTorch does.
import type { FloatArray } from "../../tensor/tensor.js";
import { definePooler } from "../core.js";
import { uniformInit } from "../module.js";
import { POOLING_LIMITS, positiveInt } from "../options.js";
import { encoderLayers, gatherFirstToken, scatterFirstToken } from "../tokens.js";

export interface LstmSpec {
  type: "lstm";
  hiddenSize: number;
}

export interface LstmCache {
  /** Per step 0..L (step 0 = the zero initial state): inputs x [B,H], states h, c [B,hid], gates [B,4·hid]. */
  x: FloatArray[];
  h: FloatArray[];
  c: FloatArray[];
  gates: FloatArray[];
}

/** The LSTM pooler with `hiddenSize` (hid) units. Output [B,hid]. */
export const lstm = definePooler<LstmSpec, LstmCache>({
  type: "lstm",
  options: { hiddenSize: positiveInt(256, POOLING_LIMITS.hiddenSize) },
  example: { type: "lstm", hiddenSize: 2 },
  build({ hiddenSize: hid }, ctx) {
    const { numLayers: L, hiddenSize: H } = ctx.dims;
    const init = uniformInit(1 / Math.sqrt(hid));
    const weightIh = ctx.param("lstm.weight_ih_l0", [4 * hid, H], init);
    const weightHh = ctx.param("lstm.weight_hh_l0", [4 * hid, hid], init);
    const biasIh = ctx.param("lstm.bias_ih_l0", [4 * hid], init);
    const biasHh = ctx.param("lstm.bias_hh_l0", [4 * hid], init);
    return {
      outputSize: hid,
      reads: { layers: encoderLayers(L), firstTokenOnly: true },
      forward({ hiddenStates, B, T }, pooled) {
        const cache: LstmCache = { x: [ctx.alloc(0)], h: [ctx.alloc(B * hid)], c: [ctx.alloc(B * hid)], gates: [ctx.alloc(0)] };
        // (h_l, c_l) = LSTMCell(x_l, h_{l-1}, c_{l-1}) for l = 1..L
        for (let l = 1; l <= L; l++) {
          const x = ctx.alloc(B * H);
          gatherFirstToken(x, hiddenStates[l]!.data, B, T, H);
          const h = ctx.alloc(B * hid), c = ctx.alloc(B * hid), gates = ctx.alloc(B * 4 * hid);
          ctx.kernels.lstmCellForward(h, c, gates, x, cache.h[l - 1]!, cache.c[l - 1]!, weightIh.data, weightHh.data, biasIh.data, biasHh.data, B, H, hid);
          cache.x.push(x);
          cache.h.push(h);
          cache.c.push(c);
          cache.gates.push(gates);
        }
        pooled.set(cache.h[L]!);
        return cache;
      },
      backward({ B, T }, cache, dPooled, grads) {
        // only the last step's h is an output: dh_L = dPooled, dc_L = 0
        let dh = ctx.alloc(B * hid);
        dh.set(dPooled);
        let dc = ctx.alloc(B * hid);
        for (let l = L; l >= 1; l--) {
          const dx = ctx.alloc(B * H), dhPrev = ctx.alloc(B * hid), dcPrev = ctx.alloc(B * hid);
          ctx.kernels.lstmCellBackward(
            dx, dhPrev, dcPrev, grads.param(weightIh), grads.param(weightHh), grads.param(biasIh), grads.param(biasHh), dh, dc,
            cache.gates[l]!, cache.c[l]!, cache.c[l - 1]!, cache.x[l]!, cache.h[l - 1]!, weightIh.data, weightHh.data, B, H, hid,
          );
          scatterFirstToken(grads.layer(l), dx, B, T, H);
          dh = dhPrev;
          dc = dcPrev;
        }
      },
    };
  },
});
