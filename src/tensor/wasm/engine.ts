// The WebAssembly SIMD engine: one WebAssembly.Memory (shared when SharedArrayBuffer exists), an allocator
// over it, packed weights, and one method per kernel. Pointers are byte offsets into `memory`; arrays are
// little-endian Float32 unless said. The engine knows nothing of RoBERTa, tensors or the Backend interface:
// pointers in, numbers out (Layer 1 of the design of issue 8, "Speed").
// Legend: N rows, K in-features, H hidden, T tokens, B batch, nh heads, hd head size.
//
// Threads: every kernel takes its range (rows, panels, (batch, head) blocks or columns) as its last two
// arguments; `parts` cuts it into equal contiguous shares, the same way every time — one per thread for a
// short range, SHARES_PER_THREAD per thread for a long one, claimed by whichever thread is free (pool.ts). No
// kernel sums across shares, so results are bit-identical run to run and for any thread count.
//
// Deviations from SPEED-DESIGN.md: none in the signatures. `create` clamps `threads` to 1 where memory
// cannot be shared (no SharedArrayBuffer); `threads` says what was granted. Additions: `columnSum` (a bias
// gradient), `bytesInUse`, the exported `split` (the static partition) and the dtype types.
import { InputError, NotSupportedError } from "../../errors.js";
import { narrowHalf, widenHalf } from "../ops/half.js";
import { quantizeWeightInt8 } from "../ops/linear-int8.js";
import { Allocator } from "./allocator.js";
import { kernelModule, MAX_PAGES, SIMD_PROBE, TILE, TILE_ROWS_INT8 } from "./module.js";
import { CONTROL_BYTES, WorkerPool } from "./pool.js";
import { PAGE, wasmApi, type WasmMemory } from "./wasm-api.js";

export type WeightDtype = "f32" | "f16" | "bf16" | "int8";
export type TableDtype = "f32" | "f16" | "bf16";
export type HalfBits = { bits: Uint16Array; format: "f16" | "bf16" };

/** A weight [rows = out, cols = in] as PyTorch stores it, re-laid out once for the GEMM micro-kernel. */
export interface PackedWeight {
  readonly ptr: number;
  readonly bytes: number;
  readonly rows: number;
  readonly cols: number;
  readonly dtype: WeightDtype;
  /** int8: per-row scales (f32 [rows rounded up to the panel width]); 0 otherwise. */
  readonly scales: number;
}

/**
 * An embedding table [rows, cols]: plain row-major elements of its dtype at `ptr` (4 bytes each for f32, the
 * raw 2-byte bits for f16 / bf16), nothing else. So a caller may fill one in place, row chunk by row chunk
 * (`malloc(rows·cols·size)`, then write through `u8`), instead of staging it whole with `table()`.
 */
export interface Table {
  readonly ptr: number;
  readonly rows: number;
  readonly cols: number;
  readonly dtype: TableDtype;
}

const DTYPE_CODE: Record<TableDtype, number> = { f32: 0, f16: 1, bf16: 2 };
/**
 * Most shares per thread of a long range. Four: a thread preempted for a while leaves at most a quarter of
 * its work for the others to wait on. Measured on the roberta-base-shaped forward, 8 × 128 tokens, 2
 * threads, with the machine's other tenants busy: 1 share per thread 2.69–3.37 s, 4 per thread 2.61–2.80 s
 * (alternating in one run); quiet: 2.18 vs 2.22 s.
 */
const SHARES_PER_THREAD = 4;
/** Bytes of x a row block of `linear` keeps hot (L2 holds it with room for the panels). */
const ROW_BLOCK_BYTES = 256 * 1024;

/** Every exported kernel, in the order the worker pool addresses them by index. */
const KERNELS = [
  "linear", "linear_i8", "quantize_rows", "pack_panels", "gemm", "attention", "attention_backward", "add_layernorm",
  "layernorm_backward_dx", "layernorm_backward_params", "column_sum", "gelu", "gelu_backward", "tanh",
  "embedding_sum", "lstm_forward", "lstm_backward",
] as const;
type Kernel = (typeof KERNELS)[number];

