// Half-size and int8 weights: f16 / bf16 widening is exact (every one of the 65536 bit patterns), the f16 and
// bf16 linear layers equal f32 on the widened weights, and the int8 linear layer equals its TS reference
// (ops/linear-int8.ts) bit for bit and stays within a stated tolerance of f32. Embedding sums and LSTM steps too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, widenHalf } from "../../../src/tensor/ops/half.js";
import { linearNaive } from "../../../src/tensor/ops/linear.js";
import { linearInt8, quantizeWeightInt8 } from "../../../src/tensor/ops/linear-int8.js";
import { lstmCellBackward, lstmCellForward } from "../../../src/tensor/ops/lstm-cell.js";
import { geluForward } from "../../../src/tensor/ops/gelu.js";
import { WasmEngine } from "../../../src/tensor/wasm/engine.js";
import { expectClose } from "../../helpers.js";
import { expectRel, get, put, rand } from "./support.js";

let engine: WasmEngine;
beforeAll(async () => {
  engine = await WasmEngine.create();
});
afterAll(() => engine.dispose());

describe("16-bit floats", () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  for (const format of ["f16", "bf16"] as const) {
    it(`${format}: the engine widens all 65536 bit patterns exactly (through embeddingSum)`, () => {
      // word = the patterns, position and token type = 0: out = word + 0 + 0
      const word = engine.table({ bits: all, format }, 65536, 1, format);
      const zero = engine.table(new Float32Array(1), 1, 1, "f32");
      const ids = put(engine, Int32Array.from(all)), pos = put(engine, new Int32Array(65536));
      const out = engine.malloc(65536 * 4);
      engine.embeddingSum(out, ids, pos, word, zero, zero, 65536);
      const got = get(engine, out, 65536);
      const widen = format === "f16" ? f16ToF32 : bf16ToF32;
      for (let i = 0; i < 65536; i++) {
        const want = widen(i) + 0;
        if (Number.isNaN(want)) expect(Number.isNaN(got[i]!), `bits ${i}`).toBe(true);
        else if (got[i] !== want) expect(got[i], `bits 0x${i.toString(16)}`).toBe(want);
      }
    });
  }
  it("narrowing rounds to nearest even and round-trips every finite half", () => {
    for (let i = 0; i < 65536; i++) {
      const v = f16ToF32(i);
      if (Number.isFinite(v) && !Object.is(v, -0)) expect(f32ToF16(v), `f16 0x${i.toString(16)}`).toBe(i);
      const b = bf16ToF32(i);
      if (!Number.isNaN(b)) expect(f32ToBf16(b), `bf16 0x${i.toString(16)}`).toBe(i);
    }
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // a tie: to even (1.0)
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16(65520)).toBe(0x7c00); // rounds past the largest half: inf
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
  });
});

describe("linear with f16, bf16 and int8 weights", () => {
  const shapes: [number, number, number][] = [[37, 768, 99], [1, 5, 3], [11, 64, 16]];
  for (const [N, K, O] of shapes) {
    for (const dtype of ["f16", "bf16"] as const) {
      it(`${dtype}: N=${N} in=${K} out=${O} equals f32 on the widened weights (GELU fused)`, () => {
        const x = rand(N * K, 1), w = rand(O * K, 2, 0.1), b = rand(O, 3);
        const bits = { bits: Uint16Array.from(w, dtype === "f16" ? f32ToF16 : f32ToBf16), format: dtype };
        const ref = new Float32Array(N * O);
        linearNaive(ref, x, widenHalf(bits.bits, dtype), b, N, K, O);
        geluForward(ref, Float32Array.from(ref), N * O);
        const pw = engine.packWeight(bits, O, K, dtype);
        expect(pw.bytes).toBe(Math.ceil(O / 8) * 8 * K * 2);
        const py = engine.malloc(N * O * 4);
        engine.linear(py, put(engine, x), pw, put(engine, b), N, 1, 0);
        expectRel(get(engine, py, N * O), ref, 1e-5, "y");
        // packing from f32 values rounds them to the dtype first: the same result
        const pw2 = engine.packWeight(w, O, K, dtype);
        engine.linear(py, put(engine, x), pw2, put(engine, b), N, 1, 0);
        expectRel(get(engine, py, N * O), ref, 1e-5, "y from f32");
      });
    }
    it(`int8: N=${N} in=${K} out=${O} equals ops/linear-int8.ts exactly, and f32 within 2% of max |y|`, () => {
      const x = rand(N * K, 4), w = rand(O * K, 5, 0.1), b = rand(O, 6);
      x[0] = 0; // a zero and a whole zero row (scale 0)
      if (N > 2) x.fill(0, K, 2 * K);
      const ref = new Float32Array(N * O), f32 = new Float32Array(N * O);
      linearInt8(ref, x, quantizeWeightInt8(w, O, K), b, N, K, O);
      linearNaive(f32, x, w, b, N, K, O);
      const pw = engine.packWeight(w, O, K, "int8");
      const py = engine.malloc(N * O * 4);
      engine.linear(py, put(engine, x), pw, put(engine, b), N, 0, 0);
      const got = get(engine, py, N * O);
      expectClose(got, ref, 0, "y (int8 reference)");
      expectRel(got, f32, 0.02, "y (f32)");
    });
  }
});

