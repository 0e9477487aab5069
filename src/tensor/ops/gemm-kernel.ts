// The fast kernel behind matmul, matmulTransB and linearForward. No argument checks here: the public
// wrappers check sizes once. Legend: M rows of a/out, K reduction size, N columns of out.
//
// Why it is fast (pure scalar TypeScript, no SIMD): out = a·bᵀ with b stored [N,K] makes every output a
// dot product of two contiguous rows. A 3×4 register tile computes 12 outputs at once from 3 rows of a
// and 4 rows of b, so each k step does 7 loads for 12 multiply-adds (the naive loop: 2 loads per
// multiply-add) and keeps 12 independent accumulators in flight instead of one long dependency chain.
// 3×4 is the largest tile whose 12 accumulators + 3 a values + 1 b value fit the 16 x64 float registers;
// 4×4 spills (measured: 3×4 ≈ 6 GFLOP/s, 4×4 ≈ 5.8, 3×3 ≈ 4, naive ≈ 2 on one core).
// Cache blocking: the columns are walked in blocks of rows of b small enough (≤ 64K elements) to stay
// in L2 while every row tile of a streams past them.
import type { FloatArray } from "../tensor.js";

const TILE_ROWS = 3;
const TILE_COLS = 4;
/** Elements of b kept hot per column block (256 KB of Float32). */
const BLOCK_ELEMENTS = 65536;

/** out[i,j] = bias[j] + Σ_k a[i,k] · b[j,k] for one element: the edge case of the tiled loops. */
function dotOne(out: FloatArray, a: FloatArray, b: FloatArray, bias: FloatArray | null, K: number, N: number, i: number, j: number): void {
  let s = bias === null ? 0 : bias[j]!;
  const ai = i * K;
  const bj = j * K;
  for (let k = 0; k < K; k++) s += a[ai + k]! * b[bj + k]!;
  out[i * N + j] = s;
}

/** One 3×4 tile: out[i..i+2, j..j+3] = bias[j..j+3] + a[i..i+2,:] · b[j..j+3,:]ᵀ. */
function tile3x4(out: FloatArray, a: FloatArray, b: FloatArray, bias: FloatArray | null, K: number, N: number, i: number, j: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  const a0 = i * K, a1 = a0 + K, a2 = a1 + K;
  const b0 = j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
  // c[r][s] += a[i+r,k] · b[j+s,k], one k at a time, a values held while the 4 b values stream in
  for (let k = 0; k < K; k++) {
    const x0 = a[a0 + k]!, x1 = a[a1 + k]!, x2 = a[a2 + k]!;
    let y = b[b0 + k]!;
    c00 += x0 * y; c10 += x1 * y; c20 += x2 * y;
    y = b[b1 + k]!;
    c01 += x0 * y; c11 += x1 * y; c21 += x2 * y;
    y = b[b2 + k]!;
    c02 += x0 * y; c12 += x1 * y; c22 += x2 * y;
    y = b[b3 + k]!;
    c03 += x0 * y; c13 += x1 * y; c23 += x2 * y;
  }
  const d0 = bias === null ? 0 : bias[j]!, d1 = bias === null ? 0 : bias[j + 1]!;
  const d2 = bias === null ? 0 : bias[j + 2]!, d3 = bias === null ? 0 : bias[j + 3]!;
  let o = i * N + j;
  out[o] = c00 + d0; out[o + 1] = c01 + d1; out[o + 2] = c02 + d2; out[o + 3] = c03 + d3;
  o += N;
  out[o] = c10 + d0; out[o + 1] = c11 + d1; out[o + 2] = c12 + d2; out[o + 3] = c13 + d3;
  o += N;
  out[o] = c20 + d0; out[o + 1] = c21 + d1; out[o + 2] = c22 + d2; out[o + 3] = c23 + d3;
}

/** out[M,N] = a[M,K] · b[N,K]ᵀ (+ bias[N] on every row when given). */
export function gemmTransBTiled(
  out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number, bias: FloatArray | null,
): void {
  const blockCols = Math.max(TILE_COLS, Math.floor(BLOCK_ELEMENTS / Math.max(K, 1) / TILE_COLS) * TILE_COLS);
  for (let j0 = 0; j0 < N; j0 += blockCols) {
    const j1 = Math.min(N, j0 + blockCols);
    // full 3×4 tiles, then the leftover columns of this block one by one
    let i = 0;
    for (; i + TILE_ROWS <= M; i += TILE_ROWS) {
      let j = j0;
      for (; j + TILE_COLS <= j1; j += TILE_COLS) tile3x4(out, a, b, bias, K, N, i, j);
      for (; j < j1; j++) {
        for (let r = 0; r < TILE_ROWS; r++) dotOne(out, a, b, bias, K, N, i + r, j);
      }
    }
    // leftover rows (M mod 3)
    for (; i < M; i++) {
      for (let j = j0; j < j1; j++) dotOne(out, a, b, bias, K, N, i, j);
    }
  }
}

/**
 * out[M,N] = a[M,K] · b[K,N]. For M ≥ 3 b is first transposed into a scratch [N,K] (K·N copies, small
 * next to M·K·N multiply-adds) so the dot-product tiles above apply; for M < 3 an i-k-j loop along
 * contiguous rows of b and out is already as good.
 */
export function gemmTiled(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  if (M < TILE_ROWS) {
    out.fill(0);
    // out[i,:] += a[i,k] · b[k,:]
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const aik = a[i * K + k]!;
        const bk = k * N;
        for (let j = 0; j < N; j++) out[i * N + j]! += aik * b[bk + j]!;
      }
    }
    return;
  }
  // bt[j,k] = b[k,j]
  const bt = b instanceof Float64Array ? new Float64Array(K * N) : new Float32Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < N; j++) bt[j * K + k] = b[k * N + j]!;
  }
  gemmTransBTiled(out, a, bt, M, K, N, null);
}
