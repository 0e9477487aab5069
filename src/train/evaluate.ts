// Running a trained pooler and head over a cached split: logits for prediction, loss and metrics for
// evaluation, and the checks that a split, a pooler and a head belong together.
// Legend: N examples, k head outputs.
import { TrainingError } from "../errors.js";
import { allocate } from "../pooling/module.js";
import type { Pooler } from "../pooling/pooler.js";
import type { FloatArray } from "../tensor/tensor.js";
import type { TrainData } from "./data.js";
import { assembleBatch, checkCacheFits, type FeatureCache } from "./feature-cache.js";
import type { Head } from "./heads/index.js";
import { toOriginalUnits } from "./labels.js";
import { taskLoss } from "./losses.js";
import { computeMetrics, type Metrics } from "./metrics.js";
import { range } from "./splits.js";

/** Refuses a split that is empty, whose labels do not match its examples, or that does not fit the pooler and head. */
export function checkData(split: string, data: TrainData, pooler: Pooler, head: Head): void {
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
  if (head.dtype !== pooler.dtype) throw new TrainingError(`the head works in ${head.dtype}, the pooler in ${pooler.dtype}`);
}

/** Logits [N,k] of every cached example, in evaluation mode (no dropout), batch by batch. */
export function predictLogits(pooler: Pooler, head: Head, features: FeatureCache, batchSize = 64): FloatArray {
  checkCacheFits(features, pooler.reads, "predict");
  const N = features.examples.length;
  const k = head.outputSize;
  const logits = allocate(head.dtype, N * k);
  for (let start = 0; start < N; start += batchSize) {
    const pooled = pooler.forward(assembleBatch(features, range(start, Math.min(N, start + batchSize)), pooler.dtype));
    logits.set(head.forward(pooled.pooled).logits.data, start * k);
  }
  return logits;
}

/**
 * Mean loss and all task metrics of a split. The loss is on the targets as the head learns them
 * (standardised for regression); the metrics are in the targets' own units.
 */
export function evaluateSplit(pooler: Pooler, head: Head, data: TrainData, batchSize = 64): { loss: number; metrics: Metrics } {
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
