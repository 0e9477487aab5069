// Training losses of the three tasks, each returning the mean loss and its gradient with respect to
// the logits (the start of backward, so `dLogits` is a fresh buffer rather than accumulated into).
// Legend: N examples in the batch, k regression outputs, C classes (or labels for multi-label).
// Sums run in JavaScript doubles whatever the element type, so Float32 batches lose little.
import { TrainingError } from "../errors.js";
import { sigmoid } from "../tensor/ops/sigmoid.js";
import { shapeToString, zerosLike, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { Task } from "./task.js";

export interface LossResult {
  /** Mean loss over the batch (as PyTorch's default `reduction="mean"`). */
  loss: number;
  /** d loss / d logits, same shape and element type as the logits. */
  dLogits: Tensor<FloatArray>;
}

function rowsCols(where: string, logits: Tensor<FloatArray>): [number, number] {
  const [n, c] = logits.shape;
  if (logits.shape.length !== 2 || n === undefined || c === undefined || n === 0) {
    throw new TrainingError(`${where}: logits must be [N,C] with N > 0, got ${shapeToString(logits.shape)}`);
  }
  return [n, c];
}

/** The N·C values of logits [N,C] whose targets are one per logit (MSE, BCE); throws when the counts differ. */
function elementwiseCount(where: string, logits: Tensor<FloatArray>, targets: ArrayLike<number>): number {
  const [n, c] = rowsCols(where, logits);
  const total = n * c;
  if (targets.length !== total) {
    throw new TrainingError(`${where}: targets have ${targets.length} values, logits ${shapeToString(logits.shape)} need ${total}`);
  }
  return total;
}

/** log Σ_j exp(x[offset + j]) over C values, shifted by their max so that ±1000 is fine. */
export function logSumExp(x: ArrayLike<number>, offset: number, C: number): number {
  let max = -Infinity;
  for (let j = 0; j < C; j++) max = Math.max(max, x[offset + j]!);
  // logSumExp = max + log Σ exp(x_j - max)
  let sumExp = 0;
  for (let j = 0; j < C; j++) sumExp += Math.exp(x[offset + j]! - max);
  return max + Math.log(sumExp);
}

/**
 * Mean squared error over every element, as `torch.nn.MSELoss()`.
 * logits: [N,k], targets: [N,k] -> loss = mean((logits - targets)²).
 */
export function mseLoss(logits: Tensor<FloatArray>, targets: ArrayLike<number>): LossResult {
  const total = elementwiseCount("mseLoss", logits, targets);
  const dLogits = zerosLike(logits.data, logits.shape);
  let sum = 0;
  // loss = Σ (y - t)² / (N·k);  dy = 2 (y - t) / (N·k)
  for (let i = 0; i < total; i++) {
    const diff = logits.data[i]! - targets[i]!;
    sum += diff * diff;
    dLogits.data[i] = (2 * diff) / total;
  }
  return { loss: sum / total, dLogits };
}

/**
 * Cross-entropy of softmax(logits) against class indices, mean over the batch, as
 * `torch.nn.CrossEntropyLoss()`. Uses a max-shifted log-sum-exp, so logits of ±1000 are fine.
 * logits: [N,C], targets: [N] class indices in [0, C).
 */
export function crossEntropyLoss(logits: Tensor<FloatArray>, targets: ArrayLike<number>): LossResult {
  const [n, c] = rowsCols("crossEntropyLoss", logits);
  if (targets.length !== n) {
    throw new TrainingError(`crossEntropyLoss: ${targets.length} targets for logits ${shapeToString(logits.shape)}`);
  }
  const x = logits.data;
  const dLogits = zerosLike(x, logits.shape);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    const target = targets[r]!;
    if (!Number.isInteger(target) || target < 0 || target >= c) {
      throw new TrainingError(`crossEntropyLoss: target ${target} of row ${r} is not a class index in [0, ${c})`);
    }
    const row = r * c;
    const lse = logSumExp(x, row, c);
    // loss_r = logSumExp - x_target;  dx_j = (softmax_j - [j = target]) / N
    sum += lse - x[row + target]!;
    for (let j = 0; j < c; j++) {
      const p = Math.exp(x[row + j]! - lse);
      dLogits.data[row + j] = (p - (j === target ? 1 : 0)) / n;
    }
  }
  return { loss: sum / n, dLogits };
}

/**
 * Binary cross-entropy on logits, mean over every element, as `torch.nn.BCEWithLogitsLoss()`.
 * Stable form: max(x,0) - x·t + log(1 + exp(-|x|)).
 * logits: [N,C], targets: [N,C] in [0,1] (multi-hot for multi-label).
 */
export function bceWithLogitsLoss(logits: Tensor<FloatArray>, targets: ArrayLike<number>): LossResult {
  const total = elementwiseCount("bceWithLogitsLoss", logits, targets);
  const dLogits = zerosLike(logits.data, logits.shape);
  let sum = 0;
  for (let i = 0; i < total; i++) {
    const x = logits.data[i]!;
    const t = targets[i]!;
    // loss_i = max(x,0) - x·t + log1p(exp(-|x|));  dx = (sigmoid(x) - t) / (N·C)
    sum += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    dLogits.data[i] = (sigmoid(x) - t) / total;
  }
  return { loss: sum / total, dLogits };
}

/** The loss of a task: MSE (regression), cross-entropy (classification), BCE with logits (multi-label). */
export function taskLoss(task: Task, logits: Tensor<FloatArray>, targets: ArrayLike<number>): LossResult {
  if (task === "regression") return mseLoss(logits, targets);
  if (task === "classification") return crossEntropyLoss(logits, targets);
  return bceWithLogitsLoss(logits, targets);
}
