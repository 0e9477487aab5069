// AdamW and clip_grad_norm_ against torch.optim.AdamW and torch.nn.utils.clip_grad_norm_.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AdamW, clipGradNorm, globalGradNorm } from "../../src/train/optim.js";
import { TrainingError } from "../../src/errors.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";

type TJson = { shape: number[]; data: number[] };
interface AdamCase {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  initial: TJson[];
  steps: { lr: number; grads: number[][]; parameters: number[][] }[];
}
interface ClipCase { maxNorm: number; grads: TJson[]; norm: number; clipped: number[][] }
const fixture = JSON.parse(readFileSync(new URL("../fixtures/training/optim.json", import.meta.url), "utf8")) as {
  adamw: AdamCase[];
  clip: ClipCase[];
};

function f64(t: TJson): Tensor<Float64Array> {
  return { data: Float64Array.from(t.data), shape: t.shape };
}

describe("AdamW vs torch.optim.AdamW", () => {
  fixture.adamw.forEach((c, i) => {
    it(`case ${i} (wd ${c.weightDecay}, betas ${c.betas}): every step within 1e-12 (Float64), 1e-6 (Float32)`, () => {
      for (const dtype of ["f64", "f32"] as const) {
        const params = new Map<string, Tensor<Float64Array | Float32Array>>(
          c.initial.map((t, j) => [`p${j}`, dtype === "f64" ? f64(t) : { data: Float32Array.from(t.data), shape: t.shape }]),
        );
        const opt = new AdamW(params, { lr: 123, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay });
        c.steps.forEach((s, k) => {
          const grads = new Map(s.grads.map((g, j) => [`p${j}`, { data: Float64Array.from(g), shape: c.initial[j]!.shape }]));
          opt.step(grads as Map<string, Tensor<Float64Array | Float32Array>>, s.lr);
          s.parameters.forEach((expected, j) => {
            expectClose(params.get(`p${j}`)!.data, expected, dtype === "f64" ? 1e-12 : 1e-6, `${dtype} step ${k + 1} p${j}`);
          });
        });
        expect(opt.stepCount).toBe(c.steps.length);
      }
    });
  });
  it("rejects a missing or misshapen gradient", () => {
    const params = new Map([["w", { data: new Float32Array(4), shape: [2, 2] }]]);
    const opt = new AdamW(params);
    expect(() => opt.step(new Map())).toThrow(/no gradient for parameter w/);
    expect(() => opt.step(new Map([["w", { data: new Float32Array(4), shape: [4] }]]))).toThrow(/gradient of w is \[4\], parameter is \[2,2\]/);
    expect(() => new AdamW(params, { lr: -1 })).toThrow(TrainingError);
  });
});

describe("clipGradNorm vs torch.nn.utils.clip_grad_norm_", () => {
  fixture.clip.forEach((c) => {
    it(`maxNorm ${c.maxNorm}: norm and clipped gradients within 1e-12`, () => {
      const grads = new Map(c.grads.map((g, j) => [`g${j}`, f64(g)]));
      expectClose([globalGradNorm(grads)], [c.norm], 1e-12, "global norm");
      const norm = clipGradNorm(grads, c.maxNorm);
      expectClose([norm], [c.norm], 1e-12, "total norm");
      c.clipped.forEach((expected, j) => expectClose(grads.get(`g${j}`)!.data, expected, 1e-12, `clipped g${j}`));
    });
  });
  it("rejects maxNorm <= 0", () => {
    expect(() => clipGradNorm(new Map(), 0)).toThrow(/maxNorm must be > 0/);
  });
});
