// Training a pooler and its head on a frozen encoder: epochs over a FeatureCache (feature-cache.ts) of
// what the pooler reads, seeded shuffling, mini-batch steps (step.ts), a warm-up and decay schedule,
// per-epoch validation and early stopping with the best weights restored.
// Legend: N examples, B batch.
import { TrainingError } from "../errors.js";
import type { Pooler } from "../pooling/pooler.js";
import { Rng } from "../tensor/random.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import type { TrainData } from "./data.js";
import { checkData, evaluateSplit } from "./evaluate.js";
import { assembleBatch } from "./feature-cache.js";
import type { Head } from "./heads/index.js";
import { subsetLabels } from "./labels.js";
import type { Metrics } from "./metrics.js";
import { AdamW } from "./optim.js";
import { makeSchedule, type ScheduleKind } from "./schedule.js";
import { range } from "./splits.js";
import { trainableParameters, trainingStep } from "./step.js";
import { defaultMetric, higherIsBetter, TASK_METRICS } from "./task.js";

export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Optimizer steps done so far in the run. */
  step: number;
  totalSteps: number;
  /** Loss of the batch just trained on. */
  loss: number;
}

export interface TrainOptions {
  epochs?: number; // default 10
  batchSize?: number; // default 32
  lr?: number; // base learning rate, default 1e-3
  weightDecay?: number; // AdamW decoupled weight decay, default 0.01
  schedule?: ScheduleKind; // default "linear"
  warmupRatio?: number; // warm-up steps = ceil(ratio × total steps), default 0.1
  maxGradNorm?: number | null; // default 1.0; null = no clipping
  seed?: number; // shuffling and dropout, default 0
  /** Validation metric to select the best epoch; default the task's first (rmse, macroF1, microF1). */
  metric?: string;
  /** Stop after this many epochs without improvement on validation; null = run every epoch. Default 3. */
  patience?: number | null;
  onProgress?: (progress: TrainProgress) => void;
  /** Called after each complete epoch with its record (validation included), and the number of epochs asked for. */
  onEpoch?: (record: EpochRecord, epochs: number) => void;
  /** Polled after every step (e.g. set by Ctrl-C): stop and keep the best weights so far. */
  shouldStop?: () => boolean;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's examples. */
  trainLoss: number;
  /** Learning rate of the epoch's last step. */
  lr: number;
  validLoss: number | null;
  /** The selection metric on the validation split (null without one). */
  validMetric: number | null;
  validMetrics: Metrics | null;
}

export interface TrainResult {
  /** The trained pooler and head (the objects passed in, with the best weights restored). */
  pooler: Pooler;
  head: Head;
  history: EpochRecord[];
  /**
   * Epoch (1-based) whose weights were kept: the best on validation, else the last complete one;
   * 0 when interrupted before any epoch completed (the weights are then those of the last step).
   */
  bestEpoch: number;
  metric: string;
  bestMetric: number | null;
  /** Stopped because `shouldStop()` returned true. */
  interrupted: boolean;
}

function isImprovement(value: number, best: number | null, higher: boolean): boolean {
  if (best === null || (Number.isNaN(best) && !Number.isNaN(value))) return true;
  return higher ? value > best : value < best;
}

function snapshot(params: Map<string, Tensor<FloatArray>>): Map<string, FloatArray> {
  return new Map([...params].map(([name, t]) => [name, t.data.slice()]));
}

function restore(params: Map<string, Tensor<FloatArray>>, saved: Map<string, FloatArray>): void {
  for (const [name, t] of params) t.data.set(saved.get(name)!);
}

/** The options with their defaults filled in and checked. */
function resolveOptions(options: TrainOptions, train: TrainData) {
  const task = train.labels.task;
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 32;
  const metric = options.metric ?? defaultMetric(task);
  if (!Number.isInteger(epochs) || epochs < 1) throw new TrainingError(`epochs must be an integer >= 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainingError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (metric !== "loss" && !TASK_METRICS[task].includes(metric)) {
    throw new TrainingError(`metric "${metric}" is not one of ${task}'s: loss, ${TASK_METRICS[task].join(", ")}`);
  }
  const totalSteps = epochs * Math.ceil(train.features.examples.length / batchSize);
  return {
    task, epochs, batchSize, metric, totalSteps,
    baseLr: options.lr ?? 1e-3,
    patience: options.patience === undefined ? 3 : options.patience,
    maxGradNorm: options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm,
    schedule: makeSchedule({ kind: options.schedule ?? "linear", warmupSteps: Math.ceil((options.warmupRatio ?? 0.1) * totalSteps), totalSteps }),
  };
}

