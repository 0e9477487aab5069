// Every WasmEngine kernel against the pure-TS reference in src/tensor/ops/, on realistic and odd shapes.
// Tolerances: 1e-5 relative to the largest reference magnitude unless said; exact where the math is exact.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attentionBackward, attentionForward } from "../../../src/tensor/ops/attention.js";
import { geluBackward, geluForward } from "../../../src/tensor/ops/gelu.js";
import { layerNormBackward, layerNormForward } from "../../../src/tensor/ops/layernorm.js";
import { linearNaive } from "../../../src/tensor/ops/linear.js";
import { matmulNaive } from "../../../src/tensor/ops/matmul.js";
import { tanhForward } from "../../../src/tensor/ops/tanh.js";
import { wasmSimdSupported, WasmEngine } from "../../../src/tensor/wasm/engine.js";
import { expectClose } from "../../helpers.js";
import { expectRel, get, put, rand } from "./support.js";

const MASK = -3.4028234663852886e38;
let engine: WasmEngine;
beforeAll(async () => {
  engine = await WasmEngine.create();
});
afterAll(() => engine.dispose());

it("SIMD is detected on this host", () => expect(wasmSimdSupported()).toBe(true));

describe("linear (f32 packed GEMM, fused bias and GELU)", () => {
  // [N, in, out]: roberta-base-like, sizes off the 4×8 tile, N = 1, K = 1, out < 8
  const shapes: [number, number, number][] = [[37, 768, 99], [1, 13, 8], [5, 8, 16], [23, 1, 7], [64, 33, 3], [130, 64, 257]];
  for (const [N, K, O] of shapes) {
    for (const act of [0, 1] as const) {
      it(`N=${N} in=${K} out=${O}${act ? " + GELU" : ""}`, () => {
        const x = rand(N * K, N + K), w = rand(O * K, O, 0.2), b = rand(O, 7);
        const ref = new Float32Array(N * O);
        linearNaive(ref, x, w, b, N, K, O);
        const pw = engine.packWeight(w, O, K, "f32");
        const px = put(engine, x), pb = put(engine, b), py = engine.malloc(N * O * 4), pre = engine.malloc(N * O * 4);
        engine.linear(py, px, pw, pb, N, act, act ? pre : 0);
        if (act) {
          expectRel(get(engine, pre, N * O), ref, 1e-5, "pre-activation");
          geluForward(ref, Float32Array.from(ref), N * O);
        }
        expectRel(get(engine, py, N * O), ref, 1e-5, "y");
        // no bias
        linearNaive(ref, x, w, null, N, K, O);
        engine.linear(py, px, pw, 0, N, 0, 0);
        expectRel(get(engine, py, N * O), ref, 1e-5, "y without bias");
        for (const p of [px, pb, py, pre]) engine.free(p);
        engine.freeWeight(pw);
      });
    }
  }
});

describe("gemm (strided, transposes, accumulate)", () => {
  // [37, 19, 3000]: several row blocks of op(A) (20 rows each at K = 3000), the last one partial
  for (const [M, N, K] of [[7, 9, 5], [33, 17, 64], [1, 1, 1], [12, 40, 3], [37, 19, 3000]] as const) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`M=${M} N=${N} K=${K} transA=${transA} transB=${transB}, accumulate`, () => {
          const a = rand(M * K, 1), b = rand(K * N, 2), c0 = rand(M * N, 3);
          // the reference on the plain layouts; the engine gets them transposed where asked (with padded leading dims)
          const ref = new Float32Array(M * N);
          matmulNaive(ref, a, b, M, K, N);
          for (let i = 0; i < M * N; i++) ref[i] = ref[i]! + c0[i]!;
          const lda = (transA ? M : K) + 2, ldb = (transB ? K : N) + 1, ldc = N + 3;
          const A = new Float32Array((transA ? K : M) * lda), B = new Float32Array((transB ? N : K) * ldb), C = new Float32Array(M * ldc);
          for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) A[transA ? k * lda + i : i * lda + k] = a[i * K + k]!;
          for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) B[transB ? j * ldb + k : k * ldb + j] = b[k * N + j]!;
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) C[i * ldc + j] = c0[i * N + j]!;
          const pa = put(engine, A), pb = put(engine, B), pc = put(engine, C);
          engine.gemm(transA, transB, M, N, K, pa, lda, pb, ldb, pc, ldc, true);
          const out = get(engine, pc, M * ldc);
          const got = new Float32Array(M * N);
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) got[i * N + j] = out[i * ldc + j]!;
          expectRel(got, ref, 1e-5, "C");
          // the padding columns of C are untouched
          for (let i = 0; i < M; i++) expect(out[i * ldc + N]).toBe(0);
          [pa, pb, pc].forEach((p) => engine.free(p));
        });
      }
    }
  }
});

