// Fine-tuning: the encoder trains with the pooler and head (all of it, or its last N layers), on
// tokenized texts rather than a feature cache: epochs of seeded shuffled mini-batches, K of them per
// optimizer step (gradient accumulation), the encoder at its own rate with layer-wise decay, warm-up and
// decay, per-epoch validation (the encoder re-run in eval mode) and early stopping with the best weights
// (encoder included) restored. Frozen training stays in loop.ts over the feature cache.
// Legend: N examples, B batch, T tokens, L layers.
import type { RobertaInputs } from "../encoder/roberta.js";
import type { TrainableRoberta } from "../encoder/trainable.js";
import type { TrainableScope } from "../encoder/training.js";
import { TrainingError } from "../errors.js";
import type { Pooler } from "../pooling/pooler.js";
import { Rng } from "../tensor/random.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { evaluateSplit } from "./evaluate.js";
import { appendToCache, createFeatureCache } from "./feature-cache.js";
import { encoderLrScales, fineTuneParameters, fineTuneStep, type MicroBatch } from "./fine-tune-step.js";
import type { Head } from "./heads/index.js";
import { subsetLabels, type EncodedLabels } from "./labels.js";
import type { EpochRecord, TrainOptions, TrainResult } from "./loop.js";
import { AdamW } from "./optim.js";
import { makeSchedule } from "./schedule.js";
import { range } from "./splits.js";
import { defaultMetric, higherIsBetter, TASK_METRICS } from "./task.js";

/**
 * `--fine-tune`: "all" (embeddings and every layer) or "last:N" (the top N layers) as a TrainableScope;
 * "frozen" (the default) as null.
 */
export function parseFineTune(text: string, numLayers: number): TrainableScope | null {
  if (text === "frozen") return null;
  if (text === "all") return { embeddings: true, fromLayer: 0 };
  const m = /^last:(\d+)$/.exec(text);
  const n = m === null ? NaN : Number(m[1]);
  if (!(n >= 1 && n <= numLayers)) {
    throw new TrainingError(`fine-tune must be frozen, all or last:N with N in 1..${numLayers} (the model's layers), got "${text}"`);
  }
  return { embeddings: false, fromLayer: numLayers - n };
}

/** A split for fine-tuning: token ids per example (with <s> and </s>) and the encoded labels. */
export interface FineTuneData {
  inputIds: number[][];
  labels: EncodedLabels;
}

export interface FineTuneOptions extends Omit<TrainOptions, "onEpoch"> {
  /** Peak rate of the encoder's top layer; default 5e-5. (`lr` is the pooler's and head's.) */
  encoderLr?: number;
  /** Each layer below the top trains at this factor of the one above (embeddings last); default 1. */
  layerLrDecay?: number;
  /** Mini-batches per optimizer step; default 1. */
  gradAccum?: number;
  /** Encoder dropout in training (hidden states and attention probabilities); default 0.1 each, as RoBERTa's config. */
  hiddenDropout?: number;
  attentionDropout?: number;
  onEpoch?: (record: EpochRecord, epochs: number) => void;
  /** Awaited after every step, e.g. to let a Ctrl-C handler run. */
  yieldBetweenSteps?: () => Promise<void>;
}

/** `indices` of `data` padded on the right into one batch. */
export function padExamples(inputIds: readonly number[][], indices: readonly number[], padTokenId: number): RobertaInputs {
  let T = 0;
  for (const i of indices) T = Math.max(T, inputIds[i]!.length);
  const B = indices.length;
  const ids = new Int32Array(B * T).fill(padTokenId);
  const mask = new Int32Array(B * T);
  indices.forEach((i, b) => {
    inputIds[i]!.forEach((id, t) => {
      ids[b * T + t] = id;
      mask[b * T + t] = 1;
    });
  });
  return { inputIds: ids, attentionMask: mask, batchSize: B, seqLen: T };
}

/** Loss and metrics of a split with the encoder as it stands (eval mode, no dropout). */
export function evaluateFineTuned(
  encoder: TrainableRoberta, pooler: Pooler, head: Head, data: FineTuneData, batchSize = 32,
): ReturnType<typeof evaluateSplit> {
  const c = encoder.config;
  const cache = createFeatureCache(pooler.reads, { numLayers: c.numHiddenLayers, hiddenSize: c.hiddenSize });
  for (let start = 0; start < data.inputIds.length; start += batchSize) {
    const inputs = padExamples(data.inputIds, range(start, Math.min(data.inputIds.length, start + batchSize)), c.padTokenId);
    appendToCache(cache, { hiddenStates: encoder.model.forward(inputs).hiddenStates, attentionMask: inputs.attentionMask });
  }
  return evaluateSplit(pooler, head, { features: cache, labels: data.labels }, Math.max(batchSize, 64));
}

function snapshot(params: Map<string, Tensor<FloatArray>>): Map<string, FloatArray> {
  return new Map([...params].map(([name, t]) => [name, t.data.slice()]));
}

