// linearForward / linearBackward against PyTorch and finite differences.
import { describe, it } from "vitest";
import { linearBackward, linearForward } from "../../src/tensor/ops/linear.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, loadFixture, randomF64, tol } from "./support.js";

interface LinearCase {
  N: number; in: number; out: number; x: number[]; weight: number[]; bias: number[] | null;
  y: number[]; dOut: number[]; dx: number[]; dWeight: number[]; dBias: number[] | null;
}

describe("linear golden values (PyTorch)", () => {
  for (const c of loadFixture<LinearCase[]>("linear")) {
    it(`x[${c.N},${c.in}] -> y[${c.N},${c.out}], bias ${c.bias !== null}`, () => {
      const x = Float32Array.from(c.x), w = Float32Array.from(c.weight);
      const bias = c.bias === null ? null : Float32Array.from(c.bias);
      const y = new Float32Array(c.N * c.out);
      linearForward(y, x, w, bias, c.N, c.in, c.out);
      expectClose(y, c.y, tol(c.y), "y");
      const dx = new Float32Array(c.N * c.in), dW = new Float32Array(c.out * c.in);
      const dB = c.dBias === null ? null : new Float32Array(c.out);
      linearBackward(dx, dW, dB, Float32Array.from(c.dOut), x, w, c.N, c.in, c.out);
      expectClose(dx, c.dx, tol(c.dx), "dx");
      expectClose(dW, c.dWeight, tol(c.dWeight), "dWeight");
      if (c.dBias !== null && dB !== null) expectClose(dB, c.dBias, tol(c.dBias), "dBias");
    });
  }
});

describe("linearBackward vs finite differences (Float64)", () => {
  const N = 3, fin = 5, fout = 4;
  const x = randomF64(N * fin, 11), w = randomF64(fout * fin, 12), b = randomF64(fout, 13), dOut = randomF64(N * fout, 14);
  const loss = (): number => {
    const y = new Float64Array(N * fout);
    linearForward(y, x, w, b, N, fin, fout);
    return dot(y, dOut);
  };
  it("dx", () => checkGradient("dx", x, loss, (g) => linearBackward(g, null, null, dOut, x, w, N, fin, fout)));
  it("dWeight", () => checkGradient("dWeight", w, loss, (g) => linearBackward(null, g, null, dOut, x, w, N, fin, fout)));
  it("dBias", () => checkGradient("dBias", b, loss, (g) => linearBackward(null, null, g, dOut, x, w, N, fin, fout)));
});
