// Pooler behaviour beyond the golden values: parameters in and out, seeded initialisation, padding,
// inputs never written to, T = 1 inputs for first-token poolers, and a clear error for every bad input.
import { describe, expect, it } from "vitest";
import { InputError, PoolingError } from "../../src/errors.js";
import { createPooler, POOLING_TYPES } from "../../src/pooling/index.js";
import { Rng } from "../../src/tensor/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";

const dims = { numLayers: 4, hiddenSize: 5 };
const B = 2;
const T = 3;

function states(seed: number, t = T): Tensor[] {
  const rng = new Rng(seed);
  return Array.from({ length: dims.numLayers + 1 }, () => ({ data: rng.fillNormal(new Float32Array(B * t * dims.hiddenSize), 1), shape: [B, t, dims.hiddenSize] }));
}
const rightMask = Int32Array.from([1, 1, 1, 1, 1, 0]);
const specOf = (type: string): unknown => (type === "combine" ? { type, parts: ["mean", { type: "lstm", hiddenSize: 3 }] } : type === "lstm" || type === "attention" || type === "layer-attention" ? { type, hiddenSize: 4 } : type);

describe("parameters", () => {
  it("initialises from the seed: same seed, same values; another seed, other values", () => {
    const a = createPooler({ type: "attention", hiddenSize: 4 }, dims, { seed: 5 });
    const b = createPooler({ type: "attention", hiddenSize: 4 }, dims, { seed: 5 });
    const c = createPooler({ type: "attention", hiddenSize: 4 }, dims, { seed: 6 });
    for (const [name, p] of a.parameters) expect(b.parameters.get(name)!.data).toEqual(p.data);
    expect(c.parameters.get("attention.0.weight")!.data).not.toEqual(a.parameters.get("attention.0.weight")!.data);
  });

  it("uses PyTorch's init ranges, ones for layer_weights and the spec's p for gem", () => {
    const lstm = createPooler({ type: "lstm", hiddenSize: 16 }, dims);
    for (const p of lstm.parameters.values()) for (const v of p.data) expect(Math.abs(v)).toBeLessThanOrEqual(0.25);
    const att = createPooler({ type: "attention", hiddenSize: 9 }, dims).parameters;
    for (const v of att.get("attention.0.weight")!.data) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(5));
    for (const v of att.get("attention.2.weight")!.data) expect(Math.abs(v)).toBeLessThanOrEqual(1 / 3);
    // and they fill the range rather than sitting near 0 (a zero init would pass the bounds above)
    expect([...lstm.parameters.values()].some((p) => p.data.some((v) => Math.abs(v) > 0.2))).toBe(true);
    expect(att.get("attention.0.weight")!.data.some((v) => Math.abs(v) > 0.8 / Math.sqrt(5))).toBe(true);
    expect([...createPooler("weighted-layer", dims).parameters.get("layer_weights")!.data]).toEqual([1, 1, 1, 1]);
    expect(createPooler({ type: "gem", p: 2.5 }, dims).parameters.get("p")!.data[0]).toBe(2.5);
  });

  it("round-trips: the parameters of one pooler load into another and give the same output", () => {
    const spec = { type: "combine", parts: [{ type: "lstm", hiddenSize: 3 }, "gem", { type: "layer-attention", hiddenSize: 2 }] };
    const a = createPooler(spec, dims, { seed: 1 });
    const b = createPooler(spec, dims, { seed: 2, parameters: a.parameters });
    const input = { hiddenStates: states(1), attentionMask: rightMask };
    expect(b.forward(input).pooled.data).toEqual(a.forward(input).pooled.data);
  });

  it("rejects a params map with a missing tensor, a wrong shape or an unexpected tensor", () => {
    const good = createPooler({ type: "lstm", hiddenSize: 3 }, dims).parameters;
    const missing = new Map(good);
    missing.delete("lstm.bias_hh_l0");
    expect(() => createPooler({ type: "lstm", hiddenSize: 3 }, dims, { parameters: missing })).toThrow(
      new PoolingError('pooling params: missing tensor "lstm.bias_hh_l0" [12] of lstm pooling'),
    );
    const wrong = new Map(good);
    wrong.set("lstm.weight_hh_l0", { data: new Float32Array(12 * 4), shape: [12, 4] });
    expect(() => createPooler({ type: "lstm", hiddenSize: 3 }, dims, { parameters: wrong })).toThrow(
      new PoolingError("pooling params: lstm.weight_hh_l0: expected [12,3], got [12,4] (lstm pooling)"),
    );
    const extra = new Map(good);
    extra.set("head.weight", { data: new Float32Array(1), shape: [1] });
    expect(() => createPooler({ type: "lstm", hiddenSize: 3 }, dims, { parameters: extra })).toThrow(/unexpected tensor\(s\) "head.weight" for lstm pooling/);
    expect(() => createPooler("mean", dims, { parameters: extra })).toThrow(/expects no parameters/);
  });

  it("copies the given parameters rather than aliasing them", () => {
    const given = createPooler("gem", dims).parameters;
    const pooler = createPooler("gem", dims, { parameters: given });
    pooler.parameters.get("p")!.data[0] = 4;
    expect(given.get("p")!.data[0]).toBe(3);
  });
});