describe("columnSum", () => {
  for (const [rows, cols] of [[7, 13], [1, 1], [300, 8], [3, 5]] as const) {
    it(`[${rows},${cols}] accumulates column sums`, () => {
      const x = rand(rows * cols, rows), out0 = rand(cols, cols);
      const ref = Float32Array.from(out0);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ref[c] = ref[c]! + x[r * cols + c]!;
      const po = put(engine, out0);
      engine.columnSum(po, put(engine, x), rows, cols);
      expectRel(get(engine, po, cols), ref, 1e-5, "out");
    });
  }
});

describe("elementwise: gelu, gelu backward, tanh", () => {
  // ±300 (saturation), the erf pieces' boundaries, tiny values, and a random spread; n = 4k + 3
  const edges = [0, -0, 1e-30, -1e-30, 300, -300, 8.49, -8.49, 8.5, -8.5, 13, -13, 1.06, -1.06, 2.12, -2.12, 3.54, -3.54, 5.66, -5.66];
  const x = Float32Array.from([...edges, ...rand(403, 5, 12)]);
  const n = x.length;
  it("gelu equals ops/gelu.ts within 1e-6 relative per element (or 1e-37 absolute)", () => {
    const ref = new Float32Array(n);
    geluForward(ref, x, n);
    const px = put(engine, x), py = engine.malloc(n * 4);
    engine.gelu(py, px, n);
    const got = get(engine, py, n);
    for (let i = 0; i < n; i++) {
      const tolerance = Math.max(1e-6 * Math.abs(ref[i]!), 1e-37);
      expect(Math.abs(got[i]! - ref[i]!), `gelu(${x[i]}) = ${got[i]}, reference ${ref[i]}`).toBeLessThanOrEqual(tolerance);
    }
  });
  it("gelu backward accumulates dy · gelu'(x)", () => {
    const dy = rand(n, 6), dx0 = rand(n, 7);
    const ref = Float32Array.from(dx0);
    geluBackward(ref, dy, x, n);
    const pdx = put(engine, dx0), pdy = put(engine, dy), px = put(engine, x);
    engine.geluBackward(pdx, pdy, px, n);
    expectRel(get(engine, pdx, n), ref, 1e-6, "dx");
  });
  it("tanh within 1e-6 relative per element", () => {
    const t = Float32Array.from([...x, 1e-4, -1e-4, 0.55, -0.55, 0.549, 20, -20, 100]);
    const ref = new Float32Array(t.length);
    tanhForward(ref, t, t.length);
    const pt = put(engine, t), py = engine.malloc(t.length * 4);
    engine.tanh(py, pt, t.length);
    const got = get(engine, py, t.length);
    for (let i = 0; i < t.length; i++) expect(Math.abs(got[i]! - ref[i]!), `tanh(${t[i]})`).toBeLessThanOrEqual(1e-6 * Math.abs(ref[i]!) + 1e-37);
  });
});

describe("addLayerNorm and layerNormBackward", () => {
  for (const [N, H] of [[5, 768], [3, 7], [1, 1], [9, 33]] as const) {
    it(`N=${N} H=${H}: forward with residual (saving sum, mean, rstd) and without; backward`, () => {
      const x = rand(N * H, 1, 3), r = rand(N * H, 2), w = rand(H, 3), b = rand(H, 4);
      x[0] = x[0]! + 1000; // a row with a large offset
      const s = new Float32Array(N * H);
      for (let i = 0; i < N * H; i++) s[i] = x[i]! + r[i]!;
      const ref = new Float32Array(N * H), mean = new Float32Array(N), rstd = new Float32Array(N);
      layerNormForward(ref, mean, rstd, s, w, b, N, H, 1e-5);
      const [px, pr, pw, pb] = [x, r, w, b].map((a) => put(engine, a)) as [number, number, number, number];
      const py = engine.malloc(N * H * 4), ps = engine.malloc(N * H * 4), pm = engine.malloc(N * 4), prs = engine.malloc(N * 4);
      engine.addLayerNorm(py, px, pr, pw, pb, N, H, 1e-5, ps, pm, prs);
      expectRel(get(engine, py, N * H), ref, 1e-5, "y");
      expectClose(get(engine, ps, N * H), s, 0, "sum");
      expectRel(get(engine, pm, N), mean, 1e-6, "mean");
      expectRel(get(engine, prs, N), rstd, 1e-5, "rstd");
      // without residual or saved values (y computed through itself)
      const ref2 = new Float32Array(N * H);
      layerNormForward(ref2, null, null, x, w, b, N, H, 1e-5);
      engine.addLayerNorm(py, px, 0, pw, pb, N, H, 1e-5, 0, 0, 0);
      expectRel(get(engine, py, N * H), ref2, 1e-5, "y without residual");
      // backward, accumulating into non-zero buffers
      const dy = rand(N * H, 9), dx0 = rand(N * H, 10), dw0 = rand(H, 11), db0 = rand(H, 12);
      const [dx, dw, db] = [Float32Array.from(dx0), Float32Array.from(dw0), Float32Array.from(db0)];
      layerNormBackward(dx, dw, db, dy, s, mean, rstd, w, N, H);
      const [pdx, pdw, pdb, pdy] = [dx0, dw0, db0, dy].map((a) => put(engine, a)) as [number, number, number, number];
      engine.layerNormBackward(pdx, pdw, pdb, pdy, ps, pw, pm, prs, N, H);
      expectRel(get(engine, pdx, N * H), dx, 1e-5, "dx");
      expectRel(get(engine, pdw, H), dw, 1e-5, "dw");
      expectRel(get(engine, pdb, H), db, 1e-5, "db");
    });
  }
});

