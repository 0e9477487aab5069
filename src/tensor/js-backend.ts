// The `js` backend: the reference kernels of ops/ over Float32Arrays on the JS heap, on one thread.
// It is what every other backend is tested against, and what runs where WebAssembly SIMD does not.
// Half-size weights are widened exactly inside the product (ops/linear-half.ts); int8 weights use the
// dynamic-quantization reference of the wasm int8 kernel (ops/linear-int8.ts, plain loops: the js int8
// path is a reference, not a speed option). Legend as in backend.ts.
// `new JsBackend({ float64: true })` keeps every activation in Float64 (weights and tables stay Float32):
// the gradient checks run the encoder's backward composition on it by central finite differences.
import { InputError } from "../errors.js";
import type {
  Backend, DeviceArray, DeviceTable, DeviceWeight, HostValues, LayerNormCache, TableDtype, WeightDtype,
} from "./backend.js";
import {
  checkAttention, checkElementwise, checkEmbeddingSum, checkHostValues, checkLayerNorm, checkLinear,
  checkLinearBackward, checkLstmCellBackward, checkLstmCellForward, checkMatmul, checkView,
} from "./backend-checks.js";
import { attentionBackward, attentionForward, attentionNaive } from "./ops/attention.js";
import { gemmAccumulate, gemmTiled, gemmTransBTiled, scratchLike, transposeInto } from "./ops/gemm-kernel.js";
import { geluBackward, geluForward } from "./ops/gelu.js";
import { asFloat32, asHalf, widenBF16Into, widenF16Into, writeFloat32, writeHalf, type HalfBits } from "./ops/half.js";
import { layerNormBackward, layerNormForward } from "./ops/layernorm.js";
import { linearBackward, linearForward, linearNaive } from "./ops/linear.js";
import { linearHalf, linearHalfNaive } from "./ops/linear-half.js";
import { linearInt8, quantizeWeightInt8, type QuantizedWeight } from "./ops/linear-int8.js";
import { lstmCellBackward, lstmCellForward } from "./ops/lstm-cell.js";
import { tanhForward } from "./ops/tanh.js";
import type { FloatArray } from "./tensor.js";

/** A js DeviceArray: a Float32Array (Float64Array in float64 mode) this backend allocated, or a view of one (`parent`). */
class JsArray implements DeviceArray {
  freed = false;
  constructor(public data: FloatArray, readonly parent: JsArray | null = null) {}
  get length(): number {
    return this.data.length;
  }
}

/** A js weight: Float32 values, half-precision bits, or int8 values with per-row scales. */
class JsWeight implements DeviceWeight {
  freed = false;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly dtype: WeightDtype,
    readonly storage: { f32: Float32Array } | { half: HalfBits } | { int8: QuantizedWeight },
  ) {}
  get bytes(): number {
    const s = this.storage;
    return "f32" in s ? s.f32.byteLength : "half" in s ? s.half.bits.byteLength : s.int8.q.byteLength + s.int8.scales.byteLength;
  }
}

/** A js table: Float32 values or half-precision bits, row-major. */
class JsTable implements DeviceTable {
  freed = false;
  constructor(readonly rows: number, readonly cols: number, readonly dtype: TableDtype, readonly data: Float32Array | Uint16Array) {}
  get bytes(): number {
    return this.data.byteLength;
  }
}

const WEIGHT_DTYPES: readonly WeightDtype[] = ["f32", "f16", "bf16", "int8"];
const TABLE_DTYPES: readonly TableDtype[] = ["f32", "f16", "bf16"];

/** `converted`, copied when it is the caller's own array (a conversion that had nothing to do). */
function ownCopy<A extends Float32Array | Uint16Array>(converted: A, values: HostValues): A {
  const given = values instanceof Float32Array ? values : values.bits;
  return (converted === given ? converted.slice() : converted) as A;
}

/** Checks that `a` is a live array of this backend and returns its data. */
function own(fn: string, name: string, a: DeviceArray): FloatArray {
  if (!(a instanceof JsArray)) throw new InputError(`${fn}: ${name} is not an array of the js backend`);
  if (a.freed || a.parent?.freed === true) throw new InputError(`${fn}: ${name} was freed`);
  return a.data;
}

function ownOrNull(fn: string, name: string, a: DeviceArray | null): FloatArray | null {
  return a === null ? null : own(fn, name, a);
}

function ownWeight(fn: string, w: DeviceWeight): JsWeight {
  if (!(w instanceof JsWeight)) throw new InputError(`${fn}: weight is not a weight of the js backend`);
  if (w.freed) throw new InputError(`${fn}: weight was freed`);
  return w;
}

