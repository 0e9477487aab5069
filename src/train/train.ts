// Training a pooler and its head on a frozen encoder. Legend: N examples, B batch, T tokens,
// H hidden, L layers, D pooled size, k head outputs.
//
// Epochs run over a FeatureCache (feature-cache.ts) of what the pooler reads. Each step:
//   batch from cache -> pooler.forward -> head.forward -> loss -> head.backward -> pooler.backward
//   -> clip by global norm -> AdamW at the scheduled rate.
// Gradient buffers are fresh per step (the pooler and head return new ones), so nothing is zeroed.
// Optimizer state and saved weights use the names `pooler.<name>` and `head.<name>`.
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { zerosLike } from "../tensor/tensor.js";
import { Rng } from "../tensor/random.js";
import { TrainingError } from "../errors.js";
import type { Pooler, PoolerInput, PoolingDims } from "../pooling/pooler.js";
import type { Head } from "./heads.js";
import { bceWithLogitsLoss, crossEntropyLoss, mseLoss, type LossResult } from "./losses.js";
import { AdamW, clipGradNorm, globalGradNorm } from "./optim.js";
import { makeSchedule, type ScheduleKind } from "./schedule.js";
import { computeMetrics, higherIsBetter, TASK_METRICS, type Metrics, type Task } from "./metrics.js";
import { subsetLabels, toOriginalUnits, type EncodedLabels } from "./labels.js";
import { assembleBatch, checkCacheFits, subsetCache, type FeatureCache } from "./feature-cache.js";

export { LabelEncoder, subsetLabels, toOriginalUnits, type EncodedLabels, type Prediction, type TargetScale } from "./labels.js";
export {
  appendToCache, assembleBatch, checkCacheFits, createFeatureCache, parseFeatureCache, serializeFeatureCache, subsetCache,
  type CachedExample, type FeatureCache,
} from "./feature-cache.js";

// ---------------------------------------------------------------------------------------------
// One step
// ---------------------------------------------------------------------------------------------

/** Pooler and head parameters under `pooler.<name>` and `head.<name>` (the same tensors, not copies). */
export function trainableParameters<A extends FloatArray>(pooler: Pooler<A>, head: Head<A>): Map<string, Tensor<A>> {
  const params = new Map<string, Tensor<A>>();
  for (const [name, t] of pooler.parameters) params.set(`pooler.${name}`, t);
  for (const [name, t] of head.parameters) params.set(`head.${name}`, t);
  return params;
}

/**
 * Splits a saved state dict (`pooler.<name>`, `head.<name>`, as trainableParameters names them) into
 * the pooler's and the head's own state dicts; any other key is an error naming `source`.
 * In PyTorch the same split loads the seed's modules by name:
 *   sd = safetensors.torch.load_file("head.safetensors")
 *   pooler.load_state_dict({k[7:]: v for k, v in sd.items() if k.startswith("pooler.")})
 *   head.load_state_dict({k[5:]: v for k, v in sd.items() if k.startswith("head.")})
 * where `head` is torch.nn.Linear(D, k) or a RobertaClassificationHead-shaped module.
 */
export function splitStateDict<T>(tensors: Map<string, T>, source: string): { pooler: Map<string, T>; head: Map<string, T> } {
  const pooler = new Map<string, T>();
  const head = new Map<string, T>();
  for (const [name, t] of tensors) {
    if (name.startsWith("pooler.")) pooler.set(name.slice("pooler.".length), t);
    else if (name.startsWith("head.")) head.set(name.slice("head.".length), t);
    else throw new TrainingError(`${source}: tensor "${name}" is neither pooler.* nor head.*`);
  }
  return { pooler, head };
}

/** A trained head belongs to one encoder shape: refuses another hidden size or layer count. */
export function checkEncoderDims(saved: PoolingDims, model: PoolingDims, source: string): void {
  if (saved.hiddenSize !== model.hiddenSize || saved.numLayers !== model.numLayers) {
    throw new TrainingError(
      `${source}: trained for an encoder with ${saved.numLayers} layers and hidden size ${saved.hiddenSize}, ` +
        `but this model has ${model.numLayers} layers and hidden size ${model.hiddenSize}`,
    );
  }
}

/** The loss of a task: MSE (regression), cross-entropy (classification), BCE with logits (multi-label). */
export function taskLoss<A extends FloatArray>(task: Task, logits: Tensor<A>, targets: ArrayLike<number>): LossResult<A> {
  if (task === "regression") return mseLoss(logits, targets);
  if (task === "classification") return crossEntropyLoss(logits, targets);
  return bceWithLogitsLoss(logits, targets);
}

export interface StepOptions {
  /** Learning rate of this step (the schedule's value). */
  lr: number;
  /** Clip the global gradient norm to this; null = no clipping. */
  maxGradNorm: number | null;
  /** Training mode (dropout on) and its mask source. */
  training?: boolean;
  rng?: Rng;
}

