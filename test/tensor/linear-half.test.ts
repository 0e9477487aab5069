// linearHalf (f16/bf16 weight widened a block of rows at a time) equals linearForward on the widened
// weight bit for bit, and linearHalfNaive within rounding; the conversions of ops/half.ts are exact.
import { describe, expect, it } from "vitest";
import { narrowBF16, narrowF16, widenBF16, widenF16 } from "../../src/tensor/ops/half.js";
import { linearHalf, linearHalfNaive } from "../../src/tensor/ops/linear-half.js";
import { linearForward } from "../../src/tensor/ops/linear.js";
import { expectClose } from "../helpers.js";
import { randomF64 } from "./support.js";

// [N,in,out]: odd sizes, a single row, and out × in large enough for several 64K-element blocks
const SHAPES: [number, number, number][] = [[1, 1, 1], [1, 7, 5], [5, 3, 13], [7, 33, 17], [4, 300, 500], [2, 70000, 2]];

describe("linearHalf", () => {
  for (const format of ["f16", "bf16"] as const) {
    for (const [N, fin, fout] of SHAPES) {
      it(`${format}: x[${N},${fin}] -> y[${N},${fout}], with and without bias`, () => {
        const x = Float32Array.from(randomF64(N * fin, 1 + fin));
        const w32 = Float32Array.from(randomF64(fout * fin, 2 + fout, 0.5));
        const bits = format === "f16" ? narrowF16(w32) : narrowBF16(w32);
        const widened = format === "f16" ? widenF16(bits) : widenBF16(bits);
        const bias = Float32Array.from(randomF64(fout, 3));
        for (const b of [bias, null]) {
          const [fast, ref, naive] = [new Float32Array(N * fout), new Float32Array(N * fout), new Float32Array(N * fout)];
          linearHalf(fast, x, { bits, format }, b, N, fin, fout);
          linearForward(ref, x, widened, b, N, fin, fout);
          expect(Array.from(fast), "bit-identical to linearForward on the widened weight").toEqual(Array.from(ref));
          if (fin <= 300) {
            linearHalfNaive(naive, x, { bits, format }, b, N, fin, fout);
            expectClose(fast, naive, 1e-5 * Math.sqrt(fin), "linearHalfNaive");
          }
        }
      });
    }
  }
  it("refuses a weight of the wrong size", () => {
    expect(() => linearHalf(new Float32Array(2), new Float32Array(3), { bits: new Uint16Array(5), format: "f16" }, null, 1, 3, 2)).toThrow(
      "linearHalf: weight: expected [out,in] = [2,3] (6 elements), got 5 elements",
    );
  });
});

describe("half-precision round trips", () => {
  it("every f16 and bf16 bit pattern widens and narrows back to itself (NaNs stay NaN)", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    for (const [widen, narrow] of [[widenF16, narrowF16], [widenBF16, narrowBF16]] as const) {
      const wide = widen(all);
      const back = narrow(wide);
      const backWide = widen(back);
      const wrong = [...all].filter((i) => (Number.isNaN(wide[i]!) ? !Number.isNaN(backWide[i]!) : back[i] !== i));
      expect(wrong).toEqual([]);
    }
  });
});
