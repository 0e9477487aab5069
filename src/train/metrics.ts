// Evaluation metrics of the three tasks, defined as scikit-learn defines them, the majority-class
// baseline every trained head must beat, and the mean ± std of repeated runs. Legend: N examples,
// k regression outputs, C classes or labels. Logits come in row-major [N,k] / [N,C]; sums run in doubles.
import { TrainingError } from "../errors.js";
import { logSumExp } from "./losses.js";
import type { Task } from "./task.js";

/** Metric name -> value, e.g. `{ accuracy: 0.91, macroF1: 0.88, logLoss: 0.25 }`. */
export type Metrics = Record<string, number>;

export interface MeanStd {
  mean: number;
  /** Population standard deviation (numpy's default), 0 for a single value. */
  std: number;
}

/** Mean and population standard deviation of the values: √(Σ(v − mean)² / n). */
export function meanStd(values: ArrayLike<number>): MeanStd {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n) };
}

function checkLengths(where: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length || a.length === 0) {
    throw new TrainingError(`${where}: predictions (${a.length}) and targets (${b.length}) must be equally long and non-empty`);
  }
}

/** Root mean squared error over all elements: √(mean((p − t)²)). */
export function rmse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkLengths("rmse", pred, target);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return Math.sqrt(s / pred.length);
}

/** Mean absolute error over all elements: mean(|p − t|). */
export function mae(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkLengths("mae", pred, target);
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i]! - target[i]!);
  return s / pred.length;
}

/**
 * Pearson correlation of one output column: cov(p,t)/(σp·σt). NaN when either side is constant
 * (as scipy.stats.pearsonr), e.g. for the mean-predicting baseline.
 */
export function pearson(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  checkLengths("pearson", pred, target);
  const n = pred.length;
  let mp = 0;
  let mt = 0;
  for (let i = 0; i < n; i++) {
    mp += pred[i]!;
    mt += target[i]!;
  }
  mp /= n;
  mt /= n;
  // r = Σ(p − p̄)(t − t̄) / √(Σ(p − p̄)² · Σ(t − t̄)²)
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dp = pred[i]! - mp;
    const dt = target[i]! - mt;
    sxy += dp * dt;
    sxx += dp * dp;
    syy += dt * dt;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Fraction of exact matches between predicted and true class indices. */
export function accuracy(predClass: ArrayLike<number>, trueClass: ArrayLike<number>): number {
  checkLengths("accuracy", predClass, trueClass);
  let hits = 0;
  for (let i = 0; i < predClass.length; i++) if (predClass[i] === trueClass[i]) hits++;
  return hits / predClass.length;
}

/** F1 = 2TP / (2TP + FP + FN), 0 when the class never occurs nor is predicted (sklearn's zero_division=0). */
function f1(tp: number, fp: number, fn: number): number {
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? 0 : (2 * tp) / denom;
}

/**
 * Macro-F1 of single-label predictions: the unweighted mean of per-class F1 over the classes that
 * occur in the targets or the predictions (sklearn's `f1_score(average="macro")`).
 */
export function macroF1(predClass: ArrayLike<number>, trueClass: ArrayLike<number>, numClasses: number): number {
  checkLengths("macroF1", predClass, trueClass);
  const tp = new Float64Array(numClasses);
  const fp = new Float64Array(numClasses);
  const fn = new Float64Array(numClasses);
  for (let i = 0; i < predClass.length; i++) {
    const p = predClass[i]!;
    const t = trueClass[i]!;
    if (p === t) tp[p]! += 1;
    else {
      fp[p]! += 1;
      fn[t]! += 1;
    }
  }
  let sum = 0;
  let count = 0;
  for (let c = 0; c < numClasses; c++) {
    if (tp[c]! + fp[c]! + fn[c]! === 0) continue;
    sum += f1(tp[c]!, fp[c]!, fn[c]!);
    count++;
  }
  return sum / count;
}

/** Mean −log softmax(logits)[target]: the cross-entropy of the predictions (sklearn's log_loss). logits: [N,C]. */
export function logLoss(logits: ArrayLike<number>, trueClass: ArrayLike<number>, numClasses: number): number {
  const n = trueClass.length;
  if (n === 0 || logits.length !== n * numClasses) {
    throw new TrainingError(`logLoss: logits (${logits.length}) must be [N,C] = [${n},${numClasses}] with N > 0`);
  }
  let sum = 0;
  for (let r = 0; r < n; r++) {
    // −log p_t = logSumExp − x_t
    sum += logSumExp(logits, r * numClasses, numClasses) - logits[r * numClasses + trueClass[r]!]!;
  }
  return sum / n;
}

/** Index of the largest logit of each row (first on ties). logits: [N,C] -> [N]. */
export function argmaxRows(logits: ArrayLike<number>, numClasses: number): Int32Array {
  const n = logits.length / numClasses;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++) {
      if (logits[r * numClasses + j]! > logits[r * numClasses + best]!) best = j;
    }
    out[r] = best;
  }
  return out;
}

