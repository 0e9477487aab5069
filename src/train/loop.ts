// Training a pooler and its head on a frozen encoder: epochs over a FeatureCache (feature-cache.ts) of
// what the pooler reads, seeded shuffling, mini-batch steps (step.ts), a warm-up and decay schedule,
// per-epoch validation and early stopping with the best weights restored.
// Legend: N examples, B batch.
import { TrainingError } from "../errors.js";
import type { Pooler } from "../pooling/pooler.js";
import { Rng } from "../tensor/random.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import type { TrainData } from "./data.js";
import { DEFAULT_TRAINING, defaultLearningRate } from "./defaults.js";
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
  epochs?: number; // default DEFAULT_TRAINING.epochs
  batchSize?: number; // default DEFAULT_TRAINING.batchSize
  lr?: number; // peak learning rate, default defaultLearningRate(pooler.spec)
  weightDecay?: number; // AdamW decoupled weight decay, default DEFAULT_TRAINING.weightDecay
  schedule?: ScheduleKind; // default "linear"
  warmupRatio?: number; // warm-up steps = ceil(ratio × total steps), default 0.1
  maxGradNorm?: number | null; // default 1.0; null = no clipping
  seed?: number; // shuffling and dropout, default 0
  /** Validation metric to select the best epoch; default the task's first (rmse, macroF1, microF1). */
  metric?: string;
  /** Stop after this many epochs without improvement on validation; null = run every epoch. Default DEFAULT_TRAINING.patience. */
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

/** A run's settings, defaults filled in and checked, and the state its steps share. */
interface Run {
  pooler: Pooler;
  head: Head;
  train: TrainData;
  epochs: number;
  batchSize: number;
  metric: string;
  totalSteps: number;
  baseLr: number;
  patience: number | null;
  maxGradNorm: number | null;
  schedule: (step: number) => number;
  optimizer: AdamW;
  /** Shuffling and dropout. */
  rng: Rng;
  /** Optimizer steps taken so far. */
  step: number;
  options: TrainOptions;
}

function startRun(pooler: Pooler, head: Head, train: TrainData, options: TrainOptions): Run {
  const task = train.labels.task;
  const epochs = options.epochs ?? DEFAULT_TRAINING.epochs;
  const batchSize = options.batchSize ?? DEFAULT_TRAINING.batchSize;
  const metric = options.metric ?? defaultMetric(task);
  if (!Number.isInteger(epochs) || epochs < 1) throw new TrainingError(`epochs must be an integer >= 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainingError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (metric !== "loss" && !TASK_METRICS[task].includes(metric)) {
    throw new TrainingError(`metric "${metric}" is not one of ${task}'s: loss, ${TASK_METRICS[task].join(", ")}`);
  }
  const totalSteps = epochs * Math.ceil(train.features.examples.length / batchSize);
  const baseLr = options.lr ?? defaultLearningRate(pooler.spec);
  if (!(baseLr > 0) || !Number.isFinite(baseLr)) throw new TrainingError(`lr must be a positive number, got ${baseLr}`);
  return {
    pooler, head, train, epochs, batchSize, metric, totalSteps, baseLr,
    patience: options.patience === undefined ? DEFAULT_TRAINING.patience : options.patience,
    maxGradNorm: options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm,
    schedule: makeSchedule({ kind: options.schedule ?? "linear", warmupSteps: Math.ceil((options.warmupRatio ?? 0.1) * totalSteps), totalSteps }),
    optimizer: new AdamW(trainableParameters(pooler, head), { lr: baseLr, weightDecay: options.weightDecay ?? DEFAULT_TRAINING.weightDecay }),
    rng: new Rng(options.seed ?? 0),
    step: 0,
    options,
  };
}

/**
 * One pass over the shuffled training examples, a step per mini-batch. Returns the mean loss and the
 * last step's learning rate, or `interrupted` when a stop was asked for before the epoch's last step.
 */
function trainEpoch(run: Run, epoch: number): { trainLoss: number; lr: number; interrupted: boolean } {
  const { pooler, head, train, batchSize, baseLr, options } = run;
  const N = train.features.examples.length;
  const order = run.rng.shuffle(range(0, N));
  let lossSum = 0;
  let lr = baseLr;
  for (let start = 0; start < N; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    lr = baseLr * run.schedule(run.step);
    const input = assembleBatch(train.features, indices, pooler.dtype);
    const { loss, gradNorm } = trainingStep(pooler, head, run.optimizer, train.labels.task, input, subsetLabels(train.labels, indices).values, {
      lr, maxGradNorm: run.maxGradNorm, training: true, rng: run.rng,
    });
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      throw new TrainingError(
        `training diverged in epoch ${epoch} (step ${run.step + 1}): the loss is ${loss}` +
          `${Number.isFinite(loss) ? " but the gradients are not finite" : ""}; try a lower learning rate than ${baseLr}`,
      );
    }
    lossSum += loss * indices.length;
    run.step++;
    options.onProgress?.({ epoch, epochs: run.epochs, step: run.step, totalSteps: run.totalSteps, loss });
    // a stop asked for on an epoch's last step is honoured after that epoch's validation
    if (start + batchSize < N && options.shouldStop?.()) return { trainLoss: NaN, lr, interrupted: true };
  }
  return { trainLoss: lossSum / N, lr, interrupted: false };
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
  const run = startRun(pooler, head, train, options);
  const { epochs, metric, patience } = run;
  const params = run.optimizer.parameters;
  const higher = higherIsBetter(metric);
  const history: EpochRecord[] = [];
  let best: number | null = null;
  let bestEpoch = 0;
  let bestWeights: Map<string, FloatArray> | null = null;
  let sinceBest = 0;
  let interrupted = false;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const { trainLoss, lr, interrupted: stopped } = trainEpoch(run, epoch);
    if (stopped) {
      interrupted = true;
      break;
    }
    const record: EpochRecord = { epoch, trainLoss, lr, validLoss: null, validMetric: null, validMetrics: null };
    if (valid !== null) {
      const { loss, metrics } = evaluateSplit(pooler, head, valid, Math.max(run.batchSize, 64));
      const value = metric === "loss" ? loss : metrics[metric]!;
      Object.assign(record, { validLoss: loss, validMetric: value, validMetrics: metrics });
      if (isImprovement(value, best, higher)) {
        [best, bestEpoch, bestWeights, sinceBest] = [value, epoch, snapshot(params), 0];
      } else {
        sinceBest++;
      }
    } else {
      // without validation the last complete epoch is kept (also when interrupted mid-epoch)
      [bestEpoch, bestWeights] = [epoch, snapshot(params)];
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
