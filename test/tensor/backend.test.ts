// Every Backend op against the reference kernels of ops/ on the host, for every backend that runs here
// (js, the naive js, wasm×1, wasm×2): memory, weights in each dtype, tables written in chunks, the forward
// ops and the backward ones. Tolerance: 1e-5 relative to the largest magnitude (exact for js).
import { describe, expect, it } from "vitest";
import { InputError, NotSupportedError } from "../../src/errors.js";
import type { DeviceArray } from "../../src/tensor/backend.js";
import { checkBackendOptions, createBackend } from "../../src/tensor/choose-backend.js";
import { jsBackend } from "../../src/tensor/js-backend.js";
import { attentionBackward, attentionForward } from "../../src/tensor/ops/attention.js";
import { geluBackward, geluForward } from "../../src/tensor/ops/gelu.js";
import { narrowBF16, narrowF16, widenBF16, widenF16 } from "../../src/tensor/ops/half.js";
import { layerNormBackward, layerNormForward } from "../../src/tensor/ops/layernorm.js";
import { linearHalf } from "../../src/tensor/ops/linear-half.js";
import { linearInt8, quantizeWeightInt8 } from "../../src/tensor/ops/linear-int8.js";
import { linearBackward, linearForward } from "../../src/tensor/ops/linear.js";
import { lstmCellBackward, lstmCellForward } from "../../src/tensor/ops/lstm-cell.js";
import { matmulNaive } from "../../src/tensor/ops/matmul.js";
import { tanhForward } from "../../src/tensor/ops/tanh.js";
import { wasmBackendSupported } from "../../src/tensor/wasm-backend.js";
import { expectClose } from "../helpers.js";
import { TEST_BACKENDS } from "./backends.js";
import { randomF64, tol } from "./support.js";

const f32 = (n: number, seed: number, scale = 1): Float32Array => Float32Array.from(randomF64(n, seed, scale));
const MASK = -3.4028234663852886e38;

/** 1e-5 relative to the largest magnitude of the expected values. */
const close = (actual: Float32Array, expected: ArrayLike<number>, label: string): void => expectClose(actual, expected, tol(expected, 1e-5), label);

