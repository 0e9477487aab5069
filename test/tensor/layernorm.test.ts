// layerNormForward / layerNormBackward against PyTorch (biased variance, eps inside sqrt) and finite differences.
import { describe, it } from "vitest";
import { layerNormBackward, layerNormForward } from "../../src/tensor/ops/layernorm.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, loadFixture, randomF64, tol } from "./support.js";

interface LayerNormCase {
  rows: number; cols: number; eps: number; x: number[]; weight: number[]; bias: number[];
  y: number[]; mean: number[]; rstd: number[]; dOut: number[]; dx: number[]; dWeight: number[]; dBias: number[];
}

describe("layer norm golden values (PyTorch)", () => {
  for (const c of loadFixture<LayerNormCase[]>("layernorm")) {
    it(`[${c.rows},${c.cols}] eps=${c.eps}`, () => {
      const { rows, cols } = c;
      const x = Float32Array.from(c.x), w = Float32Array.from(c.weight), b = Float32Array.from(c.bias);
      const y = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
      layerNormForward(y, mean, rstd, x, w, b, rows, cols, c.eps);
      expectClose(y, c.y, tol(c.y), "y");
      expectClose(mean, c.mean, tol(c.mean), "mean");
      expectClose(rstd, c.rstd, tol(c.rstd), "rstd");
      const dx = new Float32Array(rows * cols), dW = new Float32Array(cols), dB = new Float32Array(cols);
      layerNormBackward(dx, dW, dB, Float32Array.from(c.dOut), x, mean, rstd, w, rows, cols);
      // row 0 sits at +100: its mean cached in a Float32Array is off by up to 100 · 2^-24 ≈ 6e-6, which
      // shifts xhat by that much, so dx and dWeight are compared at 2e-5 (the Float64 check below is tight)
      expectClose(dx, c.dx, 2e-5, "dx");
      expectClose(dW, c.dWeight, 2e-5, "dWeight");
      expectClose(dB, c.dBias, tol(c.dBias), "dBias");
    });
  }
});

describe("layerNormBackward vs finite differences (Float64)", () => {
  const rows = 3, cols = 6, eps = 1e-5;
  const x = randomF64(rows * cols, 31, 2), w = randomF64(cols, 32), b = randomF64(cols, 33), dOut = randomF64(rows * cols, 34);
  const mean = new Float64Array(rows), rstd = new Float64Array(rows);
  const loss = (): number => {
    const y = new Float64Array(rows * cols);
    layerNormForward(y, mean, rstd, x, w, b, rows, cols, eps);
    return dot(y, dOut);
  };
  const backward = (dx: Float64Array, dW: Float64Array | null, dB: Float64Array | null): void => {
    loss();
    layerNormBackward(dx, dW, dB, dOut, x, mean, rstd, w, rows, cols);
  };
  const scratch = (): Float64Array => new Float64Array(rows * cols);
  it("dx", () => checkGradient("dx", x, loss, (g) => backward(g, null, null)));
  it("dWeight", () => checkGradient("dWeight", w, loss, (g) => backward(scratch(), g, null)));
  it("dBias", () => checkGradient("dBias", b, loss, (g) => backward(scratch(), null, g)));
});
