// Comparing pooling strategies on equal terms: every pooler gets the same cached features, split,
// head, budget (epochs, batch size, learning rate) and seeds. The encoder runs once per text for all
// poolers (encode-cache.ts plans the fewest caches that serve them); each (pooling, seed) run is one
// PoolerJob, run by a JobRunner (in-process, or in worker threads under Node); the runs are then
// summarised as mean ± std over seeds next to the majority-class baseline (compare-report.ts).
import { TrainingError } from "../errors.js";
import type { Pooler, PoolerReads } from "../pooling/pooler.js";
import type { EncoderModel } from "../pipeline/model.js";
import type { TrainData } from "./data.js";
import { encodeToCaches, pickCache, planCacheReads, selectCacheLayers, tokenizeTexts } from "./encode-cache.js";
import type { FeatureCache } from "./feature-cache.js";
import type { HeadKind } from "./heads/index.js";
import { countParameters, inlineJobRunner, jobBackend, type JobRunner, type JobTrainOptions, type PoolerJob, type PoolerJobResult } from "./job.js";
import type { LabelledData } from "./labelled.js";
import { LabelEncoder, type EncodedLabels } from "./labels.js";
import type { TrainProgress } from "./loop.js";
import { poolingLabel, summarizeCompare, type CompareReport, type FailedRun } from "./compare-report.js";
import { defaultMetric, type Task } from "./task.js";

/** Runs the encoder over one split's texts into one feature cache per entry of `plan`. */
export type SplitEncoder = (split: string, data: LabelledData, plan: PoolerReads[]) => Promise<FeatureCache[]>;

/** One (pooling, seed) run of a comparison. */
export interface CompareRun {
  index: number;
  pooling: string | object;
  seed: number;
}

export interface ComparePoolersOptions {
  task: Task;
  /** Pooling names or specs, in the order the report lists them. */
  poolings: (string | object)[];
  /** The seeds every pooling is trained with. */
  seeds: number[];
  head: { kind: HeadKind; dropout: number };
  /** The budget every run shares (its `metric` is the one compared; default the task's first). */
  options: JobTrainOptions;
  /** Token limit per text (<s> and </s> included); longer texts are cut. */
  maxLength: number;
  /** Where the runs go; default one at a time on this thread. The caller closes a runner it made. */
  runner?: JobRunner;
  /** How a split is encoded; default tokenizeTexts + encodeToCaches, without output. */
  encode?: SplitEncoder;
  /** Recorded first in the report's settings, e.g. `{ model }`. */
  settings?: Record<string, unknown>;
  onRunProgress?: (run: CompareRun, progress: TrainProgress) => void;
  onRunDone?: (run: CompareRun, result: PoolerJobResult) => void;
  onRunFailed?: (run: CompareRun, error: Error) => void;
  /** Asked once the runs are over: true (e.g. after Ctrl-C) ends the comparison with an error instead of a report. */
  shouldStop?: () => boolean;
}

/** What a comparison gives: its report, the runs that failed, and every finished run with its weights. */
export interface CompareOutcome {
  report: CompareReport;
  failed: FailedRun[];
  /** In the order of the report (pooling as listed, then seed); `result.state` holds the kept weights. */
  runs: { pooling: string | object; seed: number; result: PoolerJobResult }[];
  /** The label encoder fitted on the training split (what a saved head needs). */
  labels: LabelEncoder;
}

interface EncodedSplit {
  caches: FeatureCache[];
  labels: EncodedLabels;
}

/**
 * Trains every pooling in `options.poolings` once per seed on `data.train` (a fresh head each), selects
 * epochs on `data.valid`, scores on `data.test`, and returns the report with the runs that failed and
 * every finished run (for `compareHeadFolders`, which keeps them as head folders).
 * @example
 * const { report } = await comparePoolers(model, { train, valid, test: null }, {
 *   task: "classification", poolings: ["mean", "attention"], seeds: [0, 1], head: { kind: "linear", dropout: 0 },
 *   options: { epochs: 5, lr: 1e-2 }, maxLength: 128,
 * });
 */
