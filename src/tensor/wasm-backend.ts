// The `wasm` backend: the Backend interface over the WasmEngine of wasm/engine.ts (WebAssembly SIMD kernels
// on one WebAssembly.Memory, split across worker threads). Handles are pointers into that memory; every
// argument is checked here as for any backend (backend-checks.ts), then handed to the engine as pointers.
// Memory the garbage collector cannot see: handles dropped without free() are freed when collected
// (a FinalizationRegistry), so a model that is never disposed does not leak its weights.
// Legend as in backend.ts.
import { InputError, NotSupportedError } from "../errors.js";
import type {
  Backend, BackendOptions, DeviceArray, DeviceTable, DeviceWeight, HostValues, LayerNormCache, TableDtype, WeightDtype,
} from "./backend.js";
import {
  checkAttention, checkElementwise, checkEmbeddingSum, checkHostValues, checkLayerNorm, checkLinear,
  checkLinearBackward, checkLstmCellBackward, checkLstmCellForward, checkMatmul, checkView,
} from "./backend-checks.js";
import { attentionBackward, attentionForward } from "./ops/attention.js";
import { writeFloat32, writeHalf } from "./ops/half.js";
import { WasmEngine, wasmSimdSupported, type PackedWeight, type Table } from "./wasm/engine.js";
import { threadPlatform } from "./wasm/pool.js";

const WEIGHT_DTYPES: readonly WeightDtype[] = ["f32", "f16", "bf16", "int8"];
const TABLE_DTYPES: readonly TableDtype[] = ["f32", "f16", "bf16"];

/** A Float32 array in the engine's memory: [length] floats at byte offset ptr; a view has the array it views as `parent`. */
class WasmArray implements DeviceArray {
  freed = false;
  constructor(readonly owner: WasmBackend, readonly ptr: number, readonly length: number, readonly parent: WasmArray | null = null) {}
}

class WasmWeight implements DeviceWeight {
  freed = false;
  constructor(readonly owner: WasmBackend, readonly packed: PackedWeight, readonly bytes: number) {}
  get rows(): number { return this.packed.rows; }
  get cols(): number { return this.packed.cols; }
  get dtype(): WeightDtype { return this.packed.dtype; }
}

class WasmTable implements DeviceTable {
  freed = false;
  constructor(readonly owner: WasmBackend, readonly table: Table, readonly bytes: number) {}
  get rows(): number { return this.table.rows; }
  get cols(): number { return this.table.cols; }
  get dtype(): TableDtype { return this.table.dtype; }
}

/** True where WebAssembly SIMD validates (the engine's own probe). */
export function wasmBackendSupported(): boolean {
  return wasmSimdSupported();
}

/**
 * A wasm backend on `threads` threads (default: every core). Where threads cannot share memory (no
 * SharedArrayBuffer: a browser page without cross-origin isolation) or cannot start (no Web Workers, e.g. the
 * core entry in Node — src/node.ts installs worker_threads), it runs on 1, with a one-line notice.
 * @example const backend = await createWasmBackend({ threads: 2 });
 */
export async function createWasmBackend(options: BackendOptions = {}): Promise<Backend> {
  if (!wasmSimdSupported()) throw new NotSupportedError(`backend "wasm": WebAssembly SIMD is not available here`);
  const platform = threadPlatform();
  const wanted = options.threads ?? platform?.cores ?? 1;
  const canShare = typeof SharedArrayBuffer !== "undefined";
  if (wanted > 1 && !canShare) {
    (options.warn ?? console.warn)(
      `encoder-pooling: SharedArrayBuffer is unavailable (a page without cross-origin isolation?), so the wasm backend runs on 1 thread instead of ${wanted}`,
    );
  } else if (wanted > 1 && platform === null) {
    (options.warn ?? console.warn)(
      `encoder-pooling: no Web Workers here (in Node, import "encoder-pooling" rather than "encoder-pooling/core"), so the wasm backend runs on 1 thread instead of ${wanted}`,
    );
  }
  return new WasmBackend(await WasmEngine.create({ threads: canShare && platform !== null ? wanted : 1 }));
}

/** The Backend over one WasmEngine. */
export class WasmBackend implements Backend {
  readonly name = "wasm";
  private bytesInUse = 0;
  private disposed = false;
  /** Frees what a dropped handle held: [pointers]. */
  private readonly collector = new FinalizationRegistry<number[]>((ptrs) => {
    if (!this.disposed) for (const p of ptrs) this.engine.free(p);
  });

  constructor(readonly engine: WasmEngine) {}

