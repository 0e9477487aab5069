// The configurations the forward benchmark compares, what a child process is asked to do, and what it
// answers. Ours are chosen only through loadModel's public options; the peer is onnxruntime-node.
// Legend: B batch, T tokens.

export interface OursSpec {
  system: "ours";
  backend: "js" | "wasm";
  threads: number;
  dtype: "f32" | "f16";
  quantize?: "int8";
}

export interface PeerSpec {
  system: "onnxruntime-node";
  threads: number;
}

export type SystemSpec = OursSpec | PeerSpec;

/** A (B, T) input shape. */
export interface Shape {
  B: number;
  T: number;
}

/** What one child process does: load a system, check it against the reference, time it on `shapes`. */
export interface Job {
  spec: SystemSpec;
  modelDir: string;
  /** "reference" writes the check output (ours, js, f32, 1 thread); "compare" checks against it. */
  check: "reference" | "compare";
  shapes: Shape[];
  /** "once": one call per shape (the js backend: a 8 × 128 forward takes ~40 s); else benchmark.js samples. */
  timing: "once" | "benchmark";
  /**
   * Paired timing instead: `spec` and `against` loaded in this one process, their calls alternating
   * (A B, B A, …) so that whatever the machine does at that moment hits both alike. For ratios between
   * two of our configurations (2 threads against 1), which separate processes minutes apart measure badly.
   */
  against?: SystemSpec;
}

/** One shape timed in pairs: seconds of each call of `spec` and of `against`, pair by pair. */
export interface PairedTiming extends Shape {
  seconds: number[];
  againstSeconds: number[];
}

export interface Timing extends Shape {
  /** Wall-clock seconds per forward. */
  seconds: number;
  /** CPU seconds per forward, all threads of the process (less sensitive to a busy machine than wall time). */
  cpuSeconds: number;
}

/** The check of a system's last_hidden_state against ours (js, f32, 1 thread) on the check input. */
export interface Parity {
  /** max |ours − theirs| over every element of last_hidden_state [B,T,H]. */
  maxAbsDiff: number;
  /** The smallest cosine, over rows, of mean-pooled (masked) vectors. */
  minCosine: number;
}

/** The line a child prints its ChildResult on, as JSON after this prefix. */
export const RESULT_PREFIX = "@@result ";
/** A child prints one such line (and what it just finished) after loading and after every forward call. */
export const PROGRESS_PREFIX = "@@progress ";

export type ChildResult =
  | { available: false; reason: string }
  | {
      available: true;
      loadSeconds: number;
      parity: Parity | null;
      timings: Timing[];
      peakRssBytes: number;
      version?: string;
      /** A paired job's timings (its `timings` is then empty). */
      paired?: PairedTiming[];
      /** The round of the main table the run belongs to (set by the parent). */
      round?: number;
    };

/** A short stable name, e.g. "ours-wasm-2t-f16" or "onnxruntime-node-2t". */
export function specId(spec: SystemSpec): string {
  if (spec.system === "onnxruntime-node") return `onnxruntime-node-${spec.threads}t`;
  return `ours-${spec.backend}-${spec.threads}t-${spec.quantize ?? spec.dtype}`;
}

/** The label in the tables: "ours, wasm, f32" or "onnxruntime-node". */
export function specLabel(spec: SystemSpec): string {
  if (spec.system === "onnxruntime-node") return "onnxruntime-node";
  return `ours, ${spec.backend}, ${spec.quantize === "int8" ? "int8 (dynamic)" : spec.dtype}`;
}

/** F32 systems must match the reference within this (random weights, roberta-base shape). */
export const PARITY_ATOL = 1e-3;
/** f16 / int8: a sanity bound on mean-pooled vectors (their accuracy floors are tested elsewhere). */
export const REDUCED_MIN_COSINE = 0.99;

/** F32 weights and activations: held to the 1e-3 parity bound; f16 / int8 only to a cosine sanity bound. */
export function isFullPrecision(spec: SystemSpec): boolean {
  return spec.system === "onnxruntime-node" || (spec.dtype === "f32" && spec.quantize === undefined);
}

/** Our configurations, in the order of the table. */
export function oursSpecs(): OursSpec[] {
  const specs: OursSpec[] = [];
  for (const backend of ["js", "wasm"] as const) {
    for (const threads of [1, 2]) specs.push({ system: "ours", backend, threads, dtype: "f32" });
  }
  for (const threads of [1, 2]) specs.push({ system: "ours", backend: "wasm", threads, dtype: "f16" });
  for (const threads of [1, 2]) specs.push({ system: "ours", backend: "wasm", threads, dtype: "f32", quantize: "int8" });
  return specs;
}

export function peerSpecs(): PeerSpec[] {
  return [1, 2].map((threads) => ({ system: "onnxruntime-node", threads }));
}

/** The reference every system is checked against: ours, pure TypeScript, F32, one thread. */
export const REFERENCE: OursSpec = { system: "ours", backend: "js", threads: 1, dtype: "f32" };

export const MAIN_SHAPES: Shape[] = [
  { B: 1, T: 128 },
  { B: 8, T: 128 },
];

/** Cost against sequence length (B = 1) and against batch size (T = 128). */
export const LENGTH_SWEEP: Shape[] = [32, 64, 128, 256, 512].map((T) => ({ B: 1, T }));
export const BATCH_SWEEP: Shape[] = [1, 8, 32].map((B) => ({ B, T: 128 }));
