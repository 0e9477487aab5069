// The pooler contract, checked for every registered pooler on its own example spec, so that a new
// pooler is tested by being registered: its spec normalises and round-trips, its forward leaves the
// inputs alone and reads only the layers it declares, its hand-written backward matches central finite
// differences in Float64, Float32 agrees with Float64, its state_dict loads back (and a wrong one is
// refused), first-token poolers work on T = 1, the others on either padding side.
import { describe, expect, it } from "vitest";
import { PoolingError } from "../../src/errors.js";
import { createPooler, parsePoolingSpec, POOLERS, POOLING_TYPES, type Pooler, type PoolerInput } from "../../src/pooling/index.js";
import { Rng } from "../../src/tensor/random.js";
import type { FloatArray, Tensor } from "../../src/tensor/tensor.js";
import { expectClose, numericGradient } from "../helpers.js";

const dims = { numLayers: 3, hiddenSize: 3 };
const B = 3;
const T = 4;
const H = dims.hiddenSize;
// right padding with a one-token row; the same texts padded on the left
const RIGHT = Int32Array.from([1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
const LEFT = Int32Array.from([0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);

/** L+1 random hidden states [B,T,H] in Float64. */
function randomStates(seed: number): Tensor<Float64Array>[] {
  const rng = new Rng(seed);
  return Array.from({ length: dims.numLayers + 1 }, () => ({ data: rng.fillNormal(new Float64Array(B * T * H), 1), shape: [B, T, H] }));
}

/** The same texts with their real tokens moved to the end of each row (RIGHT -> LEFT). */
function leftPadded(states: Tensor<Float64Array>[]): Tensor<Float64Array>[] {
  return states.map((s) => {
    const data = new Float64Array(s.data.length).fill(7);
    for (let b = 0; b < B; b++) {
      const n = RIGHT.subarray(b * T, (b + 1) * T).reduce((a, m) => a + m, 0);
      data.set(s.data.subarray(b * T * H, (b * T + n) * H), (b * T + T - n) * H);
    }
    return { data, shape: s.shape };
  });
}

/** Σ pooled · R: a scalar whose gradient is backward(R). */
function probe(pooler: Pooler, input: PoolerInput, R: Float64Array): number {
  const pooled = pooler.forward(input).pooled.data;
  let s = 0;
  for (let i = 0; i < R.length; i++) s += pooled[i]! * R[i]!;
  return s;
}

describe("the registry", () => {
  it("lists each type once, in POOLING_TYPES order, each with an example of its own type", () => {
    expect(POOLERS.map((p) => p.type)).toEqual([...POOLING_TYPES]);
    expect(new Set(POOLING_TYPES).size).toBe(POOLING_TYPES.length);
    for (const p of POOLERS) expect(parsePoolingSpec(p.example, dims).type).toBe(p.type);
  });
});

describe.each(POOLERS.map((p) => ({ type: p.type, example: p.example })))("$type: the pooler contract", ({ example }) => {
  const spec = parsePoolingSpec(example, dims);
  const make = (options: Parameters<typeof createPooler>[2] = {}): Pooler => createPooler(example, dims, { dtype: "float64", seed: 3, ...options });

  it("normalises to a spec that parses to itself and survives JSON", () => {
    expect(parsePoolingSpec(spec, dims)).toEqual(spec);
    expect(parsePoolingSpec(JSON.parse(JSON.stringify(spec)), dims)).toEqual(spec);
    expect(make().spec).toEqual(spec);
  });

  it("pools [B,D] without touching its inputs, and backward fills exactly the layers it reads", () => {
    const pooler = make();
    const hiddenStates = randomStates(1);
    const before = hiddenStates.map((h) => Float64Array.from(h.data));
    const out = pooler.forward({ hiddenStates, attentionMask: RIGHT });
    expect(out.pooled.shape).toEqual([B, pooler.outputSize]);
    expect(out.pooled.data.every(Number.isFinite)).toBe(true);
    const grads = pooler.backward(out, { data: new Float64Array(B * pooler.outputSize).fill(1), shape: [B, pooler.outputSize] });
    hiddenStates.forEach((h, i) => expect(h.data).toEqual(before[i]));
    expect(grads.dHiddenStates.map((d) => d !== null)).toEqual(hiddenStates.map((_, i) => pooler.reads.layers.includes(i)));
    expect([...grads.dParameters.keys()]).toEqual([...pooler.parameters.keys()]);
    for (const [name, p] of pooler.parameters) expect(grads.dParameters.get(name)!.shape).toEqual(p.shape);
  });

  it("has a backward pass that matches central finite differences in Float64 (atol 1e-6 × scale)", () => {
    const pooler = make();
    const rng = new Rng(5);
    // move constant initial values (layer_weights = 1) off their init so that every path is exercised
    for (const p of pooler.parameters.values()) for (let i = 0; i < p.data.length; i++) p.data[i] = p.data[i]! + 0.3 * rng.next();
    const input = { hiddenStates: randomStates(2), attentionMask: RIGHT };
    const R = rng.fillNormal(new Float64Array(B * pooler.outputSize), 1);
    const grads = pooler.backward(pooler.forward(input), { data: R, shape: [B, pooler.outputSize] });
    const check = (got: FloatArray, x: Float64Array, label: string): void => {
      const numeric = numericGradient(() => probe(pooler, input, R), x);
      expectClose(got, numeric, 1e-6 * Math.max(1, ...numeric.map(Math.abs)), label);
    };
    for (const l of pooler.reads.layers) check(grads.dHiddenStates[l]!.data, input.hiddenStates[l]!.data, `dHiddenStates[${l}]`);
    for (const [name, p] of pooler.parameters) check(grads.dParameters.get(name)!.data, p.data as Float64Array, `d${name}`);
  });

  it("gives the same vectors in Float32 as in Float64 (1e-5 × scale)", () => {
    const hiddenStates = randomStates(3);
    const f64 = make().forward({ hiddenStates, attentionMask: RIGHT }).pooled.data;
    const f32 = make({ dtype: "float32" }).forward({
      hiddenStates: hiddenStates.map((h) => ({ data: Float32Array.from(h.data), shape: h.shape })), attentionMask: RIGHT,
    }).pooled.data;
    expect(f32).toBeInstanceOf(Float32Array);
    expectClose(f32, f64, 1e-5 * Math.max(1, ...Array.from(f64, Math.abs)), "float32 vs float64");
  });

  it("round-trips its state_dict, and refuses one with a tensor too many or too few", () => {
    const a = make();
    const b = make({ seed: 4, parameters: a.parameters });
    const input = { hiddenStates: randomStates(4), attentionMask: RIGHT };
    expect(b.forward(input).pooled.data).toEqual(a.forward(input).pooled.data);
    const extra = new Map(a.parameters).set("extra.weight", { data: new Float64Array(1), shape: [1] });
    expect(() => make({ parameters: extra })).toThrow(PoolingError);
    const first = [...a.parameters.keys()][0];
    if (first !== undefined) {
      const fewer = new Map(a.parameters);
      fewer.delete(first);
      expect(() => make({ parameters: fewer })).toThrow(new RegExp(`missing tensor "${first.replace(/\./g, "\\.")}"`));
    }
  });

  it("reads only the first token when it says so; otherwise pools either padding side alike, or refuses left padding by name", () => {
    const pooler = make();
    const hiddenStates = randomStates(6);
    const right = pooler.forward({ hiddenStates, attentionMask: RIGHT }).pooled.data;
    if (pooler.reads.firstTokenOnly) {
      const first = hiddenStates.map((h) => {
        const data = new Float64Array(B * H);
        for (let b = 0; b < B; b++) data.set(h.data.subarray(b * T * H, b * T * H + H), b * H);
        return { data, shape: [B, 1, H] };
      });
      expectClose(pooler.forward({ hiddenStates: first, attentionMask: Int32Array.from([1, 1, 1]) }).pooled.data, right, 0, "T = 1");
      return;
    }
    // a pooler that reads position 0 among others (a combine with a cls part) must refuse, never pool the padding
    let left: FloatArray;
    try {
      left = pooler.forward({ hiddenStates: leftPadded(hiddenStates), attentionMask: LEFT }).pooled.data;
    } catch (err) {
      expect((err as Error).message).toMatch(/reads the first token, but attentionMask row 0 starts with padding/);
      return;
    }
    expectClose(left, right, 1e-12, "left padding");
  });
});
