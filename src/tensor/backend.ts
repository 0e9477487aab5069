// The seam between the model code (the RoBERTa forward, later its backward and the poolers) and the
// kernels. A Backend owns memory: weights, activations and scratch live in arrays it allocates (the
// JS heap for `js`, one WebAssembly.Memory for `wasm`), callers hold opaque handles and move numbers
// in and out with upload / download. Every op the forward and backward spend time in is one method.
// Types at the seam are Float32 only; Float64 stays in the reference kernels of ops/ (gradient checks).
// Legend: n elements, N rows (tokens), in/out features of a linear layer, B batch, T tokens, nh heads,
// hd head size, H = nh·hd hidden, M/K rows/reduction of a product, hid LSTM hidden size.
import type { HalfBits } from "./ops/half.js";

export type { HalfBits };

/** How a linear weight is kept in memory: Float32, half-size (widened inside the kernel), or int8 with per-row scales. */
export type WeightDtype = "f32" | "f16" | "bf16" | "int8";
/** How an embedding table is kept in memory. */
export type TableDtype = "f32" | "f16" | "bf16";

/** Values handed to `weight` / `writeTable`: Float32 numbers, or half-precision bits that the backend widens or keeps. */
export type HostValues = Float32Array | HalfBits;

/** A Float32 array in a backend's memory: [n] elements, meaningful only to the backend that allocated it. */
export interface DeviceArray {
  readonly length: number;
}

/** A linear layer's weight [rows = out, cols = in] (PyTorch layout), laid out for the backend's product kernel. */
export interface DeviceWeight {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: WeightDtype;
  /** Bytes of backend memory it holds (scales included). */
  readonly bytes: number;
}

/** An embedding table [rows, cols]. */
export interface DeviceTable {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: TableDtype;
  readonly bytes: number;
}

/** What layerNorm backward needs from forward: sum = x + r [N,H], mean and rstd [N]. */
export interface LayerNormCache {
  sum: DeviceArray;
  mean: DeviceArray;
  rstd: DeviceArray;
}

/**
 * A set of kernels and the memory they run on. Outputs come first, then inputs, then sizes; every size
 * is checked against the handles once per call (an InputError names the op and the argument).
 * Backward methods accumulate (+=) into their gradient arrays: whoever owns those zeroes them.
 */
export interface Backend {
  /** "js" or "wasm". */
  readonly name: string;
  /** Threads the kernels run on. */
  readonly threads: number;

  // ---- memory -------------------------------------------------------------------------------------
  /** A zero-filled Float32 array of n elements. */
  alloc(n: number): DeviceArray;
  /** A copy of host values in backend memory. */
  upload(values: Float32Array): DeviceArray;
  /** A copy of a backend array on the host (into `out` when given; it must have the same length). */
  download(a: DeviceArray, out?: Float32Array): Float32Array;
  /** Releases an array (not a view); using it or its views afterwards is an error. */
  free(a: DeviceArray): void;
  /** Elements [offset, offset + n) of `a` as an array of their own, sharing a's memory (no copy); never freed itself. */
  view(a: DeviceArray, offset: number, n: number): DeviceArray;
  /** W [rows, cols] converted to `dtype` (f16/bf16 narrowed to nearest even, int8 quantized per row) and packed. */
  weight(values: HostValues, rows: number, cols: number, dtype: WeightDtype): DeviceWeight;
  /** A zero-filled table [rows, cols], filled by writeTable (in chunks, so a large table needs no full host copy). */
  table(rows: number, cols: number, dtype: TableDtype): DeviceTable;
  /** table[firstRow .. firstRow + k, :] = values, a whole number k of rows, converted to the table's dtype. */
  writeTable(table: DeviceTable, firstRow: number, values: HostValues): void;
  /** Releases a weight or table. */
  freeWeight(w: DeviceWeight | DeviceTable): void;
  /** Bytes held by live arrays, weights and tables (for tests and memory reports). */
  memoryInUse(): number;
  /** Releases everything (and stops worker threads); the backend is unusable afterwards. */
  dispose(): void;

