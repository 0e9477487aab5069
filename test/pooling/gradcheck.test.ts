// Central finite differences in Float64 on tiny shapes for every pooler: the gradient of
// loss = Σ pooled · R with respect to every hidden state it reads and every parameter.
import { describe, expect, it } from "vitest";
import { createPooler } from "../../src/pooling/index.js";
import { Rng } from "../../src/tensor/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectClose, numericGradient } from "../helpers.js";

const dims = { numLayers: 3, hiddenSize: 3 };
const B = 3;
const T = 4;
// right padding, a single-real-token row, left padding in one batch
const MASKS = {
  mixed: Int32Array.from([1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 1]),
  right: Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0]),
};

const SPECS: { spec: unknown; mask: keyof typeof MASKS }[] = [
  { spec: "cls", mask: "right" },
  { spec: "mean", mask: "mixed" },
  { spec: "max", mask: "mixed" },
  { spec: "mean-max", mask: "mixed" },
  { spec: "mean-sqrt-len", mask: "mixed" },
  { spec: "weighted-mean", mask: "mixed" },
  { spec: "last-token", mask: "mixed" },
  { spec: "gem", mask: "mixed" },
  { spec: { type: "gem", p: 1.5, eps: 1e-3 }, mask: "mixed" },
  { spec: "concat", mask: "right" },
  { spec: { type: "concat", layers: [0, -1, 1, -1], token: "mean" }, mask: "mixed" },
  { spec: { type: "concat", layers: [-2, -1], token: "max" }, mask: "mixed" },
  { spec: { type: "lstm", hiddenSize: 2 }, mask: "right" },
  { spec: "weighted-layer", mask: "right" },
  { spec: { type: "weighted-layer", layerStart: 0, token: "mean" }, mask: "mixed" },
  { spec: { type: "attention", hiddenSize: 3 }, mask: "mixed" },
  { spec: { type: "layer-attention", hiddenSize: 2 }, mask: "right" },
  { spec: { type: "combine", parts: ["cls", "max", "gem", { type: "lstm", hiddenSize: 2 }, { type: "attention", hiddenSize: 2 }, { type: "layer-attention", hiddenSize: 2 }, { type: "weighted-layer", token: "mean" }] }, mask: "right" },
];

describe.each(SPECS)("finite differences: $spec", ({ spec, mask }) => {
  it("matches the hand-written backward pass in Float64 (atol 1e-6 × scale)", () => {
    const rng = new Rng(7);
    const pooler = createPooler(spec, dims, { dtype: "float64", seed: 3 });
    // move trainable constants (layer_weights = 1) off their init so every path is exercised
    for (const [name, p] of pooler.parameters) {
      if (name.endsWith("layer_weights")) for (let i = 0; i < p.data.length; i++) p.data[i] = 0.5 + rng.next();
    }
    const hiddenStates: Tensor<Float64Array>[] = [];
    for (let i = 0; i <= dims.numLayers; i++) hiddenStates.push({ data: rng.fillNormal(new Float64Array(B * T * dims.hiddenSize), 1), shape: [B, T, dims.hiddenSize] });
    const input = { hiddenStates, attentionMask: MASKS[mask] };
    const R = rng.fillNormal(new Float64Array(B * pooler.outputSize), 1);
    const loss = (): number => {
      const { pooled } = pooler.forward(input);
      let s = 0;
      for (let i = 0; i < R.length; i++) s += pooled.data[i]! * R[i]!;
      return s;
    };
    const out = pooler.forward(input);
    const grads = pooler.backward(out, { data: R, shape: [B, pooler.outputSize] });
    for (let i = 0; i <= dims.numLayers; i++) {
      const d = grads.dHiddenStates[i];
      if (!pooler.reads.layers.includes(i)) {
        expect(d, `layer ${i} is not read`).toBeNull();
        continue;
      }
      const numeric = numericGradient(loss, hiddenStates[i]!.data);
      expectClose(d!.data, numeric, 1e-6 * Math.max(1, ...numeric.map(Math.abs)), `dHiddenStates[${i}]`);
    }
    for (const [name, p] of pooler.parameters) {
      const numeric = numericGradient(loss, p.data as Float64Array);
      expectClose(grads.dParameters.get(name)!.data, numeric, 1e-6 * Math.max(1, ...numeric.map(Math.abs)), `d${name}`);
    }
  });
});
