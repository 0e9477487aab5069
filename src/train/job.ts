// One training run as plain, structured-cloneable data (a PoolerJob), so that jobs can run in worker
// threads (src/io/job-runner.ts) as well as in-process: a pooler and a fresh head built from the job's
// seed, trained on the job's split with its budget, scored on validation and test.
// Legend: D pooled size, k head outputs.
import { createPooler } from "../pooling/index.js";
import type { PoolingDims } from "../pooling/pooler.js";
import type { PoolingSpec } from "../pooling/registry.js";
import type { Backend } from "../tensor/backend.js";
import { sharedBackend } from "../tensor/choose-backend.js";
import { numel, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { TrainData } from "./data.js";
import { evaluateSplit } from "./evaluate.js";
import { createHead, type HeadKind } from "./heads/index.js";
import { trainPooler, type EpochRecord, type TrainOptions, type TrainProgress } from "./loop.js";
import type { Metrics } from "./metrics.js";
import { trainableParameters } from "./step.js";

/** Training options that travel with a job (no callbacks, so a job can be posted to a worker). */
export type JobTrainOptions = Omit<TrainOptions, "onProgress" | "onEpoch" | "shouldStop" | "seed">;

/** Where a job's kernels run, as data that crosses to a worker thread: a backend name and its threads. */
export interface JobBackend {
  name: "js" | "wasm";
  threads: number;
}

/** The JobBackend of a backend, e.g. of the model whose features a job trains on (`model.encoder.backend`). */
export function jobBackend(backend: Backend): JobBackend {
  return { name: backend.name === "wasm" ? "wasm" : "js", threads: backend.threads };
}

/** The backend a job names (the process's shared one of that name and thread count); undefined for none. */
export async function resolveJobBackend(job: PoolerJob): Promise<Backend | undefined> {
  if (job.backend === undefined) return undefined;
  return sharedBackend(job.backend.name, { threads: job.backend.threads });
}

/** One training run: a pooler and a fresh head trained on `train`, selected on `valid`, scored on `test`. */
export interface PoolerJob {
  /** A pooling name or JSON spec. */
  pooling: string | object;
  dims: PoolingDims;
  head: { kind: HeadKind; dropout: number };
  /** Seeds the pooler's and head's initialisation, the shuffling and the dropout masks. */
  seed: number;
  train: TrainData;
  valid: TrainData | null;
  test: TrainData | null;
  options: JobTrainOptions;
  /** Names of the splits the data come from ("training", "validation", "test"), for runners that re-read them (fine-tuning). */
  splits?: { train: string; valid: string | null; test: string | null };
  /** Where the pooler's and head's kernels run; absent: the pure-TS reference. */
  backend?: JobBackend;
}

export interface PoolerJobResult {
  spec: PoolingSpec;
  /** D */
  outputSize: number;
  poolerParameters: number;
  headParameters: number;
  /** Wall time of trainPooler (the epochs and their validation), in seconds. */
  trainSeconds: number;
  history: EpochRecord[];
  bestEpoch: number;
  metric: string;
  interrupted: boolean;
  /** Metrics of the kept weights on the validation and test splits (null without that split). */
  validMetrics: Metrics | null;
  testMetrics: Metrics | null;
  /** The kept weights under `pooler.<name>` and `head.<name>` (Float32 copies). */
  state: Map<string, Tensor>;
}

export interface JobHooks {
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (record: EpochRecord, epochs: number) => void;
  shouldStop?: () => boolean;
}

/** Number of trainable values in a parameter map. */
export function countParameters(params: Map<string, Tensor<FloatArray>>): number {
  let n = 0;
  for (const t of params.values()) n += numel(t.shape);
  return n;
}

/**
 * Runs one job: builds the pooler and head from the job's seed, trains them (trainPooler), and scores
 * the kept weights on validation and test. Their kernels run on `backend` (resolveJobBackend(job)).
 * @example
 * const r = runPoolerJob({ pooling: "mean", dims, head: { kind: "linear", dropout: 0 }, seed: 0, train, valid, test: null, options: { epochs: 3 } });
 */
export function runPoolerJob(job: PoolerJob, hooks: JobHooks = {}, backend?: Backend): PoolerJobResult {
  const on = backend === undefined ? {} : { backend };
  const pooler = createPooler(job.pooling, job.dims, { seed: job.seed, ...on });
  const head = createHead(job.head.kind, pooler.outputSize, job.train.labels.numOutputs, { seed: job.seed, dropout: job.head.dropout, ...on });
  const start = Date.now();
  const result = trainPooler(pooler, head, job.train, job.valid, {
    ...job.options, seed: job.seed, onProgress: hooks.onProgress, onEpoch: hooks.onEpoch, shouldStop: hooks.shouldStop,
  });
  const trainSeconds = (Date.now() - start) / 1000;
  const state = new Map<string, Tensor>();
  for (const [name, t] of trainableParameters(pooler, head)) state.set(name, { data: Float32Array.from(t.data), shape: [...t.shape] });
  return {
    spec: pooler.spec,
    outputSize: pooler.outputSize,
    poolerParameters: countParameters(pooler.parameters),
    headParameters: countParameters(head.parameters),
    trainSeconds,
    history: result.history,
    bestEpoch: result.bestEpoch,
    metric: result.metric,
    interrupted: result.interrupted,
    validMetrics: job.valid === null ? null : evaluateSplit(pooler, head, job.valid).metrics,
    testMetrics: job.test === null ? null : evaluateSplit(pooler, head, job.test).metrics,
    state,
  };
}

/** What a caller hears of a running job: every step, and every complete epoch. */
export type RunHooks = Pick<JobHooks, "onProgress" | "onEpoch">;

/** Runs jobs: one at a time in-process (inlineJobRunner), or in worker threads (createJobRunner in Node). */
export interface JobRunner {
  /** Jobs that run at the same time. */
  readonly parallel: number;
  run(job: PoolerJob, hooks?: RunHooks): Promise<PoolerJobResult>;
  /** Ends the runner's threads, if any. */
  close(): Promise<void>;
}

/** Runs jobs one at a time on the calling thread; `shouldStop` is polled after every step. */
export function inlineJobRunner(shouldStop?: () => boolean): JobRunner {
  return {
    parallel: 1,
    run: async (job, hooks = {}) => runPoolerJob(job, { ...hooks, ...(shouldStop === undefined ? {} : { shouldStop }) }, await resolveJobBackend(job)),
    close: async () => {},
  };
}