describe("attention (fused per (batch, head) block) and its backward", () => {
  // [B, T, nh, hd]: T = 1, odd T, hd off the tile width, a realistic block
  const shapes: [number, number, number, number][] = [[2, 5, 3, 4], [1, 1, 2, 8], [3, 13, 2, 12], [1, 64, 2, 64], [2, 9, 1, 3]];
  for (const [B, T, nh, hd] of shapes) {
    it(`B=${B} T=${T} nh=${nh} hd=${hd}, masked keys and an all-masked row`, () => {
      const H = nh * hd;
      const qkv = rand(B * T * 3 * H, B + T, 1.5);
      const mask = new Float32Array(B * T);
      if (T > 2) mask[T - 1] = MASK; // batch 0: its last key is padding
      if (B > 1) mask.fill(MASK, T, 2 * T); // batch 1: every key is padding (uniform rows)
      const scale = 1 / Math.sqrt(hd);
      const ctx = new Float32Array(B * T * H), probs = new Float32Array(B * nh * T * T);
      attentionForward(ctx, probs, qkv, mask, B, T, nh, hd, scale);
      const pq = put(engine, qkv), pm = put(engine, mask), pc = engine.malloc(ctx.length * 4), pp = engine.malloc(probs.length * 4);
      engine.attention(pc, pq, pm, B, T, nh, hd, scale, pp);
      expectRel(get(engine, pc, ctx.length), ctx, 1e-5, "ctx");
      expectRel(get(engine, pp, probs.length), probs, 1e-6, "probs");
      const pc2 = engine.malloc(ctx.length * 4);
      engine.attention(pc2, pq, pm, B, T, nh, hd, scale, 0);
      expectClose(get(engine, pc2, ctx.length), get(engine, pc, ctx.length), 0, "ctx without probs");
      // backward into a non-zero dqkv
      const dctx = rand(ctx.length, 3), d0 = rand(qkv.length, 4);
      const dqkv = Float32Array.from(d0);
      attentionBackward(dqkv, dctx, qkv, probs, B, T, nh, hd, scale);
      const pd = put(engine, d0), pdc = put(engine, dctx);
      engine.attentionBackward(pd, pdc, pq, pp, B, T, nh, hd, scale);
      expectRel(get(engine, pd, qkv.length), dqkv, 1e-5, "dqkv");
    });
  }
  it("softmax inputs of ±1000 stay finite", () => {
    const B = 1, T = 6, nh = 1, hd = 4, H = 4;
    const qkv = new Float32Array(B * T * 3 * H);
    for (let t = 0; t < T; t++) for (let d = 0; d < hd; d++) {
      qkv[t * 3 * H + d] = t % 2 === 0 ? 31.6 : -31.6;
      qkv[t * 3 * H + H + d] = (t % 3) - 1 === 0 ? 7.9 : 31.6 * ((t % 3) - 1);
      qkv[t * 3 * H + 2 * H + d] = t + d;
    }
    const ctx = new Float32Array(T * H), probs = new Float32Array(T * T);
    attentionForward(ctx, probs, qkv, new Float32Array(T), B, T, nh, hd, 0.25);
    const pc = engine.malloc(T * H * 4), pp = engine.malloc(T * T * 4);
    engine.attention(pc, put(engine, qkv), put(engine, new Float32Array(T)), B, T, nh, hd, 0.25, pp);
    expect(Math.max(...Array.from(probs, Math.abs))).toBeLessThanOrEqual(1);
    expectRel(get(engine, pp, T * T), probs, 1e-6, "probs");
    expectRel(get(engine, pc, T * H), ctx, 1e-5, "ctx");
  });
});