describe("forward and backward", () => {
  it.each(POOLING_TYPES)("%s never writes to its inputs and reads only the layers it declares", (type) => {
    const pooler = createPooler(specOf(type), dims);
    const hiddenStates = states(2);
    const mask = Int32Array.from(rightMask);
    const before = hiddenStates.map((h) => Float32Array.from(h.data));
    const out = pooler.forward({ hiddenStates, attentionMask: mask });
    const grads = pooler.backward(out, { data: new Float32Array(B * pooler.outputSize).fill(1), shape: [B, pooler.outputSize] });
    hiddenStates.forEach((h, i) => expect(h.data).toEqual(before[i]));
    expect([...mask]).toEqual([...rightMask]);
    expect(grads.dHiddenStates).toHaveLength(dims.numLayers + 1);
    grads.dHiddenStates.forEach((d, i) => expect(d === null).toBe(!pooler.reads.layers.includes(i)));
  });

  it.each(["cls", "lstm", "layer-attention", "concat", "weighted-layer", "combine"])("%s reads only the first token and works on T = 1 inputs", (type) => {
    const spec = type === "combine" ? { type, parts: ["cls", "concat"] } : specOf(type);
    const pooler = createPooler(spec, dims);
    expect(pooler.reads.firstTokenOnly).toBe(true);
    const full = states(3);
    const first = full.map((h) => {
      const data = new Float32Array(B * dims.hiddenSize);
      for (let b = 0; b < B; b++) data.set(h.data.subarray(b * T * dims.hiddenSize, b * T * dims.hiddenSize + dims.hiddenSize), b * dims.hiddenSize);
      return { data, shape: [B, 1, dims.hiddenSize] };
    });
    const a = pooler.forward({ hiddenStates: full, attentionMask: rightMask }).pooled.data;
    const b = pooler.forward({ hiddenStates: first, attentionMask: Int32Array.from([1, 1]) }).pooled.data;
    expectClose(b, a, 0, `${type} on T = 1`);
  });

  it("max: padding never wins, even when every real value is very negative", () => {
    const pooler = createPooler("max", { numLayers: 1, hiddenSize: 2 });
    const last = { data: Float32Array.from([-1e6, -5e5, 0, 0, -3e6, -2e6, 0, 0]), shape: [2, 2, 2] };
    const hiddenStates = [{ data: new Float32Array(8), shape: [2, 2, 2] }, last];
    const out = pooler.forward({ hiddenStates, attentionMask: Int32Array.from([1, 0, 1, 0]) });
    expect([...out.pooled.data]).toEqual([-1e6, -5e5, -3e6, -2e6]);
  });

  it("max: on a tie the whole gradient goes to the first maximal token", () => {
    const pooler = createPooler("max", { numLayers: 1, hiddenSize: 1 });
    const hiddenStates = [{ data: new Float32Array(3), shape: [1, 3, 1] }, { data: Float32Array.from([2, 5, 5]), shape: [1, 3, 1] }];
    const out = pooler.forward({ hiddenStates, attentionMask: Int32Array.from([1, 1, 1]) });
    const grads = pooler.backward(out, { data: Float32Array.from([1]), shape: [1, 1] });
    expect([...grads.dHiddenStates[1]!.data]).toEqual([0, 1, 0]);
  });

  it("mean-sqrt-len, weighted-mean and last-token give the same vectors for left and right padding", () => {
    const H = dims.hiddenSize;
    const right = states(4);
    // shift row 1's two real tokens to the end: [x0, x1, pad] -> [pad, x0, x1]
    const left = right.map((h) => {
      const data = Float32Array.from(h.data);
      data.set(h.data.subarray(T * H, T * H + 2 * H), T * H + H);
      data.fill(9, T * H, T * H + H);
      return { data, shape: h.shape };
    });
    for (const type of ["mean", "max", "mean-max", "mean-sqrt-len", "weighted-mean", "last-token", "gem", "attention"]) {
      const pooler = createPooler(specOf(type), dims);
      const a = pooler.forward({ hiddenStates: right, attentionMask: rightMask }).pooled.data;
      const b = pooler.forward({ hiddenStates: left, attentionMask: Int32Array.from([1, 1, 1, 0, 1, 1]) }).pooled.data;
      expectClose(b, a, 1e-6, `${type} left vs right padding`);
    }
  });

  it("works in Float64 when asked, and refuses a mix of element types", () => {
    const pooler = createPooler("mean", dims, { dtype: "float64" });
    const hiddenStates = states(5).map((h) => ({ data: Float64Array.from(h.data), shape: h.shape }));
    expect(pooler.forward({ hiddenStates, attentionMask: rightMask }).pooled.data).toBeInstanceOf(Float64Array);
    const f32 = createPooler("mean", dims);
    expect(() => f32.forward({ hiddenStates: hiddenStates as unknown as Tensor[], attentionMask: rightMask })).toThrow(/createPooler's dtype option/);
  });
});

describe("bad inputs", () => {
  const pooler = createPooler("mean", dims);
  const run = (hiddenStates: Tensor[], attentionMask: Int32Array) => () => pooler.forward({ hiddenStates, attentionMask });

  it("names the hidden state of unequal shape", () => {
    const hs = states(6);
    hs[3] = { data: new Float32Array(B * 2 * dims.hiddenSize), shape: [B, 2, dims.hiddenSize] };
    expect(run(hs, rightMask)).toThrow(new InputError("mean pooling: hidden states of unequal shapes: hiddenStates[3] is [2,2,5], hiddenStates[0] is [2,3,5]"));
  });

  it("needs L+1 hidden states of width H", () => {
    expect(run(states(6).slice(1), rightMask)).toThrow(/hiddenStates must hold L\+1 = 5 tensors .* got 4/);
    const narrow = states(6).map((h) => ({ data: h.data.subarray(0, B * T * 4), shape: [B, T, 4] }));
    expect(run(narrow, rightMask)).toThrow(/hiddenStates\[0\]: expected \[B,T,5\], got \[2,3,4\]/);
  });

  it("names a mask row with no real token, a mask of the wrong size and a mask value other than 0/1", () => {
    expect(run(states(6), Int32Array.from([1, 1, 0, 0, 0, 0]))).toThrow(new InputError("mean pooling: attentionMask row 1 has no real token (all padding)"));
    expect(run(states(6), Int32Array.from([1, 1, 1]))).toThrow(/attentionMask must be an Int32Array \[B,T\] = \[2,3\], got 3 values/);
    expect(run(states(6), Int32Array.from([1, 2, 1, 1, 1, 1]))).toThrow(/attentionMask\[0,1\] must be 0 or 1, got 2/);
  });

  it("refuses a left-padded batch for first-token poolers", () => {
    const cls = createPooler("cls", dims);
    expect(() => cls.forward({ hiddenStates: states(6), attentionMask: Int32Array.from([1, 1, 1, 0, 1, 1]) })).toThrow(/cls pooling reads the first token, but attentionMask row 1 starts with padding/);
  });

  it("checks dPooled's shape and that the output came from this pooler", () => {
    const out = pooler.forward({ hiddenStates: states(6), attentionMask: rightMask });
    expect(() => pooler.backward(out, { data: new Float32Array(3), shape: [1, 3] })).toThrow(/mean pooling: dPooled: expected \[2,5\], got \[1,3\]/);
    const other = createPooler("mean", dims);
    expect(() => other.backward(out, { data: new Float32Array(10), shape: [2, 5] })).toThrow(/output of a different pooler/);
  });
});
