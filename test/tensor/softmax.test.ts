// softmaxForward / softmaxBackward: PyTorch values (±1000, equal inputs, masks), finite differences.
import { describe, expect, it } from "vitest";
import { softmaxBackward, softmaxForward } from "../../src/tensor/ops/softmax.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, loadFixture, randomF64 } from "./support.js";

interface SoftmaxCase {
  rows: number; cols: number; x: number[]; mask: number[]; y: number[]; dOut: number[]; dx: number[];
  yNoMask: number[]; dxNoMask: number[];
}

describe("softmax golden values (PyTorch)", () => {
  const [c] = loadFixture<SoftmaxCase[]>("softmax");
  if (c === undefined) throw new Error("softmax fixture is empty");
  const x = Float32Array.from(c.x), dOut = Float32Array.from(c.dOut);
  for (const masked of [true, false]) {
    it(masked ? "with mask (excluded entries exactly 0)" : "without mask", () => {
      const y = new Float32Array(c.rows * c.cols);
      softmaxForward(y, x, c.rows, c.cols, masked ? Int32Array.from(c.mask) : null);
      expectClose(y, masked ? c.y : c.yNoMask, 1e-6, "y");
      if (masked) c.mask.forEach((m, i) => m === 0 && expect(y[i], `y[${i}] masked`).toBe(0));
      const dx = new Float32Array(c.rows * c.cols);
      softmaxBackward(dx, dOut, y, c.rows, c.cols);
      expectClose(dx, masked ? c.dx : c.dxNoMask, 1e-6, "dx");
    });
  }
  it("equal inputs give exactly uniform rows; ±1000 stays finite", () => {
    const y = new Float64Array(4);
    softmaxForward(y, Float64Array.from([1000, 1000, 1000, 1000]), 1, 4, null);
    expect(Array.from(y)).toEqual([0.25, 0.25, 0.25, 0.25]);
    softmaxForward(y, Float64Array.from([-1000, -1000, 1000, -1000]), 1, 4, null);
    expect(Array.from(y)).toEqual([0, 0, 1, 0]);
  });
  it("a row with nothing kept becomes zeros", () => {
    const y = new Float32Array(6).fill(NaN);
    softmaxForward(y, Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3, [1, 0, 1, 0, 0, 0]);
    expectClose(y.subarray(3), [0, 0, 0], 0, "empty row");
    expectClose(y.subarray(0, 3), [1 / (1 + Math.exp(2)), 0, 1 / (1 + Math.exp(-2))], 1e-7, "kept row");
  });
});

describe("softmaxBackward vs finite differences (Float64)", () => {
  const rows = 3, cols = 5;
  const x = randomF64(rows * cols, 21, 3), dOut = randomF64(rows * cols, 22);
  const mask = [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0];
  for (const m of [null, mask]) {
    it(m === null ? "no mask" : "masked", () => {
      const forward = (): Float64Array => {
        const y = new Float64Array(rows * cols);
        softmaxForward(y, x, rows, cols, m);
        return y;
      };
      checkGradient("dx", x, () => dot(forward(), dOut), (g) => softmaxBackward(g, dOut, forward(), rows, cols));
    });
  }
});
