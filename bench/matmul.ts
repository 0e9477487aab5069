// Benchmark of the linear-layer kernels: naive loops vs the tiled kernels (src/tensor/ops/gemm-kernel.ts).
// Forward on the roberta-base projection shapes, y[M,N] = x[M,K] · Wᵀ + b with W: [N,K] (out, in);
// backward (dx += dy·W, dW += dyᵀ·x, db += Σ dy) on the attention pooler's first layer and a 768→768 projection.
// Legend: M tokens (8 sequences × 128, or 32 texts × 200), K in-features, N out-features.
// Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/matmul.js`; bench/run.ts calls runMatmulBench().
import { linearBackward, linearBackwardNaive, linearForward, linearNaive } from "../src/tensor/ops/linear.js";
import { Rng } from "../src/tensor/random.js";
import { runIfEntryPoint, secondsPerCall } from "./timing.js";

/** [M,K,N]: attention projections (768→768), FFN up (768→3072), FFN down (3072→768). */
const SHAPES: readonly [number, number, number][] = [
  [1024, 768, 768],
  [1024, 768, 3072],
  [1024, 3072, 768],
];

/** [M,K,N] for backward: the attention pooler's Linear(64→512) over 32 × 200 tokens, and 768→768. */
const BACKWARD_SHAPES: readonly [number, number, number][] = [
  [6400, 64, 512],
  [1024, 768, 768],
];

/** Naive calls cost 1–5 GFLOP (seconds) each: one timed sample after benchmark.js's clocking call. */
const NAIVE_OPTIONS = { minSamples: 1, maxTime: 0.5, initCount: 1, minTime: 0.1 };
/** Fast calls take 0.2–0.8 s: a few samples so that one slow (JIT, scheduling) call does not decide. */
const FAST_OPTIONS = { minSamples: 3, maxTime: 2, initCount: 1, minTime: 0.1 };

/** Max |a − b| over all elements. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Max |a| over all elements. */
function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Times naive vs fast linear layers (forward on roberta-base shapes, then backward) and prints GFLOP/s and the speed-up. */
export async function runMatmulBench(): Promise<void> {
  const rng = new Rng(42);
  const rows: string[] = ["shape M×K×N       | naive GFLOP/s | fast GFLOP/s | speed-up"];
  rows.push("------------------|---------------|--------------|---------");
  for (const [M, K, N] of SHAPES) {
    // x: [M,K] ~ N(0,1); weight: [N,K] ~ N(0, 0.02²) as BERT initialises; bias: [N]
    const x = rng.fillNormal(new Float32Array(M * K), 1);
    const weight = rng.fillNormal(new Float32Array(N * K), 0.02);
    const bias = rng.fillNormal(new Float32Array(N), 0.02);
    const yNaive = new Float32Array(M * N);
    const yFast = new Float32Array(M * N);
    // the fast kernel must agree with the reference before anything is timed
    linearNaive(yNaive, x, weight, bias, M, K, N);
    linearForward(yFast, x, weight, bias, M, K, N);
    const diff = maxAbsDiff(yFast, yNaive);
    if (!(diff <= 1e-5)) throw new Error(`bench/matmul: fast and naive differ by ${diff} on ${M}×${K}×${N}`);
    const flop = 2 * M * K * N;
    const naive = flop / secondsPerCall("naive", () => linearNaive(yNaive, x, weight, bias, M, K, N), NAIVE_OPTIONS) / 1e9;
    const fast = flop / secondsPerCall("fast", () => linearForward(yFast, x, weight, bias, M, K, N), FAST_OPTIONS) / 1e9;
    const shape = `${M}×${K}×${N}`.padEnd(17);
    rows.push(`${shape} | ${naive.toFixed(2).padStart(13)} | ${fast.toFixed(2).padStart(12)} | ${(fast / naive).toFixed(2).padStart(7)}×`);
  }
  console.log("linear y = x·Wᵀ + b, Float32, one thread (max |fast − naive| checked ≤ 1e-5 first)");
  console.log(rows.join("\n"));
  runBackwardBench(rng);
}

/** Times naive vs fast linearBackward (all three gradients) and prints GFLOP/s and the speed-up. */
function runBackwardBench(rng: Rng): void {
  const rows: string[] = ["shape M×K×N       | naive GFLOP/s | fast GFLOP/s | speed-up"];
  rows.push("------------------|---------------|--------------|---------");
  for (const [M, K, N] of BACKWARD_SHAPES) {
    // dy: [M,N], x: [M,K] ~ N(0,1); weight: [N,K] ~ N(0, 0.02²); gradients accumulate, so both sides start at 0
    const dOut = rng.fillNormal(new Float32Array(M * N), 1);
    const x = rng.fillNormal(new Float32Array(M * K), 1);
    const weight = rng.fillNormal(new Float32Array(N * K), 0.02);
    const grads = (): [Float32Array, Float32Array, Float32Array] => [new Float32Array(M * K), new Float32Array(N * K), new Float32Array(N)];
    const naiveGrads = grads(), fastGrads = grads();
    linearBackwardNaive(...naiveGrads, dOut, x, weight, M, K, N);
    linearBackward(...fastGrads, dOut, x, weight, M, K, N);
    // dW and db are sums of M terms, rounded differently by the two loops: compare relative to their size
    const diff = Math.max(...naiveGrads.map((g, i) => maxAbsDiff(fastGrads[i]!, g) / Math.max(1, maxAbs(g))));
    if (!(diff <= 1e-5)) throw new Error(`bench/matmul: fast and naive backward differ by ${diff} (relative) on ${M}×${K}×${N}`);
    const flop = 4 * M * K * N;
    const naive = flop / secondsPerCall("naive", () => linearBackwardNaive(...naiveGrads, dOut, x, weight, M, K, N), NAIVE_OPTIONS) / 1e9;
    const fast = flop / secondsPerCall("fast", () => linearBackward(...fastGrads, dOut, x, weight, M, K, N), FAST_OPTIONS) / 1e9;
    const shape = `${M}×${K}×${N}`.padEnd(17);
    rows.push(`${shape} | ${naive.toFixed(2).padStart(13)} | ${fast.toFixed(2).padStart(12)} | ${(fast / naive).toFixed(2).padStart(7)}×`);
  }
  console.log("\nlinearBackward dx, dW, db, Float32, one thread (max |fast − naive| checked ≤ 1e-5 · max |naive| first)");
  console.log(rows.join("\n"));
}

await runIfEntryPoint(import.meta.url, runMatmulBench);