/**
 * Trains `pooler` and `head` together on cached features: seeded shuffling, mini-batches, AdamW with
 * warm-up and decay, gradient clipping, per-epoch validation and early stopping with the best weights
 * restored. Parameter-free poolers simply train the head. The same seed repeats a run exactly.
 * @example
 * const pooler = createPooler("attention", dims, { seed: 1 });
 * const head = createHead("linear", pooler.outputSize, train.labels.numOutputs, { seed: 1 });
 * const { history, bestEpoch } = trainPooler(pooler, head, train, valid, { epochs: 5, lr: 1e-3 });
 */
export function trainPooler(pooler: Pooler, head: Head, train: TrainData, valid: TrainData | null, options: TrainOptions = {}): TrainResult {
  checkData("train", train, pooler, head);
  if (valid !== null) {
    checkData("validation", valid, pooler, head);
    if (valid.labels.task !== train.labels.task) throw new TrainingError(`validation labels are for ${valid.labels.task}, training labels for ${train.labels.task}`);
  }
  const { task, epochs, batchSize, metric, totalSteps, baseLr, patience, maxGradNorm, schedule } = resolveOptions(options, train);
  const N = train.features.examples.length;
  const params = trainableParameters(pooler, head);
  const optimizer = new AdamW(params, { lr: baseLr, weightDecay: options.weightDecay ?? 0.01 });
  const rng = new Rng(options.seed ?? 0);
  const higher = higherIsBetter(metric);

  const history: EpochRecord[] = [];
  let best: number | null = null;
  let bestEpoch = 0;
  let bestWeights: Map<string, FloatArray> | null = null;
  let sinceBest = 0;
  let interrupted = false;
  let step = 0;
  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    const order = rng.shuffle(range(0, N));
    let lossSum = 0;
    let lr = baseLr;
    for (let start = 0; start < N; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      lr = baseLr * schedule(step);
      const input = assembleBatch(train.features, indices, pooler.dtype);
      const { loss, gradNorm } = trainingStep(pooler, head, optimizer, task, input, subsetLabels(train.labels, indices).values, {
        lr, maxGradNorm, training: true, rng,
      });
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw new TrainingError(
          `training diverged in epoch ${epoch} (step ${step + 1}): the loss is ${loss}` +
            `${Number.isFinite(loss) ? " but the gradients are not finite" : ""}; try a lower learning rate than ${baseLr}`,
        );
      }
      lossSum += loss * indices.length;
      step++;
      options.onProgress?.({ epoch, epochs, step, totalSteps, loss });
      // a stop asked for on an epoch's last step is honoured after that epoch's validation, below
      if (start + batchSize < N && options.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) break;
    const record: EpochRecord = { epoch, trainLoss: lossSum / N, lr, validLoss: null, validMetric: null, validMetrics: null };
    if (valid !== null) {
      const { loss, metrics } = evaluateSplit(pooler, head, valid, Math.max(batchSize, 64));
      const value = metric === "loss" ? loss : metrics[metric]!;
      Object.assign(record, { validLoss: loss, validMetric: value, validMetrics: metrics });
      if (isImprovement(value, best, higher)) {
        best = value;
        bestEpoch = epoch;
        bestWeights = snapshot(params);
        sinceBest = 0;
      } else {
        sinceBest++;
      }
    } else {
      // without validation the last complete epoch is kept (also when interrupted mid-epoch)
      bestEpoch = epoch;
      bestWeights = snapshot(params);
    }
    history.push(record);
    options.onEpoch?.(record, epochs);
    if (options.shouldStop?.()) {
      interrupted = true;
      break;
    }
    if (patience !== null && sinceBest >= patience) break;
  }
  if (bestWeights !== null) restore(params, bestWeights);
  return { pooler, head, history, bestEpoch, metric, bestMetric: best, interrupted };
}
