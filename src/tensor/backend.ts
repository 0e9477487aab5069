// The seam through which heavy callers (the RoBERTa forward) reach the big kernels, so that a
// WebAssembly-SIMD or worker-thread backend can replace the pure-TypeScript one without touching callers.
// Legend: M rows, K reduction size, N columns; N, inFeatures, outFeatures as in ops/linear.ts.
import type { FloatArray } from "./tensor.js";
import { linearForward } from "./ops/linear.js";
import { matmul, matmulTransB } from "./ops/matmul.js";

/** out[M,N] = a[M,K] · b (b: [K,N] for matmul, [N,K] for matmulTransB). */
export type MatmulKernel = (out: FloatArray, a: FloatArray, b: FloatArray, M: number, K: number, N: number) => void;

/** y[N,out] = x[N,in] · weightᵀ + bias, weight: [out,in]; bias may be null. */
export type LinearKernel = (
  out: FloatArray, x: FloatArray, weight: FloatArray, bias: FloatArray | null,
  N: number, inFeatures: number, outFeatures: number,
) => void;

/** A set of the heavy kernels; every implementation computes the same numbers as ops/*.ts. */
export interface Backend {
  name: string;
  matmul: MatmulKernel;
  matmulTransB: MatmulKernel;
  linearForward: LinearKernel;
}

/** The pure-TypeScript backend: the tiled kernels of ops/gemm-kernel.ts on one thread. */
export const jsBackend: Backend = { name: "js", matmul, matmulTransB, linearForward };