for (const { label, backend, reason } of TEST_BACKENDS) {
  describe.skipIf(backend === null)(`backend ${label}${backend === null ? ` (skipped: ${reason})` : ""}`, () => {
    const be = backend!;
    const up = (a: Float32Array): DeviceArray => be.upload(a);
    const down = (a: DeviceArray): Float32Array => be.download(a);

    it("memory: zero-filled alloc, upload/download round trip, accounting, free", () => {
      const before = be.memoryInUse();
      const z = be.alloc(5);
      expect(Array.from(down(z))).toEqual([0, 0, 0, 0, 0]);
      const values = f32(7, 1);
      const a = up(values);
      expect(a.length).toBe(7);
      expect(Array.from(down(a))).toEqual(Array.from(values));
      const out = new Float32Array(7);
      expect(be.download(a, out)).toBe(out);
      expect(Array.from(out)).toEqual(Array.from(values));
      expect(be.memoryInUse()).toBeGreaterThanOrEqual(before + 48);
      be.free(z);
      be.free(a);
      expect(be.memoryInUse()).toBe(before);
      expect(() => down(a)).toThrow(InputError);
      expect(() => be.gelu(a, a, 7)).toThrow(InputError);
      expect(() => be.download({ length: 3 })).toThrow(InputError);
      expect(() => be.download(up(values), new Float32Array(2))).toThrow(InputError);
    });

    for (const dtype of ["f32", "f16", "bf16", "int8"] as const) {
      it(`linear with a ${dtype} weight (from Float32 values and from half bits), bias, GELU and its pre-activation`, () => {
        const N = 7, fin = 37, fout = 23;
        const x = f32(N * fin, 2), w = f32(fout * fin, 3, 0.3), bias = f32(fout, 4);
        // what the kernel should compute: the reference of the dtype
        const expected = new Float32Array(N * fout);
        if (dtype === "f32") linearForward(expected, x, w, bias, N, fin, fout);
        else if (dtype === "int8") linearInt8(expected, x, quantizeWeightInt8(w, fout, fin), bias, N, fin, fout);
        else linearHalf(expected, x, { bits: dtype === "f16" ? narrowF16(w) : narrowBF16(w), format: dtype }, bias, N, fin, fout);
        const dx = up(x), db = up(bias), y = be.alloc(N * fout), pre = be.alloc(N * fout);
        const weight = be.weight(w, fout, fin, dtype);
        expect([weight.rows, weight.cols, weight.dtype]).toEqual([fout, fin, dtype]);
        be.linear(y, dx, weight, db, N);
        close(down(y), expected, "y");
        be.linear(y, dx, weight, db, N, true, pre);
        close(down(pre), expected, "pre");
        const gelu = new Float32Array(N * fout);
        geluForward(gelu, expected, N * fout);
        close(down(y), gelu, "gelu(y)");
        be.linear(y, dx, weight, null, N);
        const noBias = expected.map((v, i) => Math.fround(v - bias[i % fout]!));
        expectClose(down(y), noBias, 1e-5, "y without bias");
        // half bits as input: f16 bits widen exactly for f32, and are kept as they are for f16
        const bits = { bits: narrowF16(w), format: "f16" as const };
        const fromBits = be.weight(bits, fout, fin, dtype);
        const widened = widenF16(bits.bits);
        const ref = new Float32Array(N * fout);
        if (dtype === "int8") linearInt8(ref, x, quantizeWeightInt8(widened, fout, fin), bias, N, fin, fout);
        else if (dtype === "bf16") linearHalf(ref, x, { bits: narrowBF16(widened), format: "bf16" }, bias, N, fin, fout);
        else linearForward(ref, x, widened, bias, N, fin, fout);
        be.linear(y, dx, fromBits, db, N);
        close(down(y), ref, "y from f16 bits");
        for (const a of [dx, db, y, pre]) be.free(a);
        be.freeWeight(weight);
        be.freeWeight(fromBits);
      });
    }

    it("attention over packed qkv with padding and a fully padded row; probs for backward", () => {
      const B = 3, T = 9, nh = 3, hd = 5, H = nh * hd;
      const qkv = f32(B * T * 3 * H, 5, 2);
      const mask = new Float32Array(B * T);
      mask.fill(MASK, 6, 9); // row 0: 6 real tokens
      mask.fill(MASK, 2 * T, 3 * T); // row 2: none
      const ctx = new Float32Array(B * T * H), probs = new Float32Array(B * nh * T * T);
      attentionForward(ctx, probs, qkv, mask, B, T, nh, hd, 0.4);
      const dctx = be.alloc(B * T * H), dprobs = be.alloc(B * nh * T * T), dqkv = up(qkv);
      be.attention(dctx, dqkv, up(mask), B, T, nh, hd, 0.4, dprobs);
      close(down(dctx), ctx, "ctx");
      close(down(dprobs), probs, "probs");
      // backward
      const g = f32(B * T * H, 6);
      const dq = new Float32Array(B * T * 3 * H).fill(0.5);
      attentionBackward(dq, g, qkv, probs, B, T, nh, hd, 0.4);
      const ddq = up(new Float32Array(B * T * 3 * H).fill(0.5));
      be.attentionBackward(ddq, up(g), dqkv, dprobs, B, T, nh, hd, 0.4);
      close(down(ddq), dq, "dqkv");
    });

    it("addLayerNorm with and without a residual, filling the cache; layerNormBackward", () => {
      const N = 5, H = 19, eps = 1e-5;
      const x = f32(N * H, 7, 3), r = f32(N * H, 8), w = f32(H, 9), b = f32(H, 10);
      const sum = x.map((v, i) => v + r[i]!);
      const y = new Float32Array(N * H), mean = new Float32Array(N), rstd = new Float32Array(N);
      layerNormForward(y, mean, rstd, sum, w, b, N, H, eps);
      const dy = be.alloc(N * H), cache = { sum: be.alloc(N * H), mean: be.alloc(N), rstd: be.alloc(N) };
      const dw = up(w), dbias = up(b);
      be.addLayerNorm(dy, up(x), up(r), dw, dbias, N, H, eps, cache);
      close(down(dy), y, "y");
      close(down(cache.sum), sum, "sum");
      close(down(cache.mean), mean, "mean");
      close(down(cache.rstd), rstd, "rstd");
      const y0 = new Float32Array(N * H);
      layerNormForward(y0, null, null, x, w, b, N, H, eps);
      be.addLayerNorm(dy, up(x), null, dw, dbias, N, H, eps, null);
      close(down(dy), y0, "y without residual");
      // backward, accumulating into buffers that start at 0.5
      const g = f32(N * H, 11);
      const [dx, dW, dB] = [new Float32Array(N * H).fill(0.5), new Float32Array(H).fill(0.5), new Float32Array(H).fill(0.5)];
      layerNormBackward(dx, dW, dB, g, sum, mean, rstd, w, N, H);
      const [ddx, ddW, ddB] = [up(new Float32Array(N * H).fill(0.5)), up(new Float32Array(H).fill(0.5)), up(new Float32Array(H).fill(0.5))];
      be.layerNormBackward(ddx, ddW, ddB, up(g), cache, dw, N, H);
      close(down(ddx), dx, "dx");
      close(down(ddW), dW, "dWeight");
      close(down(ddB), dB, "dBias");
    });

    for (const dtype of ["f32", "f16", "bf16"] as const) {
      it(`embeddingSum over ${dtype} tables written in chunks (from Float32 values and half bits); ids checked`, () => {
        const V = 11, P = 7, H = 6, N = 5;
        const word = f32(V * H, 12), pos = f32(P * H, 13), type = f32(H, 14);
        const round = (v: Float32Array): Float32Array => (dtype === "f16" ? widenF16(narrowF16(v)) : dtype === "bf16" ? widenBF16(narrowBF16(v)) : v);
        const wt = be.table(V, H, dtype), pt = be.table(P, H, dtype), tt = be.table(1, H, dtype);
        be.writeTable(wt, 0, word.subarray(0, 4 * H));
        be.writeTable(wt, 4, word.subarray(4 * H));
        be.writeTable(pt, 0, { bits: narrowF16(pos), format: "f16" });
        be.writeTable(tt, 0, type);
        const ids = Int32Array.from([3, 10, 0, 3, 7]), positions = Int32Array.from([2, 3, 4, 5, 6]);
        const [w, p, t] = [round(word), round(widenF16(narrowF16(pos))), round(type)];
        const expected = new Float32Array(N * H);
        for (let n = 0; n < N; n++) {
          for (let h = 0; h < H; h++) expected[n * H + h] = Math.fround(w[ids[n]! * H + h]! + t[h]!) + p[positions[n]! * H + h]!;
        }
        const out = be.alloc(N * H);
        be.embeddingSum(out, ids, positions, wt, pt, tt, N);
        expect(Array.from(down(out))).toEqual(Array.from(expected));
        expect(() => be.embeddingSum(out, Int32Array.from([0, 1, 11, 0, 0]), positions, wt, pt, tt, N)).toThrow("ids[2] = 11 is outside the word table [11,6]");
        expect(() => be.embeddingSum(out, ids, Int32Array.from([0, 0, 0, 0, 7]), wt, pt, tt, N)).toThrow("positionIds[4] = 7");
        expect(() => be.writeTable(wt, 9, word.subarray(0, 3 * H))).toThrow(InputError);
        expect(() => be.writeTable(wt, 0, word.subarray(0, 5))).toThrow(InputError);
      });
    }

    it("gelu, tanh and geluBackward, in place too", () => {
      const n = 41;
      const x = f32(n, 15, 6);
      x[0] = 300;
      x[1] = -300;
      const [g, t, dx] = [new Float32Array(n), new Float32Array(n), new Float32Array(n).fill(0.5)];
      geluForward(g, x, n);
      tanhForward(t, x, n);
      const dy = f32(n, 16);
      geluBackward(dx, dy, x, n);
      const a = up(x), y = be.alloc(n);
      be.gelu(y, a, n);
      close(down(y), g, "gelu");
      be.tanh(y, a, n);
      close(down(y), t, "tanh");
      be.gelu(a, a, n);
      close(down(a), g, "gelu in place");
      const ddx = up(new Float32Array(n).fill(0.5));
      be.geluBackward(ddx, up(dy), up(x), n);
      close(down(ddx), dx, "geluBackward");
    });

    it("matmul in every transposition, overwriting and accumulating", () => {
      const M = 7, N = 5, K = 9;
      const a = f32(M * K, 17), b = f32(K * N, 18);
      const aT = new Float32Array(K * M), bT = new Float32Array(N * K);
      for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) aT[k * M + i] = a[i * K + k]!;
      for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) bT[j * K + k] = b[k * N + j]!;
      const ref = new Float32Array(M * N);
      matmulNaive(ref, a, b, M, K, N);
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const c = up(new Float32Array(M * N).fill(1));
          const [da, db] = [up(transA ? aT : a), up(transB ? bT : b)];
          be.matmul(c, da, db, M, N, K, transA, transB, true);
          close(down(c), ref.map((v) => v + 1), `accumulate transA ${transA} transB ${transB}`);
          be.matmul(c, da, db, M, N, K, transA, transB, false);
          close(down(c), ref, `transA ${transA} transB ${transB}`);
        }
      }
      expect(() => be.matmul(be.alloc(M * N), up(a), up(b), M, N, K, true, false, false)).not.toThrow();
      expect(() => be.matmul(be.alloc(M * N), up(a), up(b), M, N, K + 1, false, false, false)).toThrow("backend.matmul: a: expected [M,K]");
    });

    it("linearBackward with a Float32 weight, accumulating, nulls allowed", () => {
      const N = 6, fin = 11, fout = 7;
      const x = f32(N * fin, 19), w = f32(fout * fin, 20), dy = f32(N * fout, 21);
      const [dx, dW, dB] = [new Float32Array(N * fin).fill(0.5), new Float32Array(fout * fin).fill(0.5), new Float32Array(fout).fill(0.5)];
      linearBackward(dx, dW, dB, dy, x, w, N, fin, fout);
      const [ddx, ddW, ddB] = [dx, dW, dB].map((a) => up(new Float32Array(a.length).fill(0.5))) as [DeviceArray, DeviceArray, DeviceArray];
      be.linearBackward(ddx, ddW, ddB, up(dy), up(x), up(w), N, fin, fout);
      close(down(ddx), dx, "dx");
      close(down(ddW), dW, "dWeight");
      close(down(ddB), dB, "dBias");
      be.linearBackward(null, null, ddB, up(dy), up(x), up(w), N, fin, fout);
    });

    it("LSTM cell forward and backward", () => {
      const B = 3, I = 5, Hd = 4;
      const x = f32(B * I, 22), hPrev = f32(B * Hd, 23), cPrev = f32(B * Hd, 24);
      const wIh = f32(4 * Hd * I, 25, 0.5), wHh = f32(4 * Hd * Hd, 26, 0.5), bIh = f32(4 * Hd, 27), bHh = f32(4 * Hd, 28);
      const [h, c, gates] = [new Float32Array(B * Hd), new Float32Array(B * Hd), new Float32Array(B * 4 * Hd)];
      lstmCellForward(h, c, gates, x, hPrev, cPrev, wIh, wHh, bIh, bHh, B, I, Hd);
      const dev = [x, hPrev, cPrev, wIh, wHh, bIh, bHh].map(up) as DeviceArray[];
      const [dh_, dc_, dgates] = [be.alloc(B * Hd), be.alloc(B * Hd), be.alloc(B * 4 * Hd)];
      be.lstmCellForward(dh_, dc_, dgates, dev[0]!, dev[1]!, dev[2]!, dev[3]!, dev[4]!, dev[5]!, dev[6]!, B, I, Hd);
      close(down(dh_), h, "h");
      close(down(dc_), c, "c");
      close(down(dgates), gates, "gates");
      const gh = f32(B * Hd, 29), gc = f32(B * Hd, 30);
      const grads = [B * I, B * Hd, B * Hd, 4 * Hd * I, 4 * Hd * Hd, 4 * Hd, 4 * Hd].map((n) => new Float32Array(n).fill(0.5));
      const [gx, ghPrev, gcPrev, gwIh, gwHh, gbIh, gbHh] = grads as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      lstmCellBackward(gx, ghPrev, gcPrev, gwIh, gwHh, gbIh, gbHh, gh, gc, gates, c, cPrev, x, hPrev, wIh, wHh, B, I, Hd);
      const dgrads = grads.map((g) => up(new Float32Array(g.length).fill(0.5)));
      be.lstmCellBackward(dgrads[0]!, dgrads[1]!, dgrads[2]!, dgrads[3]!, dgrads[4]!, dgrads[5]!, dgrads[6]!, up(gh), up(gc), dgates, dc_,
        dev[2]!, dev[0]!, dev[1]!, dev[3]!, dev[4]!, B, I, Hd);
      grads.forEach((g, i) => close(down(dgrads[i]!), g, `gradient ${i}`));
    });

    it("wrong sizes are InputErrors naming the op and the argument", () => {
      const w = be.weight(f32(12, 31), 3, 4, "f32");
      expect(() => be.linear(be.alloc(6), be.alloc(7), w, null, 2)).toThrow("backend.linear: x: expected [N,in] = [2,4] (8 elements), got 7 elements");
      expect(() => be.linear(be.alloc(6), be.alloc(8), w, be.alloc(2), 2)).toThrow("backend.linear: bias: expected [out] = [3]");
      expect(() => be.attention(be.alloc(8), be.alloc(24), be.alloc(3), 1, 4, 1, 2, 1, null)).toThrow("backend.attention: maskAdd");
      expect(() => be.addLayerNorm(be.alloc(6), be.alloc(6), null, be.alloc(2), be.alloc(3), 2, 3, 1e-5, null)).toThrow("backend.addLayerNorm: weight");
      expect(() => be.weight(f32(12, 31), 4, 4, "f32")).toThrow("backend.weight: values: expected [rows,cols] = [4,4]");
      expect(() => be.weight(f32(12, 31), 3, 4, "f8" as "f32")).toThrow(InputError);
    });
  });
}

