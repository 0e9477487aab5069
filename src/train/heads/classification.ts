// The classification head of Hugging Face's RobertaClassificationHead, without its first-token slice
// (our x is already pooled):
//   logits = out_proj(dropout(tanh(dense(dropout(x)))))   -> [N,k]
// Parameters: dense.weight [D,D], dense.bias [D], out_proj.weight [k,D], out_proj.bias [k]; fresh ones
// ~ U(±1/√D), in that (PyTorch's registration) order.
// Legend: N examples, D pooled size, k outputs.
import { uniformInit } from "../../pooling/module.js";
import { tanhBackward, tanhForward } from "../../tensor/ops/tanh.js";
import type { FloatArray } from "../../tensor/tensor.js";
import { dropoutGradient, dropoutIfTraining } from "../dropout.js";
import type { HeadDefinition } from "./head.js";

export interface ClassificationCache {
  /** dropout(x): [N,D] */
  x: FloatArray;
  mask: Float32Array | null;
  /** tanh(dense(x)): [N,D] */
  h: FloatArray;
  /** dropout(h): [N,D] */
  hDropped: FloatArray;
  hMask: Float32Array | null;
}

export const classificationHead: HeadDefinition<"classification", ClassificationCache> = {
  kind: "classification",
  build(ctx) {
    const { inputSize: D, outputSize: k } = ctx;
    const init = uniformInit(1 / Math.sqrt(D));
    const denseWeight = ctx.param("dense.weight", [D, D], init);
    const denseBias = ctx.param("dense.bias", [D], init);
    const outWeight = ctx.param("out_proj.weight", [k, D], init);
    const outBias = ctx.param("out_proj.bias", [k], init);
    return {
      // x: [N,D] -> h: [N,D] -> logits: [N,k]
      forward(x, N, mode) {
        const { y, mask } = dropoutIfTraining(x, ctx.dropout, mode, ctx.alloc);
        // h = tanh(x·denseᵀ + b)
        const h = ctx.alloc(N * D);
        ctx.kernels.linearForward(h, y, denseWeight.data, denseBias.data, N, D, D);
        tanhForward(h, h, N * D);
        const dropped = dropoutIfTraining(h, ctx.dropout, mode, ctx.alloc);
        const logits = ctx.alloc(N * k);
        ctx.kernels.linearForward(logits, dropped.y, outWeight.data, outBias.data, N, D, k);
        return { logits, cache: { x: y, mask, h, hDropped: dropped.y, hMask: dropped.mask } };
      },
      backward({ x, mask, h, hDropped, hMask }, dLogits, N, grads) {
        const dHDropped = ctx.alloc(N * D);
        ctx.kernels.linearBackward(dHDropped, grads.param(outWeight), grads.param(outBias), dLogits, hDropped, outWeight.data, N, D, k);
        const dH = dropoutGradient(dHDropped, hMask, ctx.alloc);
        // dPre = dH · (1 − h²)
        const dPre = ctx.alloc(N * D);
        tanhBackward(dPre, dH, h, N * D);
        const dy = ctx.alloc(N * D);
        ctx.kernels.linearBackward(dy, grads.param(denseWeight), grads.param(denseBias), dPre, x, denseWeight.data, N, D, D);
        return dropoutGradient(dy, mask, ctx.alloc);
      },
    };
  },
};
