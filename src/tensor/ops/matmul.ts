// Matrix products. Legend: M rows of a/out, K shared (reduction) size, N columns of out.
// matmul:       out[M,N] = a[M,K] · b[K,N]
// matmulTransB: out[M,N] = a[M,K] · b[N,K]ᵀ   (b stored row-major as [N,K], the layout of a PyTorch weight)
// Each fast kernel has its naive reference right beside it; tests and benchmarks compare the two.
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";
import { gemmTransBTiled, gemmTiled } from "./gemm-kernel.js";

function checkMatmul(fn: string, out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number, transB: boolean): void {
  checkSize(fn, "a", a, [M, K], "[M,K]");
  if (transB) checkSize(fn, "b", b, [N, K], "[N,K]");
  else checkSize(fn, "b", b, [K, N], "[K,N]");
  checkSize(fn, "out", out, [M, N], "[M,N]");
}

/** Reference product out[M,N] = a[M,K] · b[K,N], three plain loops. */
export function matmulNaive(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  checkMatmul("matmulNaive", out, a, b, M, K, N, false);
  // out[i,j] = Σ_k a[i,k] · b[k,j]
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      out[i * N + j] = s;
    }
  }
}

/** Fast out[M,N] = a[M,K] · b[K,N] (cache-blocked, register-tiled; see gemm-kernel.ts). */
export function matmul(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  checkMatmul("matmul", out, a, b, M, K, N, false);
  gemmTiled(out, a, b, M, K, N);
}

/** Reference product out[M,N] = a[M,K] · b[N,K]ᵀ, three plain loops. */
export function matmulTransBNaive(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  checkMatmul("matmulTransBNaive", out, a, b, M, K, N, true);
  // out[i,j] = Σ_k a[i,k] · b[j,k]
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[j * K + k]!;
      out[i * N + j] = s;
    }
  }
}

/** Fast out[M,N] = a[M,K] · b[N,K]ᵀ (cache-blocked, register-tiled; see gemm-kernel.ts). */
export function matmulTransB(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  checkMatmul("matmulTransB", out, a, b, M, K, N, true);
  gemmTransBTiled(out, a, b, M, K, N, null);
}