function ownTable(fn: string, name: string, t: DeviceTable): JsTable {
  if (!(t instanceof JsTable)) throw new InputError(`${fn}: ${name} is not a table of the js backend`);
  if (t.freed) throw new InputError(`${fn}: ${name} was freed`);
  return t;
}

/** Row `row` of a table as Float32 into `out` [cols] (half bits widened exactly). */
function tableRow(out: FloatArray, t: JsTable, row: number): void {
  const values = t.data.subarray(row * t.cols, (row + 1) * t.cols);
  if (values instanceof Float32Array) out.set(values);
  else if (t.dtype === "f16") widenF16Into(out as Float32Array, values);
  else widenBF16Into(out as Float32Array, values);
}

/**
 * The pure-TypeScript backend. `jsBackend` is one shared instance; its memory is the garbage-collected heap.
 * `new JsBackend({ naive: true })` runs the products and attention on the naive reference loops instead of
 * the tiled kernels (same numbers up to rounding; the baseline of the benchmarks and of the tests).
 */
export class JsBackend implements Backend {
  readonly name: string;
  readonly threads = 1;
  /** Activations in Float64 (gradient checks); weights and tables then only in f32. */
  readonly float64: boolean;
  private bytesInUse = 0;
  private readonly kernels: {
    linear: typeof linearForward; linearHalf: typeof linearHalf; attention: typeof attentionForward;
  };

  constructor(options: { naive?: boolean; float64?: boolean } = {}) {
    const naive = options.naive === true;
    this.float64 = options.float64 === true;
    this.name = (naive ? "js-naive" : "js") + (this.float64 ? "-f64" : "");
    this.kernels = naive
      ? { linear: linearNaive, linearHalf: linearHalfNaive, attention: attentionNaive }
      : { linear: linearForward, linearHalf, attention: attentionForward };
  }