/**
 * One optimisation step on one batch: forward, loss, backward through head and pooler, clipping,
 * AdamW. `targets` as in EncodedLabels.values for the batch rows. Returns the loss before the update
 * and the gradient norm before clipping; when either is not finite the parameters are left untouched.
 */
export function trainingStep<A extends FloatArray>(
  pooler: Pooler<A>, head: Head<A>, optimizer: AdamW<A>, task: Task,
  input: PoolerInput<A>, targets: ArrayLike<number>, options: StepOptions,
): { loss: number; gradNorm: number } {
  const training = options.training ?? true;
  const pooled = pooler.forward(input);
  const out = head.forward(pooled.pooled, { training, rng: options.rng });
  const { loss, dLogits } = taskLoss(task, out.logits, targets);
  const headGrads = head.backward(out, dLogits);
  const poolerGrads = pooler.backward(pooled, headGrads.dx);
  const grads = new Map<string, Tensor<A>>();
  for (const [name, g] of poolerGrads.dParameters) grads.set(`pooler.${name}`, g);
  for (const [name, g] of headGrads.dParameters) grads.set(`head.${name}`, g);
  const gradNorm = options.maxGradNorm === null ? globalGradNorm(grads) : clipGradNorm(grads, options.maxGradNorm);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm };
  optimizer.step(grads, options.lr);
  return { loss, gradNorm };
}

function headDtype<A extends FloatArray>(head: Head<A>): A {
  const first = head.parameters.values().next().value as Tensor<A>;
  return first.data;
}

// ---------------------------------------------------------------------------------------------
// Evaluation and prediction
// ---------------------------------------------------------------------------------------------

/** Logits [N,k] of every cached example, in evaluation mode (no dropout), batch by batch. */
export function predictLogits<A extends FloatArray>(pooler: Pooler<A>, head: Head<A>, features: FeatureCache, batchSize = 64): A {
  checkCacheFits(features, pooler.reads, "predict");
  const like = headDtype(head);
  const N = features.examples.length;
  const k = head.outputSize;
  const logits = zerosLike(like, [N, k]).data;
  for (let start = 0; start < N; start += batchSize) {
    const indices = range(start, Math.min(N, start + batchSize));
    const pooled = pooler.forward(assembleBatch(features, indices, like));
    logits.set(head.forward(pooled.pooled).logits.data, start * k);
  }
  return logits;
}

/**
 * Mean loss and all task metrics of a split. The loss is on the targets as the head learns them
 * (standardised for regression); the metrics are in the targets' own units.
 */
export function evaluateSplit<A extends FloatArray>(
  pooler: Pooler<A>, head: Head<A>, data: TrainData, batchSize = 64,
): { loss: number; metrics: Metrics } {
  checkData("evaluate", data, pooler, head);
  const logits = predictLogits(pooler, head, data.features, batchSize);
  const N = data.features.examples.length;
  const { task, values, targetScale } = data.labels;
  const { loss } = taskLoss(task, { data: logits, shape: [N, head.outputSize] }, values);
  const metrics = targetScale === null
    ? computeMetrics(task, logits, values, head.outputSize)
    : computeMetrics(task, toOriginalUnits(logits, targetScale), toOriginalUnits(values, targetScale), head.outputSize);
  return { loss, metrics };
}

// ---------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------

/** A split: cached features and their encoded labels, example for example. */
export interface TrainData {
  features: FeatureCache;
  labels: EncodedLabels;
}

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

export interface TrainResult<A extends FloatArray = Float32Array> {
  /** The trained pooler and head (the objects passed in, with the best weights restored). */
  pooler: Pooler<A>;
  head: Head<A>;
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

function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}

function checkData<A extends FloatArray>(split: string, data: TrainData, pooler: Pooler<A>, head: Head<A>): void {
  const n = data.features.examples.length;
  if (n === 0) throw new TrainingError(`${split} split is empty`);
  const rows = data.labels.task === "classification" ? data.labels.values.length : data.labels.values.length / data.labels.numOutputs;
  if (rows !== n) throw new TrainingError(`${split} split: ${n} examples but ${rows} labels`);
  checkCacheFits(data.features, pooler.reads, `${split} split`);
  if (head.inputSize !== pooler.outputSize) {
    throw new TrainingError(`head input size ${head.inputSize} does not match the pooler's output size ${pooler.outputSize}`);
  }
  if (head.outputSize !== data.labels.numOutputs) {
    throw new TrainingError(`head has ${head.outputSize} outputs, the ${split} labels need ${data.labels.numOutputs}`);
  }
}

function isImprovement(value: number, best: number | null, higher: boolean): boolean {
  if (best === null || (Number.isNaN(best) && !Number.isNaN(value))) return true;
  return higher ? value > best : value < best;
}

function snapshot<A extends FloatArray>(params: Map<string, Tensor<A>>): Map<string, FloatArray> {
  return new Map([...params].map(([name, t]) => [name, t.data.slice()]));
}

