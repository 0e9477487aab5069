// Heads against PyTorch (nn.Linear, RobertaClassificationHead), finite differences, dropout, init, loading.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createHead, type Head, type HeadKind } from "../../src/train/heads/index.js";
import { dropoutBackward, dropoutForward, dropoutMask } from "../../src/train/dropout.js";
import { Rng } from "../../src/tensor/random.js";
import { TrainingError } from "../../src/errors.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectClose, numericGradient } from "../helpers.js";

type TJson = { shape: number[]; data: number[] };
interface HeadCase {
  kind: HeadKind;
  N: number;
  D: number;
  k: number;
  parameters: Record<string, TJson>;
  x: number[];
  dLogits: number[];
  logits: number[];
  dx: number[];
  dParameters: Record<string, number[]>;
}
const cases = JSON.parse(readFileSync(new URL("../fixtures/training/heads.json", import.meta.url), "utf8")) as HeadCase[];

describe("heads vs PyTorch", () => {
  for (const c of cases) {
    const params = new Map(Object.entries(c.parameters));
    it(`${c.kind} N=${c.N} D=${c.D} k=${c.k}: logits, dx, dParameters within 1e-12 (Float64), 1e-5 (Float32)`, () => {
      const h64 = createHead(c.kind, c.D, c.k, { parameters: params, dtype: "float64" });
      const out64 = h64.forward({ data: Float64Array.from(c.x), shape: [c.N, c.D] });
      expectClose(out64.logits.data, c.logits, 1e-12, "logits");
      const g64 = h64.backward(out64, { data: Float64Array.from(c.dLogits), shape: [c.N, c.k] });
      expectClose(g64.dx.data, c.dx, 1e-12, "dx");
      expect([...g64.dParameters.keys()].sort()).toEqual(Object.keys(c.dParameters).sort());
      for (const [name, expected] of Object.entries(c.dParameters)) expectClose(g64.dParameters.get(name)!.data, expected, 1e-12, name);

      const h32 = createHead(c.kind, c.D, c.k, { parameters: params });
      const out32 = h32.forward({ data: Float32Array.from(c.x), shape: [c.N, c.D] });
      expectClose(out32.logits.data, c.logits, 1e-5, "logits f32");
      const g32 = h32.backward(out32, { data: Float32Array.from(c.dLogits), shape: [c.N, c.k] });
      expectClose(g32.dx.data, c.dx, 1e-5, "dx f32");
    });
  }
});

/** Σ logits · r for a fixed random r: a scalar whose gradient is backward(r). */
function probe(head: Head, x: Float64Array, N: number, r: Float64Array): number {
  const logits = head.forward({ data: x, shape: [N, head.inputSize] }).logits.data;
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += logits[i]! * r[i]!;
  return s;
}

describe("heads vs central finite differences (Float64)", () => {
  for (const kind of ["linear", "classification"] as const) {
    it(`${kind}: dx and every dParameter, atol 1e-7`, () => {
      const N = 2, D = 3, k = 2;
      const head = createHead(kind, D, k, { seed: 7, dtype: "float64" });
      const rng = new Rng(3);
      const x = rng.fillNormal(new Float64Array(N * D), 1);
      const r = rng.fillNormal(new Float64Array(N * k), 1);
      const out = head.forward({ data: x, shape: [N, D] });
      const grads = head.backward(out, { data: r, shape: [N, k] });
      expectClose(grads.dx.data, numericGradient(() => probe(head, x, N, r), x), 1e-7, `${kind} dx`);
      for (const [name, p] of head.parameters) {
        expectClose(grads.dParameters.get(name)!.data, numericGradient(() => probe(head, x, N, r), p.data as Float64Array), 1e-7, `${kind} ${name}`);
      }
    });
  }
});