  alloc(n: number): DeviceArray {
    if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`backend.alloc: size ${n} is not a non-negative integer`);
    const data = this.zeros(n);
    this.bytesInUse += data.byteLength;
    return new JsArray(data);
  }

  upload(values: Float32Array): DeviceArray {
    const data = this.float64 ? Float64Array.from(values) : values.slice();
    this.bytesInUse += data.byteLength;
    return new JsArray(data);
  }

  download(a: DeviceArray, out?: Float32Array): Float32Array {
    const data = own("backend.download", "array", a);
    if (out === undefined) return Float32Array.from(data);
    checkElementwise("backend.download", data.length, [["out", out]]);
    out.set(data);
    return out;
  }

  free(a: DeviceArray): void {
    const data = own("backend.free", "array", a);
    if ((a as JsArray).parent !== null) throw new InputError("backend.free: a view is not freed (free the array it views)");
    this.bytesInUse -= data.byteLength;
    (a as JsArray).freed = true;
    (a as JsArray).data = new Float32Array(0);
  }

  view(a: DeviceArray, offset: number, n: number): DeviceArray {
    const data = own("backend.view", "array", a);
    checkView(a, offset, n);
    const root = (a as JsArray).parent ?? (a as JsArray);
    return new JsArray(data.subarray(offset, offset + n), root);
  }

  /** The values of an array as they are held, Float64 in float64 mode (a copy). */
  downloadFloat64(a: DeviceArray): Float64Array {
    return Float64Array.from(own("backend.downloadFloat64", "array", a));
  }

  private zeros(n: number): FloatArray {
    return this.float64 ? new Float64Array(n) : new Float32Array(n);
  }

  weight(values: HostValues, rows: number, cols: number, dtype: WeightDtype): DeviceWeight {
    checkHostValues("backend.weight", values, rows, cols);
    if (this.float64 && dtype !== "f32") throw new InputError(`backend.weight: the float64 js backend keeps weights in f32, not ${dtype}`);
    if (!WEIGHT_DTYPES.includes(dtype)) throw new InputError(`backend.weight: dtype "${dtype}" is not one of ${WEIGHT_DTYPES.join(", ")}`);
    let w: JsWeight;
    if (dtype === "f32") {
      w = new JsWeight(rows, cols, dtype, { f32: ownCopy(asFloat32(values), values) });
    } else if (dtype === "int8") {
      w = new JsWeight(rows, cols, dtype, { int8: quantizeWeightInt8(asFloat32(values), rows, cols) });
    } else {
      w = new JsWeight(rows, cols, dtype, { half: { bits: ownCopy(asHalf(values, dtype), values), format: dtype } });
    }
    this.bytesInUse += w.bytes;
    return w;
  }

  table(rows: number, cols: number, dtype: TableDtype): DeviceTable {
    checkHostValues("backend.table", { length: rows * cols }, rows, cols);
    if (!TABLE_DTYPES.includes(dtype)) throw new InputError(`backend.table: dtype "${dtype}" is not one of ${TABLE_DTYPES.join(", ")}`);
    if (this.float64 && dtype !== "f32") throw new InputError(`backend.table: the float64 js backend keeps tables in f32, not ${dtype}`);
    const t = new JsTable(rows, cols, dtype, dtype === "f32" ? new Float32Array(rows * cols) : new Uint16Array(rows * cols));
    this.bytesInUse += t.bytes;
    return t;
  }

  writeTable(table: DeviceTable, firstRow: number, values: HostValues): void {
    const t = ownTable("backend.writeTable", "table", table);
    const n = values instanceof Float32Array ? values.length : values.bits.length;
    const rows = n / t.cols;
    if (!Number.isInteger(rows) || !Number.isInteger(firstRow) || firstRow < 0 || firstRow + rows > t.rows) {
      throw new InputError(`backend.writeTable: ${n} values from row ${firstRow} are not whole rows inside the table [${t.rows},${t.cols}]`);
    }
    const rowsOut = t.data.subarray(firstRow * t.cols, (firstRow + rows) * t.cols);
    if (rowsOut instanceof Float32Array) writeFloat32(rowsOut, values);
    else writeHalf(rowsOut, values, t.dtype as "f16" | "bf16");
  }

  freeWeight(w: DeviceWeight | DeviceTable): void {
    if (!(w instanceof JsWeight || w instanceof JsTable)) throw new InputError("backend.freeWeight: not a weight or table of the js backend");
    if (w.freed) throw new InputError("backend.freeWeight: already freed");
    this.bytesInUse -= w.bytes;
    w.freed = true;
  }

  memoryInUse(): number {
    return this.bytesInUse;
  }

  dispose(): void {
    // the garbage collector owns js memory: nothing to release
  }

  linear(y: DeviceArray, x: DeviceArray, w: DeviceWeight, bias: DeviceArray | null, N: number, gelu = false, pre: DeviceArray | null = null): void {
    const fn = "backend.linear";
    checkLinear(y, x, w, bias, N, pre);
    const weight = ownWeight(fn, w);
    const yd = own(fn, "y", y), xd = own(fn, "x", x), b = ownOrNull(fn, "bias", bias);
    const s = weight.storage;
    // y[N,out] = x[N,in] · Wᵀ + bias, W as stored
    // (half and int8 weights exist only in Float32 mode: weight() refuses them in float64 mode)
    if ("f32" in s) this.kernels.linear(yd, xd, s.f32, b, N, w.cols, w.rows);
    else if ("half" in s) this.kernels.linearHalf(yd as Float32Array, xd as Float32Array, s.half, b as Float32Array | null, N, w.cols, w.rows);
    else linearInt8(yd as Float32Array, xd as Float32Array, s.int8, b as Float32Array | null, N, w.cols, w.rows);
    if (!gelu) return;
    if (pre !== null) own(fn, "pre", pre).set(yd);
    geluForward(yd, yd, yd.length);
  }

  attention(ctx: DeviceArray, qkv: DeviceArray, maskAdd: DeviceArray, B: number, T: number, nh: number, hd: number, scale: number, probs: DeviceArray | null, dropMask: DeviceArray | null = null): void {
    const fn = "backend.attention";
    checkAttention(fn, ctx, qkv, maskAdd, probs, B, T, nh, hd, dropMask);
    this.kernels.attention(own(fn, "ctx", ctx), ownOrNull(fn, "probs", probs), own(fn, "qkv", qkv), own(fn, "maskAdd", maskAdd), B, T, nh, hd, scale,
      ownOrNull(fn, "dropMask", dropMask));
  }

  addLayerNorm(y: DeviceArray, x: DeviceArray, r: DeviceArray | null, weight: DeviceArray, bias: DeviceArray, N: number, H: number, eps: number, cache: LayerNormCache | null): void {
    const fn = "backend.addLayerNorm";
    checkLayerNorm(fn, [["y", y], ["x", x], ["r", r]], weight, [["bias", bias]], cache, N, H);
    const xd = own(fn, "x", x);
    const rd = ownOrNull(fn, "r", r);
    // sum = x + r, rounded to Float32 as PyTorch's float32 addition (x itself when there is no r)
    let sum = xd;
    if (rd !== null || cache !== null) {
      sum = cache === null ? this.zeros(N * H) : own(fn, "cache.sum", cache.sum);
      for (let i = 0; i < N * H; i++) sum[i] = rd === null ? xd[i]! : xd[i]! + rd[i]!;
    }
    const mean = cache === null ? null : own(fn, "cache.mean", cache.mean);
    const rstd = cache === null ? null : own(fn, "cache.rstd", cache.rstd);
    layerNormForward(own(fn, "y", y), mean, rstd, sum, own(fn, "weight", weight), own(fn, "bias", bias), N, H, eps);
  }

  embeddingSum(out: DeviceArray, ids: Int32Array, positionIds: Int32Array, word: DeviceTable, position: DeviceTable, tokenType: DeviceTable, N: number): void {
    const fn = "backend.embeddingSum";
    checkEmbeddingSum(out, ids, positionIds, word, position, tokenType, N);
    const o = own(fn, "out", out);
    const wt = ownTable(fn, "word", word), pt = ownTable(fn, "position", position), tt = ownTable(fn, "tokenType", tokenType);
    const H = word.cols;
    const w = this.zeros(H), p = this.zeros(H), t = this.zeros(H);
    const round = this.float64 ? (v: number): number => v : Math.fround;
    tableRow(t, tt, 0);
    // out[n,:] = round(word[ids[n]] + tokenType[0]) + position[positionIds[n]]   (HF's order of additions)
    for (let n = 0; n < N; n++) {
      tableRow(w, wt, ids[n]!);
      tableRow(p, pt, positionIds[n]!);
      for (let h = 0; h < H; h++) o[n * H + h] = round(w[h]! + t[h]!) + p[h]!;
    }
  }

  gelu(y: DeviceArray, x: DeviceArray, n: number): void {
    checkElementwise("backend.gelu", n, [["y", y], ["x", x]]);
    geluForward(own("backend.gelu", "y", y), own("backend.gelu", "x", x), n);
  }

  tanh(y: DeviceArray, x: DeviceArray, n: number): void {
    checkElementwise("backend.tanh", n, [["y", y], ["x", x]]);
    tanhForward(own("backend.tanh", "y", y), own("backend.tanh", "x", x), n);
  }

  mul(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void {
    const fn = "backend.mul";
    checkElementwise(fn, n, [["y", y], ["a", a], ["b", b]]);
    const yd = own(fn, "y", y), ad = own(fn, "a", a), bd = own(fn, "b", b);
    // y = a ⊙ b
    for (let i = 0; i < n; i++) yd[i] = ad[i]! * bd[i]!;
  }

  add(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void {
    const fn = "backend.add";
    checkElementwise(fn, n, [["y", y], ["a", a], ["b", b]]);
    const yd = own(fn, "y", y), ad = own(fn, "a", a), bd = own(fn, "b", b);
    // y = a + b
    for (let i = 0; i < n; i++) yd[i] = ad[i]! + bd[i]!;
  }

  matmul(c: DeviceArray, a: DeviceArray, b: DeviceArray, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    const fn = "backend.matmul";
    checkMatmul(c, a, b, M, N, K, transA, transB);
    const cd = own(fn, "c", c);
    let ad = own(fn, "a", a);
    const bd = own(fn, "b", b);
    // a as [M,K] (aT[m,k] = a[k,m] when transposed), then c (+)= a·b or a·bᵀ
    if (transA) {
      const aT = scratchLike(ad, M * K);
      transposeInto(aT, ad, 0, K, M);
      ad = aT;
    }
    const target = accumulate && transB ? scratchLike(cd, M * N) : cd;
    if (transB) gemmTransBTiled(target, ad, bd, M, K, N, null);
    else if (accumulate) gemmAccumulate(cd, ad, bd, M, K, N);
    else gemmTiled(cd, ad, bd, M, K, N);
    if (target !== cd) for (let i = 0; i < M * N; i++) cd[i]! += target[i]!;
  }

  linearBackward(dx: DeviceArray | null, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray, x: DeviceArray, weight: DeviceArray, N: number, inFeatures: number, outFeatures: number): void {
    const fn = "backend.linearBackward";
    checkLinearBackward(dx, dWeight, dBias, dy, x, weight, N, inFeatures, outFeatures);
    linearBackward(ownOrNull(fn, "dx", dx), ownOrNull(fn, "dWeight", dWeight), ownOrNull(fn, "dBias", dBias),
      own(fn, "dy", dy), own(fn, "x", x), own(fn, "weight", weight), N, inFeatures, outFeatures);
  }

  attentionBackward(dqkv: DeviceArray, dctx: DeviceArray, qkv: DeviceArray, probs: DeviceArray, B: number, T: number, nh: number, hd: number, scale: number, dropMask: DeviceArray | null = null): void {
    const fn = "backend.attentionBackward";
    checkAttention(fn, dctx, qkv, null, probs, B, T, nh, hd, dropMask);
    checkElementwise(fn, qkv.length, [["dqkv", dqkv]]);
    attentionBackward(own(fn, "dqkv", dqkv), own(fn, "dctx", dctx), own(fn, "qkv", qkv), own(fn, "probs", probs), B, T, nh, hd, scale,
      ownOrNull(fn, "dropMask", dropMask));
  }

  layerNormBackward(dx: DeviceArray, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray, cache: LayerNormCache, weight: DeviceArray, N: number, H: number): void {
    const fn = "backend.layerNormBackward";
    checkLayerNorm(fn, [["dx", dx], ["dy", dy]], weight, [["dWeight", dWeight], ["dBias", dBias]], cache, N, H);
    layerNormBackward(own(fn, "dx", dx), ownOrNull(fn, "dWeight", dWeight), ownOrNull(fn, "dBias", dBias), own(fn, "dy", dy),
      own(fn, "cache.sum", cache.sum), own(fn, "cache.mean", cache.mean), own(fn, "cache.rstd", cache.rstd), own(fn, "weight", weight), N, H);
  }

  geluBackward(dx: DeviceArray, dy: DeviceArray, x: DeviceArray, n: number): void {
    const fn = "backend.geluBackward";
    checkElementwise(fn, n, [["dx", dx], ["dy", dy], ["x", x]]);
    geluBackward(own(fn, "dx", dx), own(fn, "dy", dy), own(fn, "x", x), n);
  }

  lstmCellForward(h: DeviceArray, c: DeviceArray, gates: DeviceArray, x: DeviceArray, hPrev: DeviceArray, cPrev: DeviceArray,
    weightIh: DeviceArray, weightHh: DeviceArray, biasIh: DeviceArray, biasHh: DeviceArray, B: number, inputSize: number, hiddenSize: number): void {
    const fn = "backend.lstmCellForward";
    checkLstmCellForward(h, c, gates, x, hPrev, cPrev, weightIh, weightHh, biasIh, biasHh, B, inputSize, hiddenSize);
    lstmCellForward(own(fn, "h", h), own(fn, "c", c), own(fn, "gates", gates), own(fn, "x", x), own(fn, "hPrev", hPrev), own(fn, "cPrev", cPrev),
      own(fn, "weightIh", weightIh), own(fn, "weightHh", weightHh), own(fn, "biasIh", biasIh), own(fn, "biasHh", biasHh), B, inputSize, hiddenSize);
  }

  lstmCellBackward(dx: DeviceArray | null, dhPrev: DeviceArray, dcPrev: DeviceArray, dWeightIh: DeviceArray, dWeightHh: DeviceArray,
    dBiasIh: DeviceArray, dBiasHh: DeviceArray, dh: DeviceArray, dc: DeviceArray, gates: DeviceArray, c: DeviceArray, cPrev: DeviceArray,
    x: DeviceArray, hPrev: DeviceArray, weightIh: DeviceArray, weightHh: DeviceArray, B: number, inputSize: number, hiddenSize: number): void {
    const fn = "backend.lstmCellBackward";
    checkLstmCellBackward(dx, dhPrev, dcPrev, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dh, dc, gates, c, cPrev, x, hPrev, weightIh, weightHh,
      B, inputSize, hiddenSize);
    lstmCellBackward(ownOrNull(fn, "dx", dx), own(fn, "dhPrev", dhPrev), own(fn, "dcPrev", dcPrev), own(fn, "dWeightIh", dWeightIh),
      own(fn, "dWeightHh", dWeightHh), own(fn, "dBiasIh", dBiasIh), own(fn, "dBiasHh", dBiasHh), own(fn, "dh", dh), own(fn, "dc", dc),
      own(fn, "gates", gates), own(fn, "c", c), own(fn, "cPrev", cPrev), own(fn, "x", x), own(fn, "hPrev", hPrev),
      own(fn, "weightIh", weightIh), own(fn, "weightHh", weightHh), B, inputSize, hiddenSize);
  }
}

/** The shared pure-TypeScript backend (one thread). */
export const jsBackend: Backend = new JsBackend();
