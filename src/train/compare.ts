// Comparing pooling strategies on equal terms: every pooler gets the same cached features, split,
// head, budget (epochs, batch size, learning rate) and seeds; each run is one PoolerJob, a plain
// structured-cloneable object, so that jobs can run in worker threads as well as in-process.
// The runs are then summarised as mean ± std over seeds next to the majority-class baseline.
// Legend: D pooled size, k head outputs.
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { numel } from "../tensor/tensor.js";
import { createPooler } from "../pooling/index.js";
import type { PoolingDims } from "../pooling/pooler.js";
import type { PoolingSpec } from "../pooling/spec.js";
import { createHead, type HeadKind } from "./heads.js";
import { majorityBaseline, TASK_METRICS, type Metrics, type Task } from "./metrics.js";
import { toOriginalUnits } from "./labels.js";
import { evaluateSplit, trainableParameters, trainPooler, type EpochRecord, type TrainData, type TrainOptions, type TrainProgress } from "./train.js";

/** Training options that travel with a job (no callbacks, so a job can be posted to a worker). */
export type JobTrainOptions = Omit<TrainOptions, "onProgress" | "onEpoch" | "shouldStop" | "seed">;

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
 * the kept weights on validation and test.
 * @example
 * const r = runPoolerJob({ pooling: "mean", dims, head: { kind: "linear", dropout: 0 }, seed: 0, train, valid, test: null, options: { epochs: 3 } });
 */
export function runPoolerJob(job: PoolerJob, hooks: JobHooks = {}): PoolerJobResult {
  const pooler = createPooler(job.pooling, job.dims, { seed: job.seed });
  const head = createHead(job.head.kind, pooler.outputSize, job.train.labels.numOutputs, { seed: job.seed, dropout: job.head.dropout });
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

// ---------------------------------------------------------------------------------------------
// Summaries
// ---------------------------------------------------------------------------------------------

export interface MeanStd {
  mean: number;
  /** Population standard deviation (numpy's default), 0 for a single value. */
  std: number;
}

/** Mean and population standard deviation of the values. */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  return { mean, std };
}

/** One pooling strategy over all seeds. */
export interface CompareRow {
  /** The name the user listed (or the spec's JSON). */
  pooling: string;
  spec: PoolingSpec;
  outputSize: number;
  poolerParameters: number;
  headParameters: number;
  valid: MeanStd | null;
  test: MeanStd | null;
  trainSeconds: MeanStd;
  /** Per-seed results without the weights. */
  runs: { seed: number; bestEpoch: number; trainSeconds: number; validMetrics: Metrics | null; testMetrics: Metrics | null }[];
}

export interface CompareReport {
  task: Task;
  /** The metric in the table (the selection metric of training). */
  metric: string;
  rows: CompareRow[];
  /** The majority-class (or mean) predictor fitted on the training labels. */
  baseline: { valid: number | null; test: number | null };
  /** What every run shared, for the record (epochs, learning rate, sizes of the splits, …). */
  settings: Record<string, unknown>;
}

/** The label of a pooling in tables: its name as given, or its JSON spec. */
export function poolingLabel(pooling: string | object): string {
  return typeof pooling === "string" ? pooling : JSON.stringify(pooling);
}

/**
 * Summarises finished runs (several seeds per pooling, in any order) into one row per pooling, in the
 * order the poolings first appear, with the baseline of `train`'s labels on `valid` and `test`.
 */