describe("dropout", () => {
  it("training mode zeroes about p of the inputs and scales the rest by 1/(1-p); evaluation is the identity", () => {
    const head = createHead("linear", 4, 1, { dropout: 0.5, seed: 1, dtype: "float64" });
    const x: Tensor<Float64Array> = { data: new Float64Array(4).fill(1), shape: [1, 4] };
    const evalOut = head.forward(x).logits.data[0]!;
    const w = head.parameters.get("weight")!.data;
    const b = head.parameters.get("bias")!.data[0]!;
    expectClose([evalOut], [w[0]! + w[1]! + w[2]! + w[3]! + b], 1e-12, "eval = no dropout");
    const mask = dropoutMask(new Rng(5), 10000, 0.3);
    const zeros = mask.filter((v) => v === 0).length;
    expect(Math.abs(zeros / 10000 - 0.3)).toBeLessThan(0.02);
    expect(mask.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
  });
  it("backward of a training-mode forward matches finite differences with the mask held fixed", () => {
    const N = 2, D = 3, k = 2;
    const head = createHead("classification", D, k, { dropout: 0.4, seed: 2, dtype: "float64" });
    const x = new Rng(9).fillNormal(new Float64Array(N * D), 1);
    const r = new Rng(10).fillNormal(new Float64Array(N * k), 1);
    // the same seed gives the same masks on every call
    const f = (): number => {
      const logits = head.forward({ data: x, shape: [N, D] }, { training: true, rng: new Rng(11) }).logits.data;
      return (logits as Float64Array).reduce((s, v, i) => s + v * r[i]!, 0);
    };
    const out = head.forward({ data: x, shape: [N, D] }, { training: true, rng: new Rng(11) });
    const grads = head.backward(out, { data: r, shape: [N, k] });
    expectClose(grads.dx.data, numericGradient(f, x), 1e-7, "dx with dropout");
  });
  it("dropoutForward/Backward apply the mask; backward accumulates", () => {
    const mask = Float32Array.from([0, 2, 2]);
    const out = new Float64Array(3);
    dropoutForward(out, Float64Array.from([1, 2, 3]), mask, 3);
    expect([...out]).toEqual([0, 4, 6]);
    const dx = Float64Array.from([1, 1, 1]);
    dropoutBackward(dx, Float64Array.from([1, 1, 1]), mask, 3);
    expect([...dx]).toEqual([1, 3, 3]);
  });
  it("training with dropout but without an rng is an error", () => {
    const head = createHead("linear", 2, 1, { dropout: 0.1 });
    expect(() => head.forward({ data: new Float32Array(2), shape: [1, 2] }, { training: true })).toThrow(/needs an rng/);
  });
});

describe("initialisation and loading", () => {
  it("PyTorch default init: U(±1/√D), repeatable from the seed, names of the PyTorch modules", () => {
    const a = createHead("classification", 16, 3, { seed: 4 });
    const b = createHead("classification", 16, 3, { seed: 4 });
    expect([...a.parameters.keys()]).toEqual(["dense.weight", "dense.bias", "out_proj.weight", "out_proj.bias"]);
    expect(a.parameters.get("dense.weight")!.shape).toEqual([16, 16]);
    expect(a.parameters.get("out_proj.weight")!.shape).toEqual([3, 16]);
    for (const [name, t] of a.parameters) {
      expect([...t.data]).toEqual([...b.parameters.get(name)!.data]);
      expect(t.data.every((v) => Math.abs(v) <= 0.25)).toBe(true);
      expect(t.data.some((v) => Math.abs(v) > 0.2)).toBe(true);
    }
    expect([...createHead("linear", 4, 2).parameters.keys()]).toEqual(["weight", "bias"]);
  });
  it("a head from another model (hidden size differs) is a clear error naming the tensor and both shapes", () => {
    const other = createHead("linear", 8, 2);
    expect(() => createHead("linear", 4, 2, { parameters: other.parameters })).toThrow(TrainingError);
    expect(() => createHead("linear", 4, 2, { parameters: other.parameters })).toThrow(/weight: expected \[2,4\], got \[2,8\]/);
  });
  it("missing and unexpected parameters are named", () => {
    const lin = createHead("linear", 4, 2).parameters;
    expect(() => createHead("classification", 4, 2, { parameters: lin })).toThrow(/unexpected parameters weight, bias/);
    const partial = new Map([...createHead("classification", 4, 2).parameters].filter(([n]) => n !== "out_proj.bias"));
    expect(() => createHead("classification", 4, 2, { parameters: partial })).toThrow(/missing parameter out_proj.bias \[2\]/);
  });
  it("rejects bad sizes, dropout and inputs", () => {
    expect(() => createHead("linear", 0, 2)).toThrow(/inputSize and outputSize/);
    expect(() => createHead("linear", 2, 2, { dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => createHead("mlp" as HeadKind, 2, 2)).toThrow(/unknown head "mlp"/);
    const head = createHead("linear", 3, 2);
    expect(() => head.forward({ data: new Float32Array(4), shape: [2, 2] })).toThrow(/x must be \[N,3\], got \[2,2\]/);
  });
});
