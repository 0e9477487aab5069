// Every pooler's forward pass and every gradient against PyTorch autograd (test/fixtures/pooling),
// in Float32 (tolerance 1e-5 × the tensor's scale) and in Float64 (1e-10 × scale).
import { describe, expect, it } from "vitest";
import { createPooler } from "../../src/pooling/index.js";
import type { FloatArray, Tensor } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";
import { CASES, expectedTensor, loadCase, scaleOf, type LoadedCase, type PoolingCase } from "./fixtures.js";

function check<A extends FloatArray>(c: PoolingCase, data: LoadedCase<A>, run: (d: LoadedCase<A>) => {
  pooled: Tensor<FloatArray>; dHiddenStates: (Tensor<FloatArray> | null)[]; dParameters: Map<string, Tensor<FloatArray>>; parameterNames: string[];
}, rtol: number): void {
  const { pooled, dHiddenStates, dParameters, parameterNames } = run(data);
  const want = expectedTensor(data.expected, "pooled");
  expect(pooled.shape).toEqual(want.shape);
  expectClose(pooled.data, want.data as Float64Array, rtol * scaleOf(want.data as Float64Array), `${c.name} pooled`);
  const expectedParams = [...data.expected.keys()].filter((k) => k.startsWith("grad.") && !k.startsWith("grad.hidden_states.")).map((k) => k.slice(5));
  expect(parameterNames.sort()).toEqual(expectedParams.sort());
  for (const name of expectedParams) {
    const w = expectedTensor(data.expected, `grad.${name}`);
    const got = dParameters.get(name)!;
    expect(got.shape, `${c.name} grad.${name} shape`).toEqual(w.shape);
    expectClose(got.data, w.data as Float64Array, rtol * scaleOf(w.data as Float64Array), `${c.name} grad.${name}`);
  }
  for (let i = 0; i <= c.numLayers; i++) {
    const w = expectedTensor(data.expected, `grad.hidden_states.${i}`).data as Float64Array;
    const got = dHiddenStates[i];
    if (got === null || got === undefined) {
      expect(w.every((v) => v === 0), `${c.name}: layer ${i} not read but PyTorch has a gradient`).toBe(true);
    } else {
      expectClose(got.data, w, rtol * scaleOf(w), `${c.name} grad.hidden_states.${i}`);
    }
  }
}

describe.each(CASES)("pooler $name vs PyTorch", (c) => {
  const dims = { numLayers: c.numLayers, hiddenSize: c.hiddenSize };

  it("forward and backward in Float32 (tolerance 1e-5 × scale)", () => {
    check(c, loadCase(c, (s): Float32Array => Float32Array.from(s)), (d) => {
      const pooler = createPooler(c.spec, dims, { parameters: d.params });
      expect(pooler.outputSize).toBe(c.outputSize);
      const out = pooler.forward({ hiddenStates: d.hiddenStates, attentionMask: d.attentionMask });
      return { pooled: out.pooled, ...pooler.backward(out, d.gradOutput), parameterNames: [...pooler.parameters.keys()] };
    }, 1e-5);
  });

  it("forward and backward in Float64 (tolerance 1e-10 × scale)", () => {
    check(c, loadCase(c, (s): Float64Array => Float64Array.from(s)), (d) => {
      const pooler = createPooler(c.spec, dims, { parameters: d.params, dtype: "float64" });
      const out = pooler.forward({ hiddenStates: d.hiddenStates, attentionMask: d.attentionMask });
      return { pooled: out.pooled, ...pooler.backward(out, d.gradOutput), parameterNames: [...pooler.parameters.keys()] };
    }, 1e-10);
  });
});
