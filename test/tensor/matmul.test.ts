// matmul / matmulTransB / linearForward: fast kernels against the naive references, golden values, errors.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { matmul, matmulNaive, matmulTransB, matmulTransBNaive } from "../../src/tensor/ops/matmul.js";
import { linearForward, linearNaive } from "../../src/tensor/ops/linear.js";
import { expectClose } from "../helpers.js";
import { loadFixture, randomF64, tol } from "./support.js";

// [M,K,N]: sizes that are not multiples of the 3×4 tile, degenerate ones, and a K large enough to force
// several column blocks with a ragged last block.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 3, 17], [3, 17, 1], [17, 33, 65], [65, 17, 33], [33, 65, 3], [4, 8, 12], [6, 5, 7],
  [2, 130, 5], [5, 5000, 30], [3, 0, 4],
];

const DTYPES = [
  { name: "Float32", make: (v: Float64Array) => Float32Array.from(v), atol: 1e-5 },
  { name: "Float64", make: (v: Float64Array) => v, atol: 1e-11 },
] as const;

describe("fast kernels equal the naive references", () => {
  for (const dtype of DTYPES) {
    for (const [M, K, N] of SHAPES) {
      it(`${dtype.name} M=${M} K=${K} N=${N}`, () => {
        const a = dtype.make(randomF64(M * K, 1 + M));
        const b = dtype.make(randomF64(K * N, 2 + N));
        const bias = dtype.make(randomF64(N, 3));
        const fresh = (): Float32Array | Float64Array => dtype.make(new Float64Array(M * N).fill(NaN));
        const scale = dtype.atol * Math.max(1, Math.sqrt(K));
        // fresh NaN-filled outputs for every kernel, so that a kernel that writes nothing fails
        let [ref, fast] = [fresh(), fresh()];
        matmulNaive(ref, a, b, M, K, N);
        matmul(fast, a, b, M, K, N);
        expectClose(fast, ref, scale, "matmul");
        [ref, fast] = [fresh(), fresh()];
        matmulTransBNaive(ref, a, b, M, K, N);
        matmulTransB(fast, a, b, M, K, N);
        expectClose(fast, ref, scale, "matmulTransB");
        [ref, fast] = [fresh(), fresh()];
        linearNaive(ref, a, b, bias, M, K, N);
        linearForward(fast, a, b, bias, M, K, N);
        expectClose(fast, ref, scale, "linearForward");
        [ref, fast] = [fresh(), fresh()];
        linearNaive(ref, a, b, null, M, K, N);
        linearForward(fast, a, b, null, M, K, N);
        expectClose(fast, ref, scale, "linearForward without bias");
      });
    }
  }
});

interface MatmulCase { M: number; K: number; N: number; a: number[]; b: number[]; bT: number[]; out: number[] }

describe("golden values (PyTorch)", () => {
  for (const c of loadFixture<MatmulCase[]>("matmul")) {
    it(`a[${c.M},${c.K}] · b[${c.K},${c.N}]`, () => {
      const makers = [(v: number[]) => Float32Array.from(v), (v: number[]) => Float64Array.from(v)];
      for (const make of makers) {
        // a fresh NaN-filled output per kernel: one that writes nothing cannot pass on another's result
        const fresh = (): Float64Array => new Float64Array(c.M * c.N).fill(NaN);
        const a = make(c.a), b = make(c.b), bT = make(c.bT);
        for (const kernel of [matmul, matmulNaive]) {
          const out = fresh();
          kernel(out, a, b, c.M, c.K, c.N);
          expectClose(out, c.out, tol(c.out), `${kernel.name} golden`);
        }
        for (const kernel of [matmulTransB, matmulTransBNaive]) {
          const out = fresh();
          kernel(out, a, bT, c.M, c.K, c.N);
          expectClose(out, c.out, tol(c.out), `${kernel.name} golden`);
        }
      }
    });
  }
});

describe("size errors", () => {
  it("names the argument and both shapes", () => {
    const a = new Float32Array(6), b = new Float32Array(12), out = new Float32Array(8);
    expect(() => matmul(out, new Float32Array(5), b, 2, 3, 4)).toThrow(InputError);
    expect(() => matmul(out, a, new Float32Array(11), 2, 3, 4)).toThrow(/matmul: b: expected \[K,N\] = \[3,4\] \(12 elements\), got 11/);
    expect(() => matmulTransB(new Float32Array(7), a, b, 2, 3, 4)).toThrow(/matmulTransB: out: expected \[M,N\] = \[2,4\]/);
    expect(() => linearForward(out, a, b, new Float32Array(3), 2, 3, 4)).toThrow(/linearForward: bias: expected \[out\] = \[4\]/);
    expect(() => matmulNaive(out, a, b, 2, 3.5, 4)).toThrow(/not a list of non-negative integers/);
  });
});