  get threads(): number {
    return this.engine.threads;
  }

  /** True once dispose() has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  // ---- memory -------------------------------------------------------------------------------------

  private track<H extends object>(handle: H, ptrs: number[], bytes: number): H {
    if (this.disposed) throw new InputError("backend: used after dispose()");
    this.bytesInUse += bytes;
    this.collector.register(handle, ptrs, handle);
    return handle;
  }

  private release(handle: { freed: boolean }, ptrs: number[], bytes: number): void {
    this.collector.unregister(handle);
    for (const p of ptrs) this.engine.free(p);
    this.bytesInUse -= bytes;
    handle.freed = true;
  }

  private own(fn: string, name: string, a: DeviceArray): number {
    if (!(a instanceof WasmArray) || a.owner !== this) throw new InputError(`${fn}: ${name} is not an array of this wasm backend`);
    if (a.freed || a.parent?.freed === true) throw new InputError(`${fn}: ${name} was freed`);
    return a.ptr;
  }

  /** The pointer of an optional array, 0 for none (the engine's null). */
  private ownOrZero(fn: string, name: string, a: DeviceArray | null): number {
    return a === null ? 0 : this.own(fn, name, a);
  }

  alloc(n: number): DeviceArray {
    if (!Number.isSafeInteger(n) || n < 0) throw new InputError(`backend.alloc: size ${n} is not a non-negative integer`);
    const ptr = this.engine.malloc(4 * n);
    return this.track(new WasmArray(this, ptr, n), [ptr], 4 * n);
  }

  upload(values: Float32Array): DeviceArray {
    const a = this.alloc(values.length) as WasmArray;
    this.engine.f32(a.ptr, values.length).set(values);
    return a;
  }

  download(a: DeviceArray, out?: Float32Array): Float32Array {
    const ptr = this.own("backend.download", "array", a);
    const target = out ?? new Float32Array(a.length);
    checkElementwise("backend.download", a.length, [["out", target]]);
    target.set(this.engine.f32(ptr, a.length));
    return target;
  }

  free(a: DeviceArray): void {
    const ptr = this.own("backend.free", "array", a);
    if ((a as WasmArray).parent !== null) throw new InputError("backend.free: a view is not freed (free the array it views)");
    this.release(a as WasmArray, [ptr], 4 * a.length);
  }

  view(a: DeviceArray, offset: number, n: number): DeviceArray {
    const ptr = this.own("backend.view", "array", a);
    checkView(a, offset, n);
    const root = (a as WasmArray).parent ?? (a as WasmArray);
    return new WasmArray(this, ptr + 4 * offset, n, root);
  }

  weight(values: HostValues, rows: number, cols: number, dtype: WeightDtype): DeviceWeight {
    checkHostValues("backend.weight", values, rows, cols);
    if (!WEIGHT_DTYPES.includes(dtype)) throw new InputError(`backend.weight: dtype "${dtype}" is not one of ${WEIGHT_DTYPES.join(", ")}`);
    // the engine converts what is not yet in the form of `dtype` (the loader hands it over already converted)
    const packed = this.engine.packWeight(values, rows, cols, dtype);
    const ptrs = packed.scales === 0 ? [packed.ptr] : [packed.ptr, packed.scales];
    const bytes = packed.bytes + (dtype === "int8" ? 4 * rows : 0); // int8: the per-row scales too
    return this.track(new WasmWeight(this, packed, bytes), ptrs, bytes);
  }

  table(rows: number, cols: number, dtype: TableDtype): DeviceTable {
    checkHostValues("backend.table", { length: rows * cols }, rows, cols);
    if (!TABLE_DTYPES.includes(dtype)) throw new InputError(`backend.table: dtype "${dtype}" is not one of ${TABLE_DTYPES.join(", ")}`);
    // a Table is row-major elements of its dtype at ptr, so rows can be written in place chunk by chunk
    const bytes = rows * cols * (dtype === "f32" ? 4 : 2);
    const ptr = this.engine.malloc(bytes);
    return this.track(new WasmTable(this, { ptr, rows, cols, dtype }, bytes), [ptr], bytes);
  }

  writeTable(table: DeviceTable, firstRow: number, values: HostValues): void {
    const t = this.ownTable("backend.writeTable", "table", table);
    const n = values instanceof Float32Array ? values.length : values.bits.length;
    const rows = n / t.cols;
    if (!Number.isInteger(rows) || !Number.isInteger(firstRow) || firstRow < 0 || firstRow + rows > t.rows) {
      throw new InputError(`backend.writeTable: ${n} values from row ${firstRow} are not whole rows inside the table [${t.rows},${t.cols}]`);
    }
    // converted straight into the table's rows in engine memory
    const { ptr, cols, dtype } = t.table;
    if (dtype === "f32") writeFloat32(this.engine.f32(ptr + 4 * firstRow * cols, n), values);
    else writeHalf(new Uint16Array(this.engine.memory.buffer, ptr + 2 * firstRow * cols, n), values, dtype);
  }