export function summarizeCompare(
  task: Task,
  metric: string,
  runs: readonly { pooling: string | object; seed: number; result: PoolerJobResult }[],
  splits: { train: TrainData; valid: TrainData | null; test: TrainData | null },
  settings: Record<string, unknown> = {},
): CompareReport {
  const groups = new Map<string, typeof runs[number][]>();
  for (const run of runs) {
    const label = poolingLabel(run.pooling);
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  const pick = (m: Metrics | null): number | null => (m === null ? null : (m[metric] ?? null));
  const stats = (values: (number | null)[]): MeanStd | null =>
    values.some((v) => v === null) ? null : meanStd(values as number[]);
  const rows = [...groups].map(([label, group]): CompareRow => {
    const first = (group[0] as typeof runs[number]).result;
    return {
      pooling: label,
      spec: first.spec,
      outputSize: first.outputSize,
      poolerParameters: first.poolerParameters,
      headParameters: first.headParameters,
      valid: stats(group.map((g) => pick(g.result.validMetrics))),
      test: stats(group.map((g) => pick(g.result.testMetrics))),
      trainSeconds: meanStd(group.map((g) => g.result.trainSeconds)),
      runs: group.map((g) => ({
        seed: g.seed, bestEpoch: g.result.bestEpoch, trainSeconds: g.result.trainSeconds,
        validMetrics: g.result.validMetrics, testMetrics: g.result.testMetrics,
      })),
    };
  });
  const labels = splits.train.labels;
  // the baseline's metrics in the targets' own units, as evaluateSplit reports the poolers'
  const units = (values: Float64Array): ArrayLike<number> => (labels.targetScale === null ? values : toOriginalUnits(values, labels.targetScale));
  const base = (split: TrainData | null): number | null =>
    split === null ? null : (majorityBaseline(task, units(labels.values), units(split.labels.values), labels.numOutputs)[metric] ?? null);
  return { task, metric, rows, baseline: { valid: base(splits.valid), test: base(splits.test) }, settings };
}

function formatStat(s: MeanStd | null, seeds: number, digits = 3): string {
  if (s === null) return "–";
  if (Number.isNaN(s.mean)) return "NaN";
  return seeds > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/**
 * The report as a Markdown table: pooling | D | params (pooler + head) | valid and test metric
 * (mean ± std over seeds) | training time; the baseline as the last row.
 */
export function compareMarkdown(report: CompareReport): string {
  const seeds = Math.max(...report.rows.map((r) => r.runs.length));
  const hasValid = report.rows.some((r) => r.valid !== null);
  const hasTest = report.rows.some((r) => r.test !== null);
  const m = report.metric;
  const header = ["pooling", "D", "params (pooler + head)", ...(hasValid ? [`valid ${m}`] : []), ...(hasTest ? [`test ${m}`] : []), "train time"];
  const align = ["---", "---:", "---:", ...(hasValid ? ["---:"] : []), ...(hasTest ? ["---:"] : []), "---:"];
  const lines = [`| ${header.join(" | ")} |`, `| ${align.join(" | ")} |`];
  for (const r of report.rows) {
    const cells = [
      `\`${r.pooling}\``,
      String(r.outputSize),
      `${r.poolerParameters.toLocaleString("en-US")} + ${r.headParameters.toLocaleString("en-US")}`,
      ...(hasValid ? [formatStat(r.valid, seeds)] : []),
      ...(hasTest ? [formatStat(r.test, seeds)] : []),
      formatSeconds(r.trainSeconds.mean),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const b = report.baseline;
  const baseCells = [
    "majority baseline", "", "0",
    ...(hasValid ? [b.valid === null ? "–" : b.valid.toFixed(3)] : []),
    ...(hasTest ? [b.test === null ? "–" : b.test.toFixed(3)] : []),
    "",
  ];
  lines.push(`| ${baseCells.join(" | ")} |`);
  const note = seeds > 1 ? `Mean ± std (population) over ${seeds} seeds.` : "One seed.";
  return `${lines.join("\n")}\n\n${note} The metric is ${m} (${report.task}); the baseline predicts the training split's ${
    report.task === "regression" ? "mean" : "majority class"
  }.\n`;
}

/** The metric a comparison reports by default: the task's first (macroF1, rmse, microF1). */
export function defaultMetric(task: Task): string {
  return TASK_METRICS[task][0] as string;
}
