// attentionForward (packed qkv, one [T,T] block at a time) against attentionNaive and a direct
// per-head softmax(q·kᵀ·scale + mask)·v; attentionBackward against finite differences in Float64.
// The PyTorch golden values of the whole encoder (test/encoder) cover it end to end.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { attentionBackward, attentionForward, attentionNaive } from "../../src/tensor/ops/attention.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, randomF64 } from "./support.js";

const MASK = -3.4028234663852886e38;

/** maskAdd [B,T] from real-token lengths per row (0 = a fully padded row). */
function maskFor(lengths: number[], T: number, make: (v: Float64Array) => Float32Array | Float64Array): Float32Array | Float64Array {
  const m = new Float64Array(lengths.length * T);
  lengths.forEach((len, b) => m.fill(MASK, b * T + len, (b + 1) * T));
  return make(m);
}

// [B,T,nh,hd, real lengths per row]: odd sizes around the 3×4 tile, T = 1, hd = 1, padded and empty rows
const SHAPES: [number, number, number, number, number[]][] = [
  [1, 1, 1, 1, [1]], [1, 5, 2, 3, [5]], [2, 7, 3, 5, [7, 4]], [3, 13, 2, 8, [13, 1, 0]], [2, 33, 4, 16, [33, 20]],
];

const DTYPES = [
  { name: "Float32", make: (v: Float64Array): Float32Array | Float64Array => Float32Array.from(v), atol: 2e-6 },
  { name: "Float64", make: (v: Float64Array): Float32Array | Float64Array => v, atol: 1e-13 },
] as const;

describe("attentionForward vs attentionNaive", () => {
  for (const [B, T, nh, hd, lengths] of SHAPES) {
    for (const dtype of DTYPES) {
      it(`B ${B}, T ${T}, ${nh} heads of ${hd}, lengths ${lengths.join("/")}, ${dtype.name}`, () => {
        const H = nh * hd;
        const qkv = dtype.make(randomF64(B * T * 3 * H, 7 + T, 2));
        const mask = maskFor(lengths, T, dtype.make);
        const scale = 1 / Math.sqrt(hd);
        const fresh = (n: number): Float32Array | Float64Array => dtype.make(new Float64Array(n));
        const [ctx, ref, probs, probsRef] = [fresh(B * T * H), fresh(B * T * H), fresh(B * nh * T * T), fresh(B * nh * T * T)];
        attentionForward(ctx, probs, qkv, mask, B, T, nh, hd, scale);
        attentionNaive(ref, probsRef, qkv, mask, B, T, nh, hd, scale);
        expectClose(ctx, ref, dtype.atol, "ctx");
        expectClose(probs, probsRef, dtype.atol, "probs");
        // without probs the same ctx
        const ctx2 = fresh(B * T * H);
        attentionForward(ctx2, null, qkv, mask, B, T, nh, hd, scale);
        expect(Array.from(ctx2)).toEqual(Array.from(ctx));
        // every probability row sums to 1; padding keys get exactly 0 unless the whole row is padding
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < nh; h++) {
            for (let i = 0; i < T; i++) {
              const row = probs.subarray(((b * nh + h) * T + i) * T, ((b * nh + h) * T + i + 1) * T);
              expect(Math.abs(Array.from(row).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
              if (lengths[b]! > 0) for (let j = lengths[b]!; j < T; j++) expect(row[j]).toBe(0);
            }
          }
        }
      });
    }
  }

  it("matches a direct per-head computation, heads side by side in ctx", () => {
    const B = 1, T = 3, nh = 2, hd = 2, H = 4;
    const qkv = randomF64(B * T * 3 * H, 3);
    const ctx = new Float64Array(B * T * H);
    attentionForward(ctx, null, qkv, new Float64Array(B * T), B, T, nh, hd, 0.5);
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < T; i++) {
        const q = (t: number, part: number, d: number): number => qkv[t * 3 * H + part * H + h * hd + d]!;
        const s = [0, 1, 2].map((j) => 0.5 * (q(i, 0, 0) * q(j, 1, 0) + q(i, 0, 1) * q(j, 1, 1)));
        const e = s.map((v) => Math.exp(v - Math.max(...s)));
        const p = e.map((v) => v / e.reduce((a, c) => a + c, 0));
        for (let d = 0; d < hd; d++) {
          const expected = p.reduce((acc, pj, j) => acc + pj * q(j, 2, d), 0);
          expect(Math.abs(ctx[i * H + h * hd + d]! - expected)).toBeLessThan(1e-14);
        }
      }
    }
  });

  it("a fully padded row in Float32 attends uniformly, as HF (float32's minimum swallows the scores)", () => {
    const B = 1, T = 4, nh = 1, hd = 2;
    const qkv = Float32Array.from(randomF64(B * T * 3 * hd, 5, 3));
    const probs = new Float32Array(T * T);
    attentionForward(new Float32Array(T * hd), probs, qkv, Float32Array.from(new Array(T).fill(MASK)), B, T, nh, hd, 1);
    expect(Array.from(probs)).toEqual(new Array(T * T).fill(0.25));
  });

  it("refuses arrays of the wrong size, naming them", () => {
    const ctx = new Float32Array(2 * 3 * 4);
    expect(() => attentionForward(ctx, null, new Float32Array(5), new Float32Array(6), 2, 3, 2, 2, 1)).toThrow(InputError);
    expect(() => attentionForward(ctx, null, new Float32Array(72), new Float32Array(5), 2, 3, 2, 2, 1)).toThrow("attentionForward: maskAdd: expected [B,T] = [2,3]");
    expect(() => attentionForward(ctx, new Float32Array(3), new Float32Array(72), new Float32Array(6), 2, 3, 2, 2, 1)).toThrow("probs: expected [B,nh,T,T] = [2,2,3,3]");
  });
});

describe("attentionBackward vs finite differences (Float64)", () => {
  for (const [B, T, nh, hd, lengths] of [[1, 3, 1, 2, [3]], [2, 4, 2, 3, [4, 2]], [2, 5, 3, 1, [5, 3]]] as const) {
    it(`B ${B}, T ${T}, ${nh} heads of ${hd}, lengths ${lengths.join("/")}`, () => {
      const H = nh * hd;
      const qkv = randomF64(B * T * 3 * H, 40 + T, 1.5);
      const mask = maskFor([...lengths], T, (v) => v);
      const dctx = randomF64(B * T * H, 41 + T);
      const scale = 1 / Math.sqrt(hd);
      const loss = (): number => {
        const ctx = new Float64Array(B * T * H);
        attentionForward(ctx, null, qkv, mask, B, T, nh, hd, scale);
        return dot(ctx, dctx);
      };
      checkGradient("dqkv", qkv, loss, (g) => {
        const probs = new Float64Array(B * nh * T * T);
        attentionForward(new Float64Array(B * T * H), probs, qkv, mask, B, T, nh, hd, scale);
        attentionBackward(g, dctx, qkv, probs, B, T, nh, hd, scale);
      }, 1e-7);
    });
  }
});