function restore<A extends FloatArray>(params: Map<string, Tensor<A>>, saved: Map<string, FloatArray>): void {
  for (const [name, t] of params) t.data.set(saved.get(name) as FloatArray);
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
export function trainPooler<A extends FloatArray>(
  pooler: Pooler<A>, head: Head<A>, train: TrainData, valid: TrainData | null, options: TrainOptions = {},
): TrainResult<A> {
  const task = train.labels.task;
  checkData("train", train, pooler, head);
  if (valid !== null) {
    checkData("validation", valid, pooler, head);
    if (valid.labels.task !== task) throw new TrainingError(`validation labels are for ${valid.labels.task}, training labels for ${task}`);
  }
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 32;
  const baseLr = options.lr ?? 1e-3;
  const patience = options.patience === undefined ? 3 : options.patience;
  const metric = options.metric ?? (TASK_METRICS[task][0] as string);
  if (!Number.isInteger(epochs) || epochs < 1) throw new TrainingError(`epochs must be an integer >= 1, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainingError(`batchSize must be an integer >= 1, got ${batchSize}`);
  if (metric !== "loss" && !TASK_METRICS[task].includes(metric)) {
    throw new TrainingError(`metric "${metric}" is not one of ${task}'s: loss, ${TASK_METRICS[task].join(", ")}`);
  }
  const N = train.features.examples.length;
  const stepsPerEpoch = Math.ceil(N / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule = makeSchedule({
    kind: options.schedule ?? "linear",
    warmupSteps: Math.ceil((options.warmupRatio ?? 0.1) * totalSteps),
    totalSteps,
  });
  const params = trainableParameters(pooler, head);
  const optimizer = new AdamW(params, { lr: baseLr, weightDecay: options.weightDecay ?? 0.01 });
  const maxGradNorm = options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm;
  const rng = new Rng(options.seed ?? 0);
  const like = headDtype(head);
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
      const input = assembleBatch(train.features, indices, like);
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
      const value = metric === "loss" ? loss : (metrics[metric] as number);
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

// ---------------------------------------------------------------------------------------------
// k-fold cross-validation
// ---------------------------------------------------------------------------------------------

/** A split of the examples. */
export function subsetData(data: TrainData, indices: readonly number[]): TrainData {
  return { features: subsetCache(data.features, indices), labels: subsetLabels(data.labels, indices) };
}

/**
 * A seeded train/validation split holding out `fraction` of the examples. With `strata` (e.g. the raw
 * class labels) each stratum is split on its own, so every class keeps the same share on both sides
 * and at least one training example (a class seen only in validation is an error later on).
 */
export function holdoutSplit(n: number, fraction: number, seed: number, strata?: readonly unknown[]): { train: number[]; valid: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new TrainingError(`validation split must be a fraction in (0, 1), got ${fraction}`);
  if (strata !== undefined && strata.length !== n) throw new TrainingError(`holdoutSplit: ${strata.length} strata for ${n} examples`);
  const rng = new Rng(seed);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = strata === undefined ? "" : JSON.stringify(strata[i]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const train: number[] = [];
  const valid: number[] = [];
  for (const members of groups.values()) {
    rng.shuffle(members);
    const held = Math.min(Math.round(fraction * members.length), members.length - 1);
    valid.push(...members.slice(0, held));
    train.push(...members.slice(held));
  }
  if (valid.length === 0) throw new TrainingError(`a validation fraction of ${fraction} of ${n} examples leaves the validation split empty`);
  return { train: train.sort((a, b) => a - b), valid: valid.sort((a, b) => a - b) };
}

/** k disjoint validation folds over a seeded shuffle of 0..n−1 (sizes differ by at most one). */
export function kFoldSplits(n: number, k: number, seed: number): { train: number[]; valid: number[] }[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new TrainingError(`k-fold: k must be an integer in [2, ${n}], got ${k}`);
  const order = new Rng(seed).shuffle(range(0, n));
  const folds: { train: number[]; valid: number[] }[] = [];
  for (let f = 0; f < k; f++) {
    const lo = Math.floor((f * n) / k);
    const hi = Math.floor(((f + 1) * n) / k);
    folds.push({ train: [...order.slice(0, lo), ...order.slice(hi)], valid: order.slice(lo, hi) });
  }
  return folds;
}

/**
 * k-fold cross-validation: for each fold a fresh pooler and head from `make(fold)`, trained on the
 * other folds and validated on it. Returns every fold's result and the mean ± std (population) of the
 * best validation metric.
 */
export function crossValidate<A extends FloatArray>(
  make: (fold: number) => { pooler: Pooler<A>; head: Head<A> },
  data: TrainData, k: number, options: TrainOptions = {},
): { folds: TrainResult<A>[]; metric: string; mean: number; std: number } {
  const splits = kFoldSplits(data.features.examples.length, k, options.seed ?? 0);
  const folds = splits.map((split, f) => {
    const { pooler, head } = make(f);
    return trainPooler(pooler, head, subsetData(data, split.train), subsetData(data, split.valid), options);
  });
  const values = folds.map((r) => r.bestMetric ?? NaN);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { folds, metric: folds[0]?.metric ?? "", mean, std };
}