  freeWeight(w: DeviceWeight | DeviceTable): void {
    if (!((w instanceof WasmWeight || w instanceof WasmTable) && w.owner === this)) {
      throw new InputError("backend.freeWeight: not a weight or table of this wasm backend");
    }
    if (w.freed) throw new InputError("backend.freeWeight: already freed");
    if (w instanceof WasmWeight) {
      const { ptr, scales } = w.packed;
      this.release(w, scales === 0 ? [ptr] : [ptr, scales], w.bytes);
    } else {
      this.release(w, [w.table.ptr], w.bytes);
    }
  }

  memoryInUse(): number {
    return this.bytesInUse;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
  }

  private ownWeight(fn: string, w: DeviceWeight): PackedWeight {
    if (!(w instanceof WasmWeight) || w.owner !== this) throw new InputError(`${fn}: weight is not a weight of this wasm backend`);
    if (w.freed) throw new InputError(`${fn}: weight was freed`);
    return w.packed;
  }

  private ownTable(fn: string, name: string, t: DeviceTable): WasmTable {
    if (!(t instanceof WasmTable) || t.owner !== this) throw new InputError(`${fn}: ${name} is not a table of this wasm backend`);
    if (t.freed) throw new InputError(`${fn}: ${name} was freed`);
    return t;
  }

  /** Int32 values copied into engine memory for the length of `use`. */
  private withInts(values: Int32Array[], use: (ptrs: number[]) => void): void {
    const ptrs = values.map((v) => {
      const p = this.engine.malloc(4 * v.length);
      this.engine.i32(p, v.length).set(v);
      return p;
    });
    try {
      use(ptrs);
    } finally {
      for (const p of ptrs) this.engine.free(p);
    }
  }

  // ---- forward ------------------------------------------------------------------------------------

  linear(y: DeviceArray, x: DeviceArray, w: DeviceWeight, bias: DeviceArray | null, N: number, gelu = false, pre: DeviceArray | null = null): void {
    const fn = "backend.linear";
    checkLinear(y, x, w, bias, N, pre);
    const packed = this.ownWeight(fn, w);
    this.engine.linear(this.own(fn, "y", y), this.own(fn, "x", x), packed, this.ownOrZero(fn, "bias", bias), N,
      gelu ? 1 : 0, gelu ? this.ownOrZero(fn, "pre", pre) : 0);
  }

  attention(ctx: DeviceArray, qkv: DeviceArray, maskAdd: DeviceArray, B: number, T: number, nh: number, hd: number, scale: number, probs: DeviceArray | null, dropMask: DeviceArray | null = null): void {
    const fn = "backend.attention";
    checkAttention(fn, ctx, qkv, maskAdd, probs, B, T, nh, hd, dropMask);
    if (dropMask !== null) {
      // attention dropout (training only) has no wasm kernel yet: the js kernel runs on views of the memory
      const v = (name: string, a: DeviceArray): Float32Array => this.engine.f32(this.own(fn, name, a), a.length);
      attentionForward(v("ctx", ctx), probs === null ? null : v("probs", probs), v("qkv", qkv), v("maskAdd", maskAdd), B, T, nh, hd, scale, v("dropMask", dropMask));
      return;
    }
    this.engine.attention(this.own(fn, "ctx", ctx), this.own(fn, "qkv", qkv), this.own(fn, "maskAdd", maskAdd), B, T, nh, hd, scale,
      this.ownOrZero(fn, "probs", probs));
  }

  addLayerNorm(y: DeviceArray, x: DeviceArray, r: DeviceArray | null, weight: DeviceArray, bias: DeviceArray, N: number, H: number, eps: number, cache: LayerNormCache | null): void {
    const fn = "backend.addLayerNorm";
    checkLayerNorm(fn, [["y", y], ["x", x], ["r", r]], weight, [["bias", bias]], cache, N, H);
    this.engine.addLayerNorm(this.own(fn, "y", y), this.own(fn, "x", x), this.ownOrZero(fn, "r", r), this.own(fn, "weight", weight),
      this.own(fn, "bias", bias), N, H, eps, cache === null ? 0 : this.own(fn, "cache.sum", cache.sum),
      cache === null ? 0 : this.own(fn, "cache.mean", cache.mean), cache === null ? 0 : this.own(fn, "cache.rstd", cache.rstd));
  }

