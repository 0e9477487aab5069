// The linear head, torch.nn.Linear(D, k) after dropout:
//   logits = dropout(x) · Wᵀ + b   -> [N,k]
// Parameters: weight [k,D], bias [k]; fresh ones ~ U(±1/√D) (torch.nn.Linear.reset_parameters).
// Legend: N examples, D pooled size, k outputs.
import { uniformInit } from "../../pooling/module.js";
import type { FloatArray } from "../../tensor/tensor.js";
import { dropoutGradient, dropoutIfTraining } from "../dropout.js";
import type { HeadDefinition } from "./head.js";

export interface LinearCache {
  /** dropout(x): [N,D] */
  x: FloatArray;
  mask: Float32Array | null;
}

export const linearHead: HeadDefinition<"linear", LinearCache> = {
  kind: "linear",
  build(ctx) {
    const { inputSize: D, outputSize: k } = ctx;
    const weight = ctx.param("weight", [k, D], uniformInit(1 / Math.sqrt(D)));
    const bias = ctx.param("bias", [k], uniformInit(1 / Math.sqrt(D)));
    return {
      // x: [N,D] -> logits: [N,k]
      forward(x, N, mode) {
        const { y, mask } = dropoutIfTraining(x, ctx.dropout, mode, ctx.alloc);
        const logits = ctx.alloc(N * k);
        ctx.kernels.linearForward(logits, y, weight.data, bias.data, N, D, k);
        return { logits, cache: { x: y, mask } };
      },
      backward({ x, mask }, dLogits, N, grads) {
        const dy = ctx.alloc(N * D);
        ctx.kernels.linearBackward(dy, grads.param(weight), grads.param(bias), dLogits, x, weight.data, N, D, k);
        return dropoutGradient(dy, mask, ctx.alloc);
      },
    };
  },
};