  // ---- forward ------------------------------------------------------------------------------------
  /**
   * y[N,out] = x[N,in] · Wᵀ + bias, then GELU when `gelu` (exact erf form); `pre` [N,out], when given with
   * gelu, receives the pre-activation for backward. bias: [out] or null.
   */
  linear(y: DeviceArray, x: DeviceArray, w: DeviceWeight, bias: DeviceArray | null, N: number,
         gelu?: boolean, pre?: DeviceArray | null): void;
  /**
   * Multi-head self-attention over packed projections, one (batch, head) block at a time:
   * ctx[b,:,h·hd:(h+1)·hd] = softmax(q·kᵀ·scale + maskAdd[b,:]) · v, with q | k | v the thirds of qkv [B,T,3H].
   * maskAdd [B,T]: 0 for real keys, float32's minimum for padding. probs [B,nh,T,T] is written when given.
   * dropMask [B,nh,T,T] (attention dropout in training, 0 or 1/(1-p)): ctx = (P ⊙ dropMask)·v, probs keeps P.
   */
  attention(ctx: DeviceArray, qkv: DeviceArray, maskAdd: DeviceArray, B: number, T: number, nh: number, hd: number,
            scale: number, probs: DeviceArray | null, dropMask?: DeviceArray | null): void;
  /** y = LayerNorm(x + r)·weight + bias over rows of H (r may be null); cache, when given, is filled for backward. */
  addLayerNorm(y: DeviceArray, x: DeviceArray, r: DeviceArray | null, weight: DeviceArray, bias: DeviceArray,
               N: number, H: number, eps: number, cache: LayerNormCache | null): void;
  /** out[n,:] = word[ids[n],:] + tokenType[0,:] + position[positionIds[n],:] (in that order of additions); out: [N,H]. */
  embeddingSum(out: DeviceArray, ids: Int32Array, positionIds: Int32Array,
               word: DeviceTable, position: DeviceTable, tokenType: DeviceTable, N: number): void;
  /** y = GELU(x), exact erf form; y may be x. */
  gelu(y: DeviceArray, x: DeviceArray, n: number): void;
  /** y = tanh(x); y may be x. */
  tanh(y: DeviceArray, x: DeviceArray, n: number): void;
  /** y = a ⊙ b elementwise (dropout and its backward: b a mask of 0 or 1/(1-p)); y may be a or b. */
  mul(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void;
  /** y = a + b elementwise (gradients meeting at a branch); y may be a or b. */
  add(y: DeviceArray, a: DeviceArray, b: DeviceArray, n: number): void;
  /** c[M,N] (+)= op(a)·op(b), op = transpose when the flag is set; a: [M,K] or [K,M], b: [K,N] or [N,K]. */
  matmul(c: DeviceArray, a: DeviceArray, b: DeviceArray, M: number, N: number, K: number,
         transA: boolean, transB: boolean, accumulate: boolean): void;

  // ---- backward (all accumulate) --------------------------------------------------------------------
  /** Of y = x·Wᵀ + b with a Float32 (trainable) weight [out,in]: dx += dy·W, dWeight += dyᵀ·x, dBias += Σ_n dy. */
  linearBackward(dx: DeviceArray | null, dWeight: DeviceArray | null, dBias: DeviceArray | null,
                 dy: DeviceArray, x: DeviceArray, weight: DeviceArray, N: number, inFeatures: number, outFeatures: number): void;
  /** Of attention, from the probs it wrote (and its dropMask, if any): dqkv [B,T,3H] += the gradients of q, k and v. */
  attentionBackward(dqkv: DeviceArray, dctx: DeviceArray, qkv: DeviceArray, probs: DeviceArray,
                    B: number, T: number, nh: number, hd: number, scale: number, dropMask?: DeviceArray | null): void;
  /** Of addLayerNorm: dx += ∂/∂sum (add it to both x and r), dWeight, dBias [H] (either may be null). */
  layerNormBackward(dx: DeviceArray, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray,
                    cache: LayerNormCache, weight: DeviceArray, N: number, H: number): void;
  /** dx += dy · GELU'(x). */
  geluBackward(dx: DeviceArray, dy: DeviceArray, x: DeviceArray, n: number): void;
  /** One LSTM step as ops/lstm-cell.ts computes it (gate order i, f, g, o), with device arrays. */
  lstmCellForward(h: DeviceArray, c: DeviceArray, gates: DeviceArray,
                  x: DeviceArray, hPrev: DeviceArray, cPrev: DeviceArray,
                  weightIh: DeviceArray, weightHh: DeviceArray, biasIh: DeviceArray, biasHh: DeviceArray,
                  B: number, inputSize: number, hiddenSize: number): void;
  /** Backward of lstmCellForward (dx may be null), as ops/lstm-cell.ts. */
  lstmCellBackward(dx: DeviceArray | null, dhPrev: DeviceArray, dcPrev: DeviceArray,
                   dWeightIh: DeviceArray, dWeightHh: DeviceArray, dBiasIh: DeviceArray, dBiasHh: DeviceArray,
                   dh: DeviceArray, dc: DeviceArray, gates: DeviceArray, c: DeviceArray, cPrev: DeviceArray,
                   x: DeviceArray, hPrev: DeviceArray, weightIh: DeviceArray, weightHh: DeviceArray,
                   B: number, inputSize: number, hiddenSize: number): void;
}

/** Options of a backend as it is made (createBackend, createWasmBackend). */
export interface BackendOptions {
  /** Threads for the wasm backend (default: every core; 1 where SharedArrayBuffer is unavailable). */
  threads?: number;
  /** Receives one-line notices, e.g. that threads fell back to 1; default console.warn. */
  warn?: (message: string) => void;
}