/**
 * Micro- and macro-F1 of multi-label predictions: label j is predicted when sigmoid(logit) > 0.5,
 * i.e. logit > 0. Macro averages over all C labels (sklearn, zero_division=0).
 * logits, targets: [N,C] (targets multi-hot 0/1).
 */
export function multilabelF1(logits: ArrayLike<number>, targets: ArrayLike<number>, numLabels: number): { microF1: number; macroF1: number } {
  checkLengths("multilabelF1", logits, targets);
  const n = logits.length / numLabels;
  let tpAll = 0;
  let fpAll = 0;
  let fnAll = 0;
  let macro = 0;
  for (let j = 0; j < numLabels; j++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let r = 0; r < n; r++) {
      const predicted = logits[r * numLabels + j]! > 0;
      const actual = targets[r * numLabels + j]! > 0.5;
      if (predicted && actual) tp++;
      else if (predicted) fp++;
      else if (actual) fn++;
    }
    tpAll += tp;
    fpAll += fp;
    fnAll += fn;
    macro += f1(tp, fp, fn);
  }
  return { microF1: f1(tpAll, fpAll, fnAll), macroF1: macro / numLabels };
}

/**
 * All metrics of a task from logits and encoded targets: regression `{rmse, mae, pearson}` (Pearson
 * averaged over the k outputs), classification `{accuracy, macroF1, logLoss}`, multi-label
 * `{microF1, macroF1}`. `targets` is [N,k] values, [N] class indices, or [N,C] multi-hot.
 */
export function computeMetrics(task: Task, logits: ArrayLike<number>, targets: ArrayLike<number>, numOutputs: number): Metrics {
  if (task === "regression") {
    const n = targets.length / numOutputs;
    let r = 0;
    for (let j = 0; j < numOutputs; j++) {
      const p = new Float64Array(n);
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        p[i] = logits[i * numOutputs + j]!;
        t[i] = targets[i * numOutputs + j]!;
      }
      r += pearson(p, t);
    }
    return { rmse: rmse(logits, targets), mae: mae(logits, targets), pearson: r / numOutputs };
  }
  if (task === "classification") {
    const pred = argmaxRows(logits, numOutputs);
    return {
      accuracy: accuracy(pred, targets),
      macroF1: macroF1(pred, targets, numOutputs),
      logLoss: logLoss(logits, targets, numOutputs),
    };
  }
  return multilabelF1(logits, targets, numOutputs);
}

/**
 * The metrics of the trivial predictor fitted on the training targets, evaluated on `evalTargets`:
 * regression predicts the training mean of each output; classification the most frequent training
 * class (with its training frequencies as probabilities, for a finite log-loss); multi-label predicts
 * each label that is on in more than half of the training examples.
 */
export function majorityBaseline(task: Task, trainTargets: ArrayLike<number>, evalTargets: ArrayLike<number>, numOutputs: number): Metrics {
  const nTrain = task === "classification" ? trainTargets.length : trainTargets.length / numOutputs;
  const nEval = task === "classification" ? evalTargets.length : evalTargets.length / numOutputs;
  if (nTrain === 0 || nEval === 0) throw new TrainingError("majorityBaseline: empty split");
  const logits = new Float64Array(nEval * numOutputs);
  if (task === "classification") {
    const counts = new Float64Array(numOutputs);
    for (let i = 0; i < nTrain; i++) counts[trainTargets[i]!]! += 1;
    // logit_c = log(frequency_c): softmax gives back the frequencies; argmax is the majority class
    for (let r = 0; r < nEval; r++) {
      for (let c = 0; c < numOutputs; c++) logits[r * numOutputs + c] = Math.log(Math.max(counts[c]! / nTrain, 1e-15));
    }
    return computeMetrics(task, logits, evalTargets, numOutputs);
  }
  const means = new Float64Array(numOutputs);
  for (let i = 0; i < nTrain; i++) {
    for (let j = 0; j < numOutputs; j++) means[j]! += trainTargets[i * numOutputs + j]! / nTrain;
  }
  for (let r = 0; r < nEval; r++) {
    for (let j = 0; j < numOutputs; j++) {
      // multi-label: logit +1 (on) when the label's training frequency exceeds ½, else −1 (off)
      logits[r * numOutputs + j] = task === "regression" ? means[j]! : means[j]! > 0.5 ? 1 : -1;
    }
  }
  return computeMetrics(task, logits, evalTargets, numOutputs);
}