export async function comparePoolers(
  model: EncoderModel,
  data: { train: LabelledData; valid: LabelledData; test: LabelledData | null },
  options: ComparePoolersOptions,
): Promise<CompareOutcome> {
  const { task, seeds } = options;
  const labelEncoder = LabelEncoder.fit(task, data.train.labels, `training (${data.train.source})`);
  const poolers = new Map<string, Pooler>(options.poolings.map((p) => [poolingLabel(p), model.createPooler(p)]));
  const plan = planCacheReads([...poolers.values()].map((p) => p.reads));
  const encode = options.encode ?? (async (_split, d, p) => encodeToCaches(model, tokenizeTexts(model, d.texts, options.maxLength, d.source).encodings, p));
  const encodeSplit = async (d: LabelledData, name: string): Promise<EncodedSplit> => ({
    labels: labelEncoder.encode(d.labels, `${name} (${d.source})`, d.lines),
    caches: await encode(name, d, plan),
  });
  const train = await encodeSplit(data.train, "training");
  const valid = await encodeSplit(data.valid, "validation");
  const test = data.test === null ? null : await encodeSplit(data.test, "test");
  const dataFor = (split: EncodedSplit, pooler: Pooler, name: string): TrainData => ({
    features: selectCacheLayers(pickCache(split.caches, pooler.reads, name), pooler.reads),
    labels: split.labels,
  });
  // the costliest runs (most parameters) start first, so the cores finish together
  const order = [...options.poolings].sort((a, b) => countParameters(poolers.get(poolingLabel(b))!.parameters) - countParameters(poolers.get(poolingLabel(a))!.parameters));
  const planned = order.flatMap((pooling) => {
    const pooler = poolers.get(poolingLabel(pooling))!;
    const name = poolingLabel(pooling);
    return seeds.map((seed): { pooling: string | object; seed: number; job: PoolerJob } => ({
      pooling, seed,
      job: {
        pooling, dims: model.dims, head: options.head, seed,
        train: dataFor(train, pooler, name), valid: dataFor(valid, pooler, name),
        test: test === null ? null : dataFor(test, pooler, name), options: options.options,
        splits: { train: "training", valid: "validation", test: test === null ? null : "test" },
        backend: jobBackend(model.encoder.backend),
      },
    }));
  });

  const runner = options.runner ?? inlineJobRunner(options.shouldStop);
  const ok: { pooling: string | object; seed: number; result: PoolerJobResult }[] = [];
  const failed: FailedRun[] = [];
  const start = Date.now();
  await Promise.all(planned.map(async ({ pooling, seed, job }, index) => {
    const run: CompareRun = { index, pooling, seed };
    try {
      const result = await runner.run(job, { onProgress: (p) => options.onRunProgress?.(run, p) });
      ok.push({ pooling, seed, result });
      options.onRunDone?.(run, result);
    } catch (err) {
      failed.push({ pooling: poolingLabel(pooling), seed, error: (err as Error).message });
      options.onRunFailed?.(run, err as Error);
    }
  }));
  const seconds = (Date.now() - start) / 1000;
  if (options.shouldStop?.()) throw new TrainingError("interrupted; no comparison was written");

  // the table keeps the order the poolings were listed in
  const listed = options.poolings.map(poolingLabel);
  const done = ok.sort((a, b) => listed.indexOf(poolingLabel(a.pooling)) - listed.indexOf(poolingLabel(b.pooling)) || a.seed - b.seed);
  const settings = {
    ...options.settings,
    data: { train: data.train.source, valid: data.valid.source, test: data.test?.source ?? null },
    examples: { train: data.train.texts.length, valid: data.valid.texts.length, test: data.test?.texts.length ?? null },
    maxLength: options.maxLength, seeds,
    ...options.options, head: options.head.kind, dropout: options.head.dropout,
    jobs: runner.parallel, trainingWallSeconds: Number(seconds.toFixed(1)),
    failures: failed,
  };
  const report = summarizeCompare(task, options.options.metric ?? defaultMetric(task), done, {
    train: { features: train.caches[0]!, labels: train.labels },
    valid: { features: valid.caches[0]!, labels: valid.labels },
    test: test === null ? null : { features: test.caches[0]!, labels: test.labels },
  }, settings);
  return { report, failed, runs: done, labels: labelEncoder };
}