describe("createBackend", () => {
  it("js is the shared pure-TypeScript backend; auto falls back to it where wasm cannot run", async () => {
    expect(await createBackend("js")).toBe(jsBackend);
    const auto = await createBackend("auto", { threads: 1 });
    expect(auto.name).toBe(wasmBackendSupported() ? "wasm" : "js");
  });
  it.skipIf(!wasmBackendSupported())("without SharedArrayBuffer (a page without cross-origin isolation) wasm runs on 1 thread, with a one-line notice", async () => {
    const saved = globalThis.SharedArrayBuffer;
    const notices: string[] = [];
    Reflect.deleteProperty(globalThis, "SharedArrayBuffer");
    try {
      const backend = await createBackend("wasm", { threads: 2, warn: (m) => notices.push(m) });
      expect(backend.threads).toBe(1);
      expect(notices).toEqual([
        "encoder-pooling: SharedArrayBuffer is unavailable (a page without cross-origin isolation?), so the wasm backend runs on 1 thread instead of 2",
      ]);
      const x = backend.upload(Float32Array.from([0, 1, -1]));
      backend.gelu(x, x, 3);
      expectClose(backend.download(x), [0, 0.8413447, -0.1586553], 1e-6, "gelu on the unshared memory");
      backend.dispose();
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
  });
  it("wasm where it cannot run is a NotSupportedError, never a silent js", async () => {
    if (wasmBackendSupported()) return;
    await expect(createBackend("wasm")).rejects.toThrow(NotSupportedError);
  });
  it("refuses unknown choices and bad thread counts, naming them", async () => {
    await expect(createBackend("gpu" as "js")).rejects.toThrow(`createBackend: backend must be one of "auto", "wasm", "js" or a Backend, got "gpu"`);
    await expect(createBackend("auto", { threads: 0 })).rejects.toThrow("createBackend: threads must be an integer from 1 to 256, got 0");
    expect(() => checkBackendOptions("js", 1.5, "loadModel")).toThrow("loadModel: threads must be an integer from 1 to 256, got 1.5");
    expect(() => checkBackendOptions(undefined, undefined, "loadModel")).toThrow(InputError);
  });
});
