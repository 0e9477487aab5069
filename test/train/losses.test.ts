// Losses against PyTorch (test/fixtures/make_training_fixtures.py) and finite differences.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bceWithLogitsLoss, crossEntropyLoss, mseLoss } from "../../src/train/losses.js";
import { TrainingError } from "../../src/errors.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { expectClose, numericGradient } from "../helpers.js";

interface LossCase {
  kind: "mse" | "ce" | "bce";
  logits: { shape: number[]; data: number[] };
  targets: number[];
  loss: number;
  dLogits: number[];
}
const cases = JSON.parse(readFileSync(new URL("../fixtures/training/losses.json", import.meta.url), "utf8")) as LossCase[];

const LOSSES = { mse: mseLoss, ce: crossEntropyLoss, bce: bceWithLogitsLoss };

describe("losses vs PyTorch", () => {
  cases.forEach((c, i) => {
    it(`${c.kind} case ${i}: loss and dLogits within 1e-12 (Float64) and 1e-5 (Float32)`, () => {
      const f64: Tensor<Float64Array> = { data: Float64Array.from(c.logits.data), shape: c.logits.shape };
      const r64 = LOSSES[c.kind](f64, c.targets);
      expectClose([r64.loss], [c.loss], 1e-12 * Math.max(1, Math.abs(c.loss)), `${c.kind} loss`);
      expectClose(r64.dLogits.data, c.dLogits, 1e-12, `${c.kind} dLogits`);
      const f32: Tensor<Float32Array> = { data: Float32Array.from(c.logits.data), shape: c.logits.shape };
      const r32 = LOSSES[c.kind](f32, c.targets);
      expect(r32.dLogits.data).toBeInstanceOf(Float32Array);
      expectClose([r32.loss], [c.loss], 1e-5 * Math.max(1, Math.abs(c.loss)), `${c.kind} loss f32`);
      expectClose(r32.dLogits.data, c.dLogits, 1e-5, `${c.kind} dLogits f32`);
    });
  });
});

describe("loss gradients vs central finite differences (Float64)", () => {
  const logits = Float64Array.from([0.3, -1.2, 2.0, 0.7, -0.4, 0.1]);
  const t: Tensor<Float64Array> = { data: logits, shape: [2, 3] };
  const targets = {
    mse: [0.5, 0.1, -1, 2, 0, 0.3],
    ce: [2, 0],
    bce: [1, 0, 1, 0, 0, 1],
  };
  for (const kind of ["mse", "ce", "bce"] as const) {
    it(`${kind}: analytic vs numeric, atol 1e-8`, () => {
      const analytic = LOSSES[kind](t, targets[kind]).dLogits.data;
      const numeric = numericGradient(() => LOSSES[kind](t, targets[kind]).loss, logits);
      expectClose(analytic, numeric, 1e-8, `${kind} gradcheck`);
    });
  }
});

describe("loss input checks", () => {
  const logits: Tensor = { data: new Float32Array(6), shape: [2, 3] };
  it("rejects a class index outside [0, C)", () => {
    expect(() => crossEntropyLoss(logits, [0, 3])).toThrow(/target 3 of row 1 is not a class index in \[0, 3\)/);
  });
  it("rejects targets of the wrong size", () => {
    expect(() => mseLoss(logits, [1, 2])).toThrow(TrainingError);
    expect(() => bceWithLogitsLoss(logits, [1])).toThrow(/need 6/);
  });
  it("rejects an empty batch", () => {
    expect(() => mseLoss({ data: new Float32Array(0), shape: [0, 3] }, [])).toThrow(/N > 0/);
  });
});