describe("lstm cell forward and backward", () => {
  for (const [B, In, Hid] of [[3, 5, 4], [1, 7, 6], [4, 16, 9]] as const) {
    it(`B=${B} in=${In} hid=${Hid}`, () => {
      const G = 4 * Hid;
      const x = rand(B * In, 1), hPrev = rand(B * Hid, 2), cPrev = rand(B * Hid, 3, 2);
      const wih = rand(G * In, 4, 0.5), whh = rand(G * Hid, 5, 0.5), bih = rand(G, 6), bhh = rand(G, 7);
      const h = new Float32Array(B * Hid), c = new Float32Array(B * Hid), gates = new Float32Array(B * G);
      lstmCellForward(h, c, gates, x, hPrev, cPrev, wih, whh, bih, bhh, B, In, Hid);
      const p = [x, hPrev, cPrev, wih, whh, bih, bhh].map((a) => put(engine, a)) as number[];
      const ph = engine.malloc(B * Hid * 4), pc = engine.malloc(B * Hid * 4), pg = engine.malloc(B * G * 4);
      engine.lstmCellForward(ph, pc, pg, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, B, In, Hid);
      expectRel(get(engine, ph, B * Hid), h, 1e-5, "h");
      expectRel(get(engine, pc, B * Hid), c, 1e-5, "c");
      expectRel(get(engine, pg, B * G), gates, 1e-5, "gates");
      // backward into non-zero gradient buffers
      const dh = rand(B * Hid, 8), dc = rand(B * Hid, 9);
      const starts = [rand(B * In, 10), rand(B * Hid, 11), rand(B * Hid, 12), rand(G * In, 13), rand(G * Hid, 14), rand(G, 15), rand(G, 16)];
      const ref = starts.map((a) => Float32Array.from(a));
      lstmCellBackward(ref[0]!, ref[1]!, ref[2]!, ref[3]!, ref[4]!, ref[5]!, ref[6]!, dh, dc, gates, c, cPrev, x, hPrev, wih, whh, B, In, Hid);
      const g = starts.map((a) => put(engine, a));
      engine.lstmCellBackward(g[0]!, g[1]!, g[2]!, g[3]!, g[4]!, g[5]!, g[6]!, put(engine, dh), put(engine, dc), pg, pc, p[2]!, p[0]!, p[1]!, p[3]!, p[4]!, B, In, Hid);
      ["dx", "dhPrev", "dcPrev", "dWeightIh", "dWeightHh", "dBiasIh", "dBiasHh"].forEach((name, i) =>
        expectRel(get(engine, g[i]!, ref[i]!.length), ref[i]!, 1e-5, name));
    });
  }
});

describe("embeddingSum", () => {
  it("f32 and bf16 tables, HF's order of additions", () => {
    const V = 50, P = 20, H = 13, N = 9;
    const word = rand(V * H, 1), position = rand(P * H, 2), tt = rand(H, 3);
    const ids = Int32Array.from({ length: N }, (_, i) => (i * 7) % V), pos = Int32Array.from({ length: N }, (_, i) => 2 + i);
    const ref = new Float32Array(N * H);
    for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) {
      ref[n * H + h] = Math.fround(word[ids[n]! * H + h]! + tt[h]!) + position[pos[n]! * H + h]!;
    }
    const out = engine.malloc(N * H * 4);
    const tables = [engine.table(word, V, H, "f32"), engine.table(position, P, H, "f32"), engine.table(tt, 1, H, "f32")] as const;
    engine.embeddingSum(out, put(engine, ids), put(engine, pos), ...tables, N);
    expectClose(get(engine, out, N * H), ref, 0, "f32 tables");
    const wb = Uint16Array.from(word, f32ToBf16);
    const refB = new Float32Array(N * H);
    for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) {
      refB[n * H + h] = Math.fround(bf16ToF32(wb[ids[n]! * H + h]!) + tt[h]!) + position[pos[n]! * H + h]!;
    }
    engine.embeddingSum(out, put(engine, ids), put(engine, pos), engine.table({ bits: wb, format: "bf16" }, V, H, "bf16"), tables[1], tables[2], N);
    expectClose(get(engine, out, N * H), refB, 0, "bf16 word table");
  });
});
