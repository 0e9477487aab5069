// The worker pool: with 2 and 3 threads every kernel gives the same bits as with 1 thread (the shares of a
// range never split a sum, and a share computes the same numbers on whichever thread claims it), run after
// run; dispose ends the workers. The shapes give some kernels one share per thread and others several.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { split, WasmEngine } from "../../../src/tensor/wasm/engine.js";
import { expectSame, rand } from "./support.js";

const MASK = -3.4028234663852886e38;

/** Runs the same workload on an engine and returns every output it wrote. */
function workload(e: WasmEngine): Float32Array[] {
  const put = (a: Float32Array): number => {
    const p = e.malloc(a.length * 4);
    e.f32(p, a.length).set(a);
    return p;
  };
  const out: Float32Array[] = [];
  const take = (p: number, n: number): void => void out.push(e.f32(p, n).slice());
  // linear over many rows (split by rows: each thread gets whole row blocks, 32 rows at K = 2048) and over
  // 3 rows (split by panels), f32 + GELU, f16, int8
  for (const [N, K] of [[301, 2048], [3, 96]] as const) {
    const O = 200;
    const x = put(rand(N * K, N)), b = put(rand(O, 2));
    for (const dtype of ["f32", "f16", "int8"] as const) {
      const w = e.packWeight(rand(O * K, 3, 0.2), O, K, dtype);
      const y = e.malloc(N * O * 4), pre = e.malloc(N * O * 4);
      e.linear(y, x, w, b, N, 1, pre);
      take(y, N * O);
      take(pre, N * O);
    }
  }
  // attention over 2 × 3 blocks with probs, then its backward
  const B = 2, T = 37, nh = 3, hd = 16, H = nh * hd;
  const mask = new Float32Array(B * T);
  mask.fill(MASK, T + 30, 2 * T);
  const qkv = put(rand(B * T * 3 * H, 5)), m = put(mask);
  const ctx = e.malloc(B * T * H * 4), probs = e.malloc(B * nh * T * T * 4);
  e.attention(ctx, qkv, m, B, T, nh, hd, 0.25, probs);
  take(ctx, B * T * H);
  const dqkv = e.malloc(B * T * 3 * H * 4);
  e.attentionBackward(dqkv, put(rand(B * T * H, 6)), qkv, probs, B, T, nh, hd, 0.25);
  take(dqkv, B * T * 3 * H);
  // attention over 8 × 8 blocks: several shares per thread, each using the scratch of whoever claims it
  {
    const B = 8, T = 19, nh = 8, hd = 8, H = nh * hd;
    const qkv = put(rand(B * T * 3 * H, 16)), m = put(new Float32Array(B * T));
    const ctx = e.malloc(B * T * H * 4);
    e.attention(ctx, qkv, m, B, T, nh, hd, 0.3, 0);
    take(ctx, B * T * H);
  }
  // layer norm forward and backward, gelu, gemm with transposes
  const N = 50, Hn = 70;
  const y = e.malloc(N * Hn * 4), s = e.malloc(N * Hn * 4), mean = e.malloc(N * 4), rstd = e.malloc(N * 4);
  const w = put(rand(Hn, 8)), bb = put(rand(Hn, 9));
  e.addLayerNorm(y, put(rand(N * Hn, 10)), put(rand(N * Hn, 11)), w, bb, N, Hn, 1e-5, s, mean, rstd);
  take(y, N * Hn);
  const dx = e.malloc(N * Hn * 4), dw = e.malloc(Hn * 4), db = e.malloc(Hn * 4);
  e.layerNormBackward(dx, dw, db, put(rand(N * Hn, 12)), s, w, mean, rstd, N, Hn);
  [dx, dw, db].forEach((p, i) => take(p, i === 0 ? N * Hn : Hn));
  const g = e.malloc(N * Hn * 4);
  e.gelu(g, y, N * Hn - 3);
  take(g, N * Hn);
  const c = e.malloc(40 * 33 * 4);
  e.gemm(true, true, 40, 33, 21, put(rand(21 * 40, 13)), 40, put(rand(33 * 21, 14)), 21, c, 33, false);
  take(c, 40 * 33);
  const wide = e.malloc(40 * 300 * 4);
  e.gemm(false, true, 40, 300, 21, put(rand(40 * 21, 17)), 21, put(rand(300 * 21, 18)), 21, wide, 300, false);
  take(wide, 40 * 300);
  // rows split (row blocks of 20 rows at K = 3000), as the backward's dx = dy·W of a long input
  const tall = e.malloc(100 * 33 * 4);
  e.gemm(false, true, 100, 33, 3000, put(rand(100 * 3000, 19)), 3000, put(rand(33 * 3000, 20)), 3000, tall, 33, false);
  take(tall, 100 * 33);
  const sums = put(rand(33, 15));
  e.columnSum(sums, c, 40, 33);
  take(sums, 33);
  return out;
}

let one: WasmEngine;
let reference: Float32Array[];
beforeAll(async () => {
  one = await WasmEngine.create({ threads: 1 });
  reference = workload(one);
});
afterAll(() => one.dispose());

describe("threads", () => {
  it("split cuts a range into equal contiguous parts", () => {
    expect(split(10, 3)).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect(split(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(split(0, 2)).toEqual([[0, 0]]);
  });

  for (const threads of [2, 3]) {
    it(`${threads} threads give the bits of 1 thread, twice in a row`, async () => {
      const e = await WasmEngine.create({ threads });
      try {
        expect(e.threads).toBe(threads);
        for (let run = 0; run < 2; run++) {
          const got = workload(e);
          expect(got.length).toBe(reference.length);
          got.forEach((a, i) => expectSame(a, reference[i]!, `output ${i}, run ${run}`));
        }
      } finally {
        e.dispose();
      }
    });
  }

  it("a disposed engine refuses work", async () => {
    const e = await WasmEngine.create({ threads: 2 });
    e.dispose();
    expect(() => e.gelu(0, 0, 4)).toThrow(/after dispose/);
  });
});
