// erf, GELU, tanh, sigmoid: PyTorch values incl. |x| = 300, tiny x and ±1000, and finite differences.
import { describe, expect, it } from "vitest";
import { erf, erfc, geluBackward, geluForward } from "../../src/tensor/ops/gelu.js";
import { sigmoid, sigmoidBackward, sigmoidForward } from "../../src/tensor/ops/sigmoid.js";
import { tanhBackward, tanhForward } from "../../src/tensor/ops/tanh.js";
import type { FloatArray } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, loadFixture, randomF64 } from "./support.js";

/** Relative errors (a − e) / |e| (absolute below 1e-30), so that tiny values are judged on their own scale. */
function relErrors(actual: ArrayLike<number>, expected: ArrayLike<number>): Float64Array {
  return Float64Array.from(expected, (e, i) => (actual[i]! - e) / Math.max(Math.abs(e), 1e-30));
}

/** One float32 ulp relative to the value: 2^-23 ≈ 1.19e-7. */
const F32_ULP = 2 ** -23;

describe("erf / erfc on a dense grid (PyTorch, float32-rounded)", () => {
  const c = loadFixture<{ n: number; x: number[]; erf: number[]; erfc: number[] }>("erf");
  it("erf is correctly rounded to float32 within one ulp, tiny x included", () => {
    const ours = c.x.map((x) => Math.fround(erf(x)));
    expectClose(relErrors(ours, c.erf), new Float64Array(c.n), F32_ULP, "erf relative error");
  });
  it("erfc keeps relative accuracy in the tail", () => {
    const ours = c.x.map((x) => Math.fround(erfc(x)));
    expectClose(relErrors(ours, c.erfc), new Float64Array(c.n), F32_ULP, "erfc relative error");
  });
  it("limits and NaN", () => {
    expect([erf(Infinity), erf(-Infinity), erf(0), erfc(Infinity), erfc(-Infinity)]).toEqual([1, -1, 0, 0, 2]);
    expect(erf(NaN)).toBeNaN();
    expect(erfc(NaN)).toBeNaN();
  });
});

interface ElementwiseCase { n: number; x: number[]; y: number[]; dOut: number[]; dx: number[] }
type Forward = (out: FloatArray, x: FloatArray, n: number) => void;
type Backward = (dx: FloatArray, dOut: FloatArray, saved: FloatArray, n: number) => void;

const OPS: { name: string; forward: Forward; backward: Backward; savesOutput: boolean }[] = [
  { name: "gelu", forward: geluForward, backward: geluBackward, savesOutput: false },
  { name: "tanh", forward: tanhForward, backward: tanhBackward, savesOutput: true },
  { name: "sigmoid", forward: sigmoidForward, backward: sigmoidBackward, savesOutput: true },
];

describe("elementwise golden values (PyTorch)", () => {
  const cases = loadFixture<Record<string, ElementwiseCase>>("elementwise");
  for (const op of OPS) {
    it(op.name, () => {
      const c = cases[op.name];
      if (c === undefined) throw new Error(`no fixture for ${op.name}`);
      const x = Float32Array.from(c.x), y = new Float32Array(c.n), dx = new Float32Array(c.n);
      op.forward(y, x, c.n);
      // float32 results vs float32-rounded float64 references: one ulp relative, 1e-37 absolute floor
      expectClose(relErrors(y, c.y).map((r, i) => (Math.abs(c.y[i]!) < 1e-37 ? y[i]! : r)), new Float64Array(c.n), F32_ULP, `${op.name} y`);
      op.backward(dx, Float32Array.from(c.dOut), op.savesOutput ? y : x, c.n);
      expectClose(dx, c.dx, 1e-6, `${op.name} dx`);
      expect(y.every(Number.isFinite) && dx.every(Number.isFinite), `${op.name}: finite`).toBe(true);
    });
  }
});

describe("saturation", () => {
  it("GELU at ±300 is exactly x and 0, with gradients 1 and 0", () => {
    const y = new Float32Array(2), dx = new Float32Array(2), x = Float32Array.from([300, -300]);
    geluForward(y, x, 2);
    geluBackward(dx, Float32Array.from([1, 1]), x, 2);
    expect([y[0], y[1] === 0, dx[0], dx[1] === 0]).toEqual([300, true, 1, true]);
  });
  it("tanh and sigmoid at ±1000", () => {
    const y = new Float64Array(2);
    tanhForward(y, Float64Array.from([1000, -1000]), 2);
    expect(Array.from(y)).toEqual([1, -1]);
    expect([sigmoid(1000), sigmoid(-1000), sigmoid(0)]).toEqual([1, 0, 0.5]);
  });
});

describe("elementwise backward vs finite differences (Float64)", () => {
  const n = 12;
  const x = randomF64(n, 41, 4), dOut = randomF64(n, 42);
  x[0] = 0;
  x[1] = 1e-3;
  for (const op of OPS) {
    it(op.name, () => {
      const forward = (): Float64Array => {
        const y = new Float64Array(n);
        op.forward(y, x, n);
        return y;
      };
      checkGradient(op.name, x, () => dot(forward(), dOut), (g) => op.backward(g, dOut, op.savesOutput ? forward() : x, n));
    });
  }
});