  embeddingSum(out: DeviceArray, ids: Int32Array, positionIds: Int32Array, word: DeviceTable, position: DeviceTable, tokenType: DeviceTable, N: number): void {
    const fn = "backend.embeddingSum";
    checkEmbeddingSum(out, ids, positionIds, word, position, tokenType, N);
    const o = this.own(fn, "out", out);
    const [w, p, t] = [this.ownTable(fn, "word", word), this.ownTable(fn, "position", position), this.ownTable(fn, "tokenType", tokenType)];
    this.withInts([ids, positionIds], ([idsPtr, posPtr]) => this.engine.embeddingSum(o, idsPtr!, posPtr!, w.table, p.table, t.table, N));
  }

  gelu(y: DeviceArray, x: DeviceArray, n: number): void {
    checkElementwise("backend.gelu", n, [["y", y], ["x", x]]);
    this.engine.gelu(this.own("backend.gelu", "y", y), this.own("backend.gelu", "x", x), n);
  }

  tanh(y: DeviceArray, x: DeviceArray, n: number): void {
    checkElementwise("backend.tanh", n, [["y", y], ["x", x]]);
    this.engine.tanh(this.own("backend.tanh", "y", y), this.own("backend.tanh", "x", x), n);
  }

  mul(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void {
    // y = a ⊙ b: memory-bound and only in training (dropout), a plain loop over views of the memory
    const [yd, ad, bd] = this.elementwise("backend.mul", y, a, b, n);
    for (let i = 0; i < n; i++) yd[i] = ad[i]! * bd[i]!;
  }

  add(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void {
    // y = a + b, as mul
    const [yd, ad, bd] = this.elementwise("backend.add", y, a, b, n);
    for (let i = 0; i < n; i++) yd[i] = ad[i]! + bd[i]!;
  }

  /** Checked views [n] of y, a and b in the memory, for the elementwise ops written in js. */
  private elementwise(fn: string, y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): [Float32Array, Float32Array, Float32Array] {
    checkElementwise(fn, n, [["y", y], ["a", a], ["b", b]]);
    const view = (name: string, h: DeviceArray): Float32Array => this.engine.f32(this.own(fn, name, h), n);
    return [view("y", y), view("a", a), view("b", b)];
  }

  matmul(c: DeviceArray, a: DeviceArray, b: DeviceArray, M: number, N: number, K: number, transA: boolean, transB: boolean, accumulate: boolean): void {
    const fn = "backend.matmul";
    checkMatmul(c, a, b, M, N, K, transA, transB);
    // leading dimensions: a stored [M,K] or [K,M], b stored [K,N] or [N,K], c [M,N]
    this.engine.gemm(transA, transB, M, N, K, this.own(fn, "a", a), transA ? M : K, this.own(fn, "b", b), transB ? K : N,
      this.own(fn, "c", c), N, accumulate);
  }

  // ---- backward -----------------------------------------------------------------------------------

  linearBackward(dx: DeviceArray | null, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray, x: DeviceArray, weight: DeviceArray, N: number, inFeatures: number, outFeatures: number): void {
    const fn = "backend.linearBackward";
    checkLinearBackward(dx, dWeight, dBias, dy, x, weight, N, inFeatures, outFeatures);
    const dyp = this.own(fn, "dy", dy);
    // dx[N,in] += dy[N,out]·W[out,in]
    if (dx !== null) this.engine.gemm(false, false, N, inFeatures, outFeatures, dyp, outFeatures, this.own(fn, "weight", weight), inFeatures, this.own(fn, "dx", dx), inFeatures, true);
    // dWeight[out,in] += dy[N,out]ᵀ·x[N,in]
    if (dWeight !== null) this.engine.gemm(true, false, outFeatures, inFeatures, N, dyp, outFeatures, this.own(fn, "x", x), inFeatures, this.own(fn, "dWeight", dWeight), inFeatures, true);
    // dBias[o] += Σ_n dy[n,o]
    if (dBias !== null) this.engine.columnSum(this.own(fn, "dBias", dBias), dyp, N, outFeatures);
  }

  attentionBackward(dqkv: DeviceArray, dctx: DeviceArray, qkv: DeviceArray, probs: DeviceArray, B: number, T: number, nh: number, hd: number, scale: number, dropMask: DeviceArray | null = null): void {
    const fn = "backend.attentionBackward";
    checkAttention(fn, dctx, qkv, null, probs, B, T, nh, hd, dropMask);
    checkElementwise(fn, qkv.length, [["dqkv", dqkv]]);
    if (dropMask !== null) {
      // as in attention: the js kernel on views of the memory
      const v = (name: string, a: DeviceArray): Float32Array => this.engine.f32(this.own(fn, name, a), a.length);
      attentionBackward(v("dqkv", dqkv), v("dctx", dctx), v("qkv", qkv), v("probs", probs), B, T, nh, hd, scale, v("dropMask", dropMask));
      return;
    }
    this.engine.attentionBackward(this.own(fn, "dqkv", dqkv), this.own(fn, "dctx", dctx), this.own(fn, "qkv", qkv), this.own(fn, "probs", probs), B, T, nh, hd, scale);
  }

  layerNormBackward(dx: DeviceArray, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray, cache: LayerNormCache, weight: DeviceArray, N: number, H: number): void {
    const fn = "backend.layerNormBackward";
    checkLayerNorm(fn, [["dx", dx], ["dy", dy]], weight, [["dWeight", dWeight], ["dBias", dBias]], cache, N, H);
    this.engine.layerNormBackward(this.own(fn, "dx", dx), this.ownOrZero(fn, "dWeight", dWeight), this.ownOrZero(fn, "dBias", dBias),
      this.own(fn, "dy", dy), this.own(fn, "cache.sum", cache.sum), this.own(fn, "weight", weight),
      this.own(fn, "cache.mean", cache.mean), this.own(fn, "cache.rstd", cache.rstd), N, H);
  }

  geluBackward(dx: DeviceArray, dy: DeviceArray, x: DeviceArray, n: number): void {
    const fn = "backend.geluBackward";
    checkElementwise(fn, n, [["dx", dx], ["dy", dy], ["x", x]]);
    this.engine.geluBackward(this.own(fn, "dx", dx), this.own(fn, "dy", dy), this.own(fn, "x", x), n);
  }

  lstmCellForward(h: DeviceArray, c: DeviceArray, gates: DeviceArray, x: DeviceArray, hPrev: DeviceArray, cPrev: DeviceArray,
    weightIh: DeviceArray, weightHh: DeviceArray, biasIh: DeviceArray, biasHh: DeviceArray, B: number, inputSize: number, hiddenSize: number): void {
    const fn = "backend.lstmCellForward";
    checkLstmCellForward(h, c, gates, x, hPrev, cPrev, weightIh, weightHh, biasIh, biasHh, B, inputSize, hiddenSize);
    const p = (name: string, a: DeviceArray): number => this.own(fn, name, a);
    this.engine.lstmCellForward(p("h", h), p("c", c), p("gates", gates), p("x", x), p("hPrev", hPrev), p("cPrev", cPrev),
      p("weightIh", weightIh), p("weightHh", weightHh), p("biasIh", biasIh), p("biasHh", biasHh), B, inputSize, hiddenSize);
  }

  lstmCellBackward(dx: DeviceArray | null, dhPrev: DeviceArray, dcPrev: DeviceArray, dWeightIh: DeviceArray, dWeightHh: DeviceArray,
    dBiasIh: DeviceArray, dBiasHh: DeviceArray, dh: DeviceArray, dc: DeviceArray, gates: DeviceArray, c: DeviceArray, cPrev: DeviceArray,
    x: DeviceArray, hPrev: DeviceArray, weightIh: DeviceArray, weightHh: DeviceArray, B: number, inputSize: number, hiddenSize: number): void {
    const fn = "backend.lstmCellBackward";
    checkLstmCellBackward(dx, dhPrev, dcPrev, dWeightIh, dWeightHh, dBiasIh, dBiasHh, dh, dc, gates, c, cPrev, x, hPrev, weightIh, weightHh,
      B, inputSize, hiddenSize);
    const p = (name: string, a: DeviceArray): number => this.own(fn, name, a);
    this.engine.lstmCellBackward(this.ownOrZero(fn, "dx", dx), p("dhPrev", dhPrev), p("dcPrev", dcPrev), p("dWeightIh", dWeightIh),
      p("dWeightHh", dWeightHh), p("dBiasIh", dBiasIh), p("dBiasHh", dBiasHh), p("dh", dh), p("dc", dc), p("gates", gates), p("c", c),
      p("cPrev", cPrev), p("x", x), p("hPrev", hPrev), p("weightIh", weightIh), p("weightHh", weightHh), B, inputSize, hiddenSize);
  }
}