/**
 * Zeroes n bytes at ptr (64-byte aligned): by 4-byte words, then the bytes left. Why not one Uint8Array
 * fill: on a SharedArrayBuffer V8 fills a Uint8Array byte by byte: 12.6 MB took 15.3 ms, by words 3.8 ms
 * (Node 20, this machine, a shared buffer; the seam helper saw up to 60 ms under load).
 */
function zeroFill(buffer: ArrayBufferLike, ptr: number, n: number): void {
  const words = n >>> 2;
  new Int32Array(buffer, ptr, words).fill(0);
  new Uint8Array(buffer, ptr + words * 4, n - words * 4).fill(0);
}

/** True when this host validates a WebAssembly module that uses 128-bit SIMD. */
export function wasmSimdSupported(): boolean {
  const api = wasmApi();
  if (api === null) return false;
  try {
    return api.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

export class WasmEngine {
  readonly threads: number;
  readonly memory: WasmMemory;
  private readonly exports: Record<Kernel, (...args: number[]) => void>;
  private readonly allocator: Allocator;
  private readonly pool: WorkerPool | null;
  /** Scratch owned by the engine: per-thread regions for kernels, and named shared buffers for multi-step ops. */
  private threadScratch = { ptr: 0, stride: 0 };
  private readonly shared = new Map<string, { ptr: number; bytes: number }>();
  private disposed = false;

  private constructor(memory: WasmMemory, exports: Record<Kernel, (...args: number[]) => void>, allocator: Allocator,
    threads: number, pool: WorkerPool | null) {
    this.memory = memory;
    this.exports = exports;
    this.allocator = allocator;
    this.threads = threads;
    this.pool = pool;
  }

  /**
   * An engine with `threads` threads (default 1; the caller is one of them) over a memory of at most
   * `maximumBytes` (default 4 GiB).
   * @example const engine = await WasmEngine.create({ threads: 2 });
   */
  static async create(options: { threads?: number; maximumBytes?: number } = {}): Promise<WasmEngine> {
    const api = wasmApi();
    if (api === null || !wasmSimdSupported()) throw new NotSupportedError("WebAssembly SIMD is not available on this host");
    const requested = options.threads ?? 1;
    if (!Number.isInteger(requested) || requested < 1) throw new InputError(`WasmEngine.create: threads must be a positive integer, got ${requested}`);
    const maxPages = Math.min(MAX_PAGES, Math.ceil((options.maximumBytes ?? MAX_PAGES * PAGE) / PAGE));
    const shared = typeof SharedArrayBuffer !== "undefined";
    const threads = shared ? requested : 1;
    const memory = new api.Memory({ initial: 16, maximum: maxPages, shared });
    const module = await kernelModule(shared);
    const instance = await api.instantiate(module, { env: { memory } });
    const grow = (bytes: number): void => {
      const have = memory.buffer.byteLength;
      if (bytes <= have) return;
      const pages = Math.ceil((bytes - have) / PAGE);
      if (have / PAGE + pages > maxPages) throw new RangeError(`wasm engine: out of memory (${bytes} bytes asked, at most ${maxPages * PAGE})`);
      memory.grow(pages);
    };
    const allocator = new Allocator(64, grow, (ptr, n) => zeroFill(memory.buffer, ptr, n));
    // the pool's control block (sequence number, pending count, each worker's arguments) lives in the memory
    const controlPtr = allocator.malloc(CONTROL_BYTES);
    const exports = Object.fromEntries(KERNELS.map((k) => [k, instance.exports[k]])) as Record<Kernel, (...args: number[]) => void>;
    const pool = threads > 1 ? await WorkerPool.start(module, memory, controlPtr, threads - 1, KERNELS) : null;
    return new WasmEngine(memory, exports, allocator, threads, pool);
  }

  // ---- memory -------------------------------------------------------------------------------------------

  /** A zero-filled block of `bytes` bytes, 64-byte aligned; grows the memory as needed. */
  malloc(bytes: number): number {
    return this.allocator.malloc(bytes);
  }

  /** Returns a block from malloc. */
  free(ptr: number): void {
    this.allocator.free(ptr);
  }

  /** A fresh Float32 view (the buffer may have grown since the last view). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  /** Bytes handed out by malloc and not freed (alignment and slack included). */
  get bytesInUse(): number {
    return this.allocator.used;
  }

  // ---- weights ------------------------------------------------------------------------------------------

  /**
   * Packs W [rows, cols] (Float32 values, or raw F16/BF16 bits) into the kernel layout of `dtype`:
   * panels of NR rows of W, k-major (f32, f16, bf16 keep their element size), or for int8 per-row scales
   * and pairs of k interleaved for i32x4.dot_i16x8_s.
   */
  packWeight(src: Float32Array | HalfBits, rows: number, cols: number, dtype: WeightDtype): PackedWeight {
    checkMatrix("packWeight", src, rows, cols);
    const nr = TILE.nr;
    const panels = Math.ceil(rows / nr);
    if (dtype === "int8") {
      const q = quantizeWeightInt8(src instanceof Float32Array ? src : widenHalf(src.bits, src.format), rows, cols);
      const kp = cols + (cols % 2);
      const bytes = panels * kp * nr;
      const ptr = this.malloc(bytes);
      const scales = this.malloc(panels * nr * 4);
      const out = new Int8Array(this.memory.buffer, ptr, bytes);
      // panel p, pair of k, output j, k parity t: ((p·Kp/2 + k/2)·NR + j)·2 + t
      for (let o = 0; o < rows; o++) {
        const p = Math.floor(o / nr), j = o % nr;
        for (let k = 0; k < cols; k++) out[((p * (kp >> 1) + (k >> 1)) * nr + j) * 2 + (k & 1)] = q.q[o * cols + k]!;
      }
      this.f32(scales, rows).set(q.scales);
      return { ptr, bytes, rows, cols, dtype, scales };
    }
    const values = dtype === "f32" ? toF32(src) : toHalf(src, dtype);
    const size = dtype === "f32" ? 4 : 2;
    const bytes = panels * cols * nr * size;
    const ptr = this.malloc(bytes);
    const out = dtype === "f32" ? this.f32(ptr, bytes / 4) : new Uint16Array(this.memory.buffer, ptr, bytes / 2);
    // panel[p][k][j] = W[p·NR + j, k]
    for (let o = 0; o < rows; o++) {
      const base = Math.floor(o / nr) * cols * nr + (o % nr);
      for (let k = 0; k < cols; k++) out[base + k * nr] = values[o * cols + k]!;
    }
    return { ptr, bytes, rows, cols, dtype, scales: 0 };
  }

  /** An embedding table [rows, cols] in memory, kept as `dtype` (widened inside embeddingSum). */
  table(src: Float32Array | HalfBits, rows: number, cols: number, dtype: TableDtype): Table {
    checkMatrix("table", src, rows, cols);
    const n = rows * cols;
    if (dtype === "f32") {
      const ptr = this.malloc(n * 4);
      this.f32(ptr, n).set(toF32(src));
      return { ptr, rows, cols, dtype };
    }
    const ptr = this.malloc(n * 2);
    new Uint16Array(this.memory.buffer, ptr, n).set(toHalf(src, dtype));
    return { ptr, rows, cols, dtype };
  }

  freeWeight(w: PackedWeight | Table): void {
    this.free(w.ptr);
    if ("scales" in w && w.scales !== 0) this.free(w.scales);
  }

  // ---- kernels ------------------------------------------------------------------------------------------

  /**
   * y[N,out] = x[N,in]·Wᵀ + bias (bias ptr or 0); act 1 = exact-erf GELU after the bias, and then `pre`
   * (when ≠ 0) receives the pre-activation [N,out].
   */
  linear(y: number, x: number, w: PackedWeight, bias: number, N: number, act: 0 | 1, pre: number): void {
    const K = w.cols, out = w.rows;
    const panels = Math.ceil(out / TILE.nr);
    if (w.dtype === "int8") {
      const kp = K + (K % 2);
      const xq = this.sharedScratch("int8", N * kp * 2 + N * 4);
      const sx = xq + N * kp * 2;
      this.dispatch("quantize_rows", this.parts(N).map(([s, e]) => [xq, sx, x, K, kp, s, e]));
      const rowBlock = Math.max(TILE_ROWS_INT8, Math.floor(ROW_BLOCK_BYTES / (kp * 2)));
      this.dispatch("linear_i8", this.rowOrPanelShares(N, panels, TILE_ROWS_INT8, rowBlock).map((r) =>
        [y, xq, sx, w.ptr, w.scales, bias, kp, out, act, pre, rowBlock, ...r]));
      return;
    }
    const dtype = w.dtype === "f32" ? 0 : DTYPE_CODE[w.dtype];
    // half-size weights widen each panel once per row block: blocks of at least 64 rows amortize that
    const rows = Math.max(dtype === 0 ? TILE.mr : 64, Math.floor(ROW_BLOCK_BYTES / (K * 4)));
    const rowBlock = Math.floor(rows / TILE.mr) * TILE.mr;
    // scratch: one widened panel [K, NR], then the row block of x interleaved by MR rows
    const sc = this.ensureThreadScratch(K * TILE.nr * 4 + rowBlock * K * 4);
    this.dispatch("linear", this.rowOrPanelShares(N, panels, TILE.mr, rowBlock).map((r) =>
      [y, x, w.ptr, bias, K, out, act, pre, dtype, sc, rowBlock, ...r]), 9);
  }

  /**
   * C[M,N] (+)= op(A)·op(B), leading dimensions in elements; op transposes when its flag is set
   * (A stored [K,M], B stored [N,K]). For backward passes and the poolers.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
       a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: boolean): void {
    if (M === 0 || N === 0) return;
    const k = Math.max(K, 1);
    // op(B) packed into panels once, by every thread; then `linear`'s loop nest over blocks of op(A) rows
    const panels = Math.ceil(N / TILE.nr);
    const bp = this.sharedScratch("gemmB", panels * TILE.nr * k * 4);
    this.dispatch("pack_panels", this.parts(panels).map(([s, e]) => [bp, b, ldb, transB ? 1 : 0, K, N, s, e]));
    const rowBlock = Math.max(TILE.mr, Math.floor(ROW_BLOCK_BYTES / (k * 4 * TILE.mr)) * TILE.mr);
    const sc = this.ensureThreadScratch(rowBlock * k * 4);
    const tA = transA ? 1 : 0, acc = accumulate ? 1 : 0;
    this.dispatch("gemm", this.rowOrPanelShares(M, panels, TILE.mr, rowBlock).map((r) =>
      [tA, N, K, a, lda, bp, c, ldc, acc, sc, rowBlock, ...r]), 9);
  }

  /**
   * Fused attention per (batch, head) block over qkv [B,T,3H] (q | k | v, H = nh·hd) into ctx [B,T,H]:
   * ctx = softmax(q·kᵀ·scale + maskAdd[b,:])·v; maskAdd [B,T] is 0 or float32's minimum; probs [B,nh,T,T]
   * is written when ≠ 0 (for backward).
   */
  attention(ctx: number, qkv: number, maskAdd: number, B: number, T: number, nh: number, hd: number, scale: number, probs: number): void {
    const bytes = panelsBytes(T, hd) + panelsBytes(hd, T) + (probs === 0 ? T * T * 4 : 0);
    const sc = this.ensureThreadScratch(bytes);
    this.dispatch("attention", this.parts(B * nh).map(([s, e]) =>
      [ctx, qkv, maskAdd, probs, T, nh, hd, scale, sc, s, e]), 8);
  }

  /** Backward of attention from its probs; dqkv [B,T,3H] accumulates. */
  attentionBackward(dqkv: number, dctx: number, qkv: number, probs: number, B: number, T: number, nh: number, hd: number, scale: number): void {
    const sc = this.ensureThreadScratch(2 * T * T * 4 + Math.max(panelsBytes(T, hd), panelsBytes(hd, T)));
    this.dispatch("attention_backward", this.parts(B * nh).map(([s, e]) =>
      [dqkv, dctx, qkv, probs, T, nh, hd, scale, sc, s, e]), 8);
  }

  /** y = LayerNorm(x + r)·w + b over rows of H (r ptr or 0); sum ≠ 0 receives x + r, mean / rstd [N] likewise. */
  addLayerNorm(y: number, x: number, r: number, w: number, b: number, N: number, H: number, eps: number,
               sum: number, mean: number, rstd: number): void {
    this.dispatch("add_layernorm", this.parts(N).map(([s, e]) => [y, x, r, w, b, H, eps, sum, mean, rstd, s, e]));
  }

  /** Backward of addLayerNorm from its saved sum, mean, rstd; dx, dw, db accumulate (dw, db may be 0). */
  layerNormBackward(dx: number, dw: number, db: number, dy: number, sum: number, w: number,
                    mean: number, rstd: number, N: number, H: number): void {
    this.dispatch("layernorm_backward_dx", this.parts(N).map(([s, e]) => [dx, dy, sum, w, mean, rstd, H, s, e]));
    if (dw === 0 && db === 0) return;
    const dwp = dw === 0 ? this.sharedScratch("dw", H * 4) : dw;
    const dbp = db === 0 ? this.sharedScratch("db", H * 4) : db;
    this.dispatch("layernorm_backward_params", this.parts(H, 4).map(([s, e]) => [dwp, dbp, dy, sum, mean, rstd, N, H, s, e]));
  }

  /** out[c] += Σ_r x[r·cols + c] for x [rows, cols] (a bias gradient); each column summed in row order. */
  columnSum(out: number, x: number, rows: number, cols: number): void {
    this.dispatch("column_sum", this.parts(cols, 4).map(([s, e]) => [out, x, rows, cols, s, e]));
  }

  gelu(y: number, x: number, n: number): void {
    this.dispatch("gelu", this.parts(n, 4).map(([s, e]) => [y, x, s, e]));
  }

  /** dx += dy · gelu'(x). */
  geluBackward(dx: number, dy: number, x: number, n: number): void {
    this.dispatch("gelu_backward", this.parts(n, 4).map(([s, e]) => [dx, dy, x, s, e]));
  }

  tanh(y: number, x: number, n: number): void {
    this.dispatch("tanh", this.parts(n, 4).map(([s, e]) => [y, x, s, e]));
  }

  /**
   * out[n,:] = word[ids[n],:] + tokenType[0,:] + position[positionIds[n],:] (tables widened to f32), ids and
   * positionIds i32 [N]. Ids are not checked here: the caller validates them against the tables.
   */
  embeddingSum(out: number, ids: number, positionIds: number, word: Table, position: Table, tokenType: Table, N: number): void {
    const H = word.cols;
    if (position.cols !== H || tokenType.cols !== H) {
      throw new InputError(`embeddingSum: tables of ${word.cols}, ${position.cols} and ${tokenType.cols} columns`);
    }
    this.dispatch("embedding_sum", this.parts(N).map(([s, e]) =>
      [out, ids, positionIds, word.ptr, DTYPE_CODE[word.dtype], position.ptr, DTYPE_CODE[position.dtype],
       tokenType.ptr, DTYPE_CODE[tokenType.dtype], H, s, e]));
  }

  /**
   * One LSTM step as src/tensor/ops/lstm-cell.ts computes it (same argument meaning, pointers instead of
   * arrays): weights [4·hid, in] and [4·hid, hid] as PyTorch stores them, f32.
   */
  lstmCellForward(h: number, c: number, gates: number, x: number, hPrev: number, cPrev: number,
                  weightIh: number, weightHh: number, biasIh: number, biasHh: number,
                  B: number, inputSize: number, hiddenSize: number): void {
    const G = 4 * hiddenSize;
    const hh = this.sharedScratch("lstm", B * G * 4);
    // gates = x·W_ihᵀ, hh = hPrev·W_hhᵀ (the biases are added in lstm_forward)
    this.gemm(false, true, B, G, inputSize, x, inputSize, weightIh, inputSize, gates, G, false);
    this.gemm(false, true, B, G, hiddenSize, hPrev, hiddenSize, weightHh, hiddenSize, hh, G, false);
    this.dispatch("lstm_forward", this.parts(B).map(([s, e]) => [h, c, gates, hh, biasIh, biasHh, cPrev, hiddenSize, s, e]));
  }

  /** Backward of lstmCellForward; every gradient accumulates (dx may be 0). */
  lstmCellBackward(dx: number, dhPrev: number, dcPrev: number, dWeightIh: number, dWeightHh: number, dBiasIh: number, dBiasHh: number,
                   dh: number, dc: number, gates: number, c: number, cPrev: number, x: number, hPrev: number,
                   weightIh: number, weightHh: number, B: number, inputSize: number, hiddenSize: number): void {
    const G = 4 * hiddenSize;
    const dGates = this.sharedScratch("lstm", B * G * 4);
    this.dispatch("lstm_backward", this.parts(B).map(([s, e]) => [dGates, dcPrev, dh, dc, gates, c, cPrev, hiddenSize, s, e]));
    // a = x·W_ihᵀ + b_ih + hPrev·W_hhᵀ + b_hh: two linear layers over the same dGates
    if (dx !== 0) this.gemm(false, false, B, inputSize, G, dGates, G, weightIh, inputSize, dx, inputSize, true);
    this.gemm(true, false, G, inputSize, B, dGates, G, x, inputSize, dWeightIh, inputSize, true);
    this.columnSum(dBiasIh, dGates, B, G);
    this.gemm(false, false, B, hiddenSize, G, dGates, G, weightHh, hiddenSize, dhPrev, hiddenSize, true);
    this.gemm(true, false, G, hiddenSize, B, dGates, G, hPrev, hiddenSize, dWeightHh, hiddenSize, true);
    this.columnSum(dBiasHh, dGates, B, G);
  }

  /** Ends the worker threads; the engine must not be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.stop();
  }

  // ---- internals ----------------------------------------------------------------------------------------

  /**
   * Runs kernel `name` once per share (a single thread runs them in order). `scratchArg`: which argument is
   * the scratch pointer (given as region 0); a share run by thread t gets region t instead.
   */
  private dispatch(name: Kernel, shares: readonly (readonly number[])[], scratchArg = -1): void {
    if (this.disposed) throw new Error("wasm engine: used after dispose()");
    const fn = this.exports[name];
    if (this.pool === null || shares.length === 1) {
      for (const args of shares) fn(...args);
      return;
    }
    const scratch = scratchArg < 0 ? null : { arg: scratchArg, base: this.threadScratch.ptr, stride: this.threadScratch.stride };
    this.pool.run(KERNELS.indexOf(name), fn, shares, scratch);
  }

  /**
   * The shares of a range of `total` units, inner boundaries on multiples of `align`: at least 8 aligned
   * units per share (fewer, larger shares waste less at their edges: 1 × 128 tokens in 8 shares of 16 rows
   * ran 5 % slower than in 2), between one and SHARES_PER_THREAD per thread.
   */
  private parts(total: number, align = 1): [number, number][] {
    if (this.threads === 1) return [[0, total]];
    const units = Math.ceil(total / align);
    const count = Math.max(this.threads, Math.min(SHARES_PER_THREAD * this.threads, Math.floor(units / 8)));
    return split(units, count).map(([s, e]) => [s * align, Math.min(total, e * align)]);
  }

  /**
   * The last four arguments of the GEMM kernels (linear, linear_i8, gemm) for each share: [rowStart, rowEnd,
   * panelStart, panelEnd]. The rows are split (boundaries on multiples of `align`) when each thread gets at
   * least a whole row block (`rowBlock` rows: the kernel streams every panel of its share once per row
   * block), else the panels. Why: a share of fewer rows than a block still streams all the weights, so
   * splitting 128 tokens by rows made each of 2 threads read every weight twice (shares of 32 rows), where
   * splitting the panels has each read half of them twice (blocks of 84 + 44 rows at K = 768). Measured,
   * roberta-base 1 × 128, 2 threads against 1 paired in one process (a noisy hour, 5 A/B runs): 1.25–1.84 ×
   * → 1.44–2.08 ×; in `npm run bench -- forward`'s paired rounds: median 1.70 × (rounds 1.19–1.75) → 1.81 ×
   * (rounds 1.65–1.98). 8 × 128 splits its rows, as before.
   */
  private rowOrPanelShares(rows: number, panels: number, align: number, rowBlock: number): [number, number, number, number][] {
    const byRows = rows >= rowBlock * this.threads || panels < this.threads;
    return byRows
      ? this.parts(rows, align).map(([s, e]) => [s, e, 0, panels])
      : this.parts(panels).map(([s, e]) => [0, rows, s, e]);
  }

  /** Makes each thread's scratch region at least `bytes` long; returns the first region. */
  private ensureThreadScratch(bytes: number): number {
    const stride = Math.ceil(bytes / 64) * 64;
    if (stride > this.threadScratch.stride) {
      if (this.threadScratch.ptr !== 0) this.free(this.threadScratch.ptr);
      this.threadScratch = { ptr: this.malloc(stride * this.threads), stride };
    }
    return this.threadScratch.ptr;
  }

  /** A buffer of at least `bytes` bytes kept under `name` between calls (contents not preserved). */
  private sharedScratch(name: string, bytes: number): number {
    const have = this.shared.get(name);
    if (have !== undefined && have.bytes >= bytes) return have.ptr;
    if (have !== undefined) this.free(have.ptr);
    const ptr = this.malloc(bytes);
    this.shared.set(name, { ptr, bytes });
    return ptr;
  }
}

/** [start, end) of `parts` equal contiguous pieces of [0, total), always the same for the same arguments. */
export function split(total: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, t) => [Math.floor((total * t) / n), Math.floor((total * (t + 1)) / n)]);
}

/** Bytes of the panels that pack n columns (rounded up to NR) of k rows. */
function panelsBytes(n: number, k: number): number {
  return Math.ceil(n / TILE.nr) * TILE.nr * k * 4;
}

function checkMatrix(fn: string, src: Float32Array | HalfBits, rows: number, cols: number): void {
  const n = src instanceof Float32Array ? src.length : src.bits.length;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || n !== rows * cols) {
    throw new InputError(`${fn}: expected [${rows},${cols}] (${rows * cols} values), got ${n}`);
  }
}

function toF32(src: Float32Array | HalfBits): Float32Array {
  return src instanceof Float32Array ? src : widenHalf(src.bits, src.format);
}

/** 16-bit floats of `dtype`: the bits as given when the format matches, else rounded (ties to even). */
function toHalf(src: Float32Array | HalfBits, dtype: "f16" | "bf16"): Uint16Array {
  if (!(src instanceof Float32Array) && src.format === dtype) return src.bits;
  return narrowHalf(toF32(src), dtype);
}
