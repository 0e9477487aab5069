// linearForward / linearBackward against PyTorch and finite differences; the fast linearBackward against
// linearBackwardNaive on odd sizes, with non-zero (accumulating) and null gradient buffers.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { linearBackward, linearBackwardNaive, linearForward } from "../../src/tensor/ops/linear.js";
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
  it("linearBackwardNaive: dx, dWeight", () => {
    checkGradient("naive dx", x, loss, (g) => linearBackwardNaive(g, null, null, dOut, x, w, N, fin, fout));
    checkGradient("naive dWeight", w, loss, (g) => linearBackwardNaive(null, g, null, dOut, x, w, N, fin, fout));
  });
});

// [N,in,out]: odd sizes around the 3×4 tile; N = 1, 2 (the row-loop path of dx); out = 1, 2 (the row-loop
// path of dWeight, as in the attention pooler's Linear(A→1)); N = 600 (ragged 256-row packing chunks); zeros.
const BACKWARD_SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 5], [2, 5, 7], [3, 4, 1], [7, 9, 5], [13, 17, 2], [17, 33, 65], [600, 7, 5], [257, 3, 13],
  [0, 3, 4], [3, 0, 4], [3, 4, 0],
];

const DTYPES = [
  { name: "Float32", make: (v: Float64Array): Float32Array | Float64Array => Float32Array.from(v), rel: 2e-6 },
  { name: "Float64", make: (v: Float64Array): Float32Array | Float64Array => v, rel: 1e-13 },
] as const;

/** Which rows of dOut are zeroed, as padding tokens are: none (dense path), every third one, or all. */
const ZERO_ROWS = [
  { name: "dense", zero: (): boolean => false },
  { name: "every 3rd row zero", zero: (n: number): boolean => n % 3 === 1 },
  { name: "all rows zero", zero: (): boolean => true },
] as const;

describe("linearBackward equals linearBackwardNaive, accumulating into non-zero buffers", () => {
  for (const dtype of DTYPES) {
    for (const [N, fin, fout] of BACKWARD_SHAPES) {
      for (const rows of ZERO_ROWS) {
        it(`${dtype.name} N=${N} in=${fin} out=${fout}, ${rows.name}`, () => {
          const x = dtype.make(randomF64(N * fin, 21 + N)), w = dtype.make(randomF64(fout * fin, 22 + fin));
          const dOut = dtype.make(randomF64(N * fout, 23 + fout));
          for (let n = 0; n < N; n++) if (rows.zero(n)) dOut.fill(0, n * fout, (n + 1) * fout);
          // gradient buffers start non-zero, so an overwrite instead of += fails
          const start = (n: number, seed: number) => (): Float32Array | Float64Array => dtype.make(randomF64(n, seed));
          const [dx0, dW0, dB0] = [start(N * fin, 24), start(fout * fin, 25), start(fout, 26)];
          const ref = [dx0(), dW0(), dB0()] as const, fast = [dx0(), dW0(), dB0()] as const;
          linearBackwardNaive(ref[0], ref[1], ref[2], dOut, x, w, N, fin, fout);
          linearBackward(fast[0], fast[1], fast[2], dOut, x, w, N, fin, fout);
          // rounding grows with the reduction length: N for dWeight and dBias, out for dx
          const atol = (len: number): number => dtype.rel * Math.max(1, len);
          expectClose(fast[0], ref[0], atol(fout), "dx");
          expectClose(fast[1], ref[1], atol(N), "dWeight");
          expectClose(fast[2], ref[2], atol(N), "dBias");
        });
      }
    }
  }
});

describe("linearBackward skips null gradient buffers", () => {
  const N = 5, fin = 6, fout = 7;
  const x = randomF64(N * fin, 31), w = randomF64(fout * fin, 32), dOut = randomF64(N * fout, 33);
  for (let wanted = 0; wanted < 8; wanted++) {
    const [wantDx, wantDW, wantDB] = [(wanted & 1) !== 0, (wanted & 2) !== 0, (wanted & 4) !== 0];
    it(`dx ${wantDx ? "given" : "null"}, dWeight ${wantDW ? "given" : "null"}, dBias ${wantDB ? "given" : "null"}`, () => {
      const all = [new Float64Array(N * fin).fill(1), new Float64Array(fout * fin).fill(1), new Float64Array(fout).fill(1)] as const;
      linearBackwardNaive(all[0], all[1], all[2], dOut, x, w, N, fin, fout);
      const some = [wantDx ? new Float64Array(N * fin).fill(1) : null, wantDW ? new Float64Array(fout * fin).fill(1) : null,
        wantDB ? new Float64Array(fout).fill(1) : null] as const;
      linearBackward(some[0], some[1], some[2], dOut, x, w, N, fin, fout);
      if (some[0] !== null) expectClose(some[0], all[0], 1e-12, "dx");
      if (some[1] !== null) expectClose(some[1], all[1], 1e-12, "dWeight");
      if (some[2] !== null) expectClose(some[2], all[2], 1e-12, "dBias");
    });
  }
});

describe("linearBackward size errors", () => {
  it("names the function, the buffer and its expected shape", () => {
    const x = new Float32Array(6), w = new Float32Array(12), dOut = new Float32Array(8);
    expect(() => linearBackward(new Float32Array(5), null, null, dOut, x, w, 2, 3, 4)).toThrow(InputError);
    expect(() => linearBackward(null, new Float32Array(11), null, dOut, x, w, 2, 3, 4))
      .toThrow(/linearBackward: dWeight: expected \[out,in\] = \[4,3\] \(12 elements\), got 11/);
    expect(() => linearBackwardNaive(null, null, null, new Float32Array(7), x, w, 2, 3, 4))
      .toThrow(/linearBackwardNaive: dOut: expected \[N,out\] = \[2,4\]/);
  });
});
