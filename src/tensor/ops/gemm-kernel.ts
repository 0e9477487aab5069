// The fast inner kernels behind matmul, matmulTransB and linearForward. No argument checks here:
// the public wrappers check sizes once. Legend: M rows of a/out, K reduction size, N columns of out.
import type { FloatArray } from "../tensor.js";

/** out[M,N] = a[M,K] · b[K,N]: i-k-j order so the innermost loop runs along contiguous rows of b and out. */
export function gemmTiled(out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number): void {
  out.fill(0);
  // out[i,:] += a[i,k] · b[k,:]
  for (let i = 0; i < M; i++) {
    const o = i * N;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]!;
      const bk = k * N;
      for (let j = 0; j < N; j++) out[o + j]! += aik * b[bk + j]!;
    }
  }
}

/** out[M,N] = a[M,K] · b[N,K]ᵀ (+ bias[N] broadcast over rows when given). */
export function gemmTransBTiled(
  out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number, bias: FloatArray | null,
): void {
  // out[i,j] = bias[j] + Σ_k a[i,k] · b[j,k]
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = bias === null ? 0 : bias[j]!;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[j * K + k]!;
      out[i * N + j] = s;
    }
  }
}