/**
 * Fine-tunes `encoder` (its scope) with `pooler` and `head` on tokenized texts; the encoder, pooler and
 * head end with the best epoch's weights (on validation, else the last complete epoch).
 * @example const r = await fineTune(TrainableRoberta.load(cfg, bytes, { scope }), pooler, head, train, valid, { epochs: 3 });
 */
export async function fineTune(
  encoder: TrainableRoberta, pooler: Pooler, head: Head, train: FineTuneData, valid: FineTuneData | null, options: FineTuneOptions = {},
): Promise<Omit<TrainResult, "pooler" | "head">> {
  const task = train.labels.task;
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? 32;
  const gradAccum = options.gradAccum ?? 1;
  const metric = options.metric ?? defaultMetric(task);
  for (const [name, v] of [["epochs", epochs], ["batchSize", batchSize], ["gradAccum", gradAccum]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new TrainingError(`${name} must be an integer >= 1, got ${v}`);
  }
  if (metric !== "loss" && !TASK_METRICS[task].includes(metric)) throw new TrainingError(`metric "${metric}" is not one of ${task}'s: loss, ${TASK_METRICS[task].join(", ")}`);
  const N = train.inputIds.length;
  if (N === 0) throw new TrainingError("training split is empty");
  const lr = options.lr ?? 1e-3;
  const stepsPerEpoch = Math.ceil(Math.ceil(N / batchSize) / gradAccum);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule = makeSchedule({ kind: options.schedule ?? "linear", warmupSteps: Math.ceil((options.warmupRatio ?? 0.1) * totalSteps), totalSteps });
  const params = fineTuneParameters(encoder, pooler, head);
  const optimizer = new AdamW(params, {
    lr, weightDecay: options.weightDecay ?? 0.01,
    lrScales: encoderLrScales(encoder, lr, options.encoderLr ?? 5e-5, options.layerLrDecay ?? 1),
  });
  const rng = new Rng(options.seed ?? 0);
  const stepOptions = { maxGradNorm: options.maxGradNorm === undefined ? 1.0 : options.maxGradNorm, hiddenDropout: options.hiddenDropout ?? 0.1, attentionDropout: options.attentionDropout ?? 0.1, rng };
  const patience = options.patience === undefined ? 3 : options.patience;
  const history: EpochRecord[] = [];
  let best: number | null = null;
  let [bestEpoch, sinceBest, step, interrupted] = [0, 0, 0, false];
  let bestWeights: Map<string, FloatArray> | null = null;
  for (let epoch = 1; epoch <= epochs && !interrupted; epoch++) {
    const order = rng.shuffle(range(0, N));
    let [lossSum, seen, lastLr] = [0, 0, lr];
    for (let start = 0; start < N; start += batchSize * gradAccum) {
      const micro: MicroBatch[] = [];
      for (let m = start; m < Math.min(N, start + batchSize * gradAccum); m += batchSize) {
        const indices = order.slice(m, Math.min(N, m + batchSize));
        micro.push({ inputs: padExamples(train.inputIds, indices, encoder.config.padTokenId), targets: subsetLabels(train.labels, indices).values });
      }
      lastLr = lr * schedule(step);
      const { loss, gradNorm } = fineTuneStep(encoder, pooler, head, optimizer, task, micro, { ...stepOptions, lr: lastLr });
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        throw new TrainingError(`fine-tuning diverged in epoch ${epoch} (step ${step + 1}): the loss is ${loss}; try lower rates than ${lr} and ${options.encoderLr ?? 5e-5}`);
      }
      const rows = micro.reduce((n, b) => n + b.inputs.batchSize, 0);
      [lossSum, seen, step] = [lossSum + loss * rows, seen + rows, step + 1];
      options.onProgress?.({ epoch, epochs, step, totalSteps, loss });
      await options.yieldBetweenSteps?.();
      if (seen < N && options.shouldStop?.()) interrupted = true;
      if (interrupted) break;
    }
    if (interrupted) break;
    const record: EpochRecord = { epoch, trainLoss: lossSum / N, lr: lastLr, validLoss: null, validMetric: null, validMetrics: null };
    if (valid !== null) {
      const { loss, metrics } = evaluateFineTuned(encoder, pooler, head, valid, batchSize);
      const value = metric === "loss" ? loss : metrics[metric]!;
      Object.assign(record, { validLoss: loss, validMetric: value, validMetrics: metrics });
      const better: boolean = best === null || (higherIsBetter(metric) ? value > best : value < best);
      if (better) [best, bestEpoch, bestWeights, sinceBest] = [value, epoch, snapshot(params), 0];
      else sinceBest++;
    } else {
      [bestEpoch, bestWeights] = [epoch, snapshot(params)];
    }
    history.push(record);
    options.onEpoch?.(record, epochs);
    if (options.shouldStop?.()) interrupted = true;
    if (patience !== null && sinceBest >= patience) break;
  }
  if (bestWeights !== null) {
    for (const [name, t] of params) t.data.set(bestWeights.get(name)!);
    encoder.sync();
  }
  return { history, bestEpoch, metric, bestMetric: best, interrupted };
}
