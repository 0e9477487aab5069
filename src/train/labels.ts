// Labels as they come from JSONL/CSV rows, turned into the numbers the losses need, with errors that
// name the split and the example. Legend: N examples, k regression outputs, C classes or labels.
//   regression:     a number (or numeric string), or an array of k of them   -> values [N,k], standardised
//                   with the training split's mean and std per output (so that a head starting at 0
//                   and a learning rate of 1e-3…1e-2 fit years as well as ratings); decode undoes it
//   classification: one class name (string or number)                        -> values [N] class index
//   multilabel:     an array of label names (possibly empty)                  -> values [N,C] multi-hot
// The classes are those of the training split, sorted (numerically when all are numbers), so the
// encoding does not depend on example order; a class seen only in another split is an error.
import { describeValue, TrainingError } from "../errors.js";
import { sigmoid } from "../tensor/ops/sigmoid.js";
import { meanStd } from "./metrics.js";
import { TASKS, type Task } from "./task.js";

/** One example's prediction, decoded from logits: a value, a class, or a set of labels (sigmoid > 0.5). */
export type Prediction =
  | { value: number | number[] }
  | { label: string; probabilities: Record<string, number> }
  | { labels: string[]; probabilities: Record<string, number> };

/** Per-output mean and standard deviation of the training targets (regression only). */
export interface TargetScale {
  mean: number[];
  std: number[];
}

export interface EncodedLabels {
  task: Task;
  /** k for regression, C for classification and multi-label. */
  numOutputs: number;
  /** [N,k] standardised targets, [N] class indices, or [N,C] multi-hot (as the loss of the task takes them). */
  values: Float64Array;
  /** How regression targets were standardised (z = (y − mean) / std); null for the other tasks. */
  targetScale: TargetScale | null;
}

/** y = z · std + mean for every row of [N,k] standardised values (a copy). */
export function toOriginalUnits(values: ArrayLike<number>, scale: TargetScale): Float64Array {
  const k = scale.mean.length;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * scale.std[i % k]! + scale.mean[i % k]!;
  return out;
}

/** Mean and population standard deviation of each of the k outputs (std 1 for a constant output). */
function fitScale(values: Float64Array, k: number): TargetScale {
  const n = values.length / k;
  const columns = Array.from({ length: k }, (_, j) => meanStd(Array.from({ length: n }, (_, i) => values[i * k + j]!)));
  return {
    mean: columns.map((c) => c.mean),
    std: columns.map((c) => (c.std > 0 && Number.isFinite(c.std) ? c.std : 1)),
  };
}

function isMissing(label: unknown): boolean {
  return label === undefined || label === null || (typeof label === "string" && label.trim() === "");
}

function toNumber(label: unknown): number | null {
  if (typeof label === "number") return Number.isFinite(label) ? label : null;
  if (typeof label === "string" && label.trim() !== "") {
    const x = Number(label);
    return Number.isFinite(x) ? x : null;
  }
  return null;
}

function className(label: unknown, where: string): string {
  if (typeof label === "string" || typeof label === "number" || typeof label === "boolean") return String(label);
  throw new TrainingError(`${where}: label ${describeValue(label)} is not a class name (string or number)`);
}

function compareClasses(a: string, b: string): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== null && y !== null) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How many unseen or known classes an error message lists before it only counts them. */
const MAX_LISTED = 10;

/** Lists the examples (or lines) at fault without flooding the message: "1, 2, 3, 4, 5 and 7 more". */
export function listIndices(indices: readonly number[]): string {
  const shown = indices.slice(0, 5).join(", ");
  return indices.length > 5 ? `${shown} and ${indices.length - 5} more` : shown;
}

/**
 * Maps raw labels to targets; built from the training split with `LabelEncoder.fit` and then applied
 * to every split. Serialisable with `toJSON` / `LabelEncoder.fromJSON` (for training.json).
 * @example
 * const enc = LabelEncoder.fit("classification", ["spam", "ham", "ham"]);
 * enc.encode(["ham"], "validation").values; // Float64Array [0]
 */
export class LabelEncoder {
  private readonly index: Map<string, number>;

  private constructor(
    readonly task: Task,
    /** k for regression, C otherwise. */
    readonly numOutputs: number,
    /** Class (or label) names in output order; empty for regression. */
    readonly classes: readonly string[],
    /** Regression: the training targets' mean and std per output; null otherwise. */
    readonly targetScale: TargetScale | null = null,
  ) {
    this.index = new Map(classes.map((c, i) => [c, i]));
  }

  /** Learns the classes (or k) from the training labels. */
  static fit(task: Task, labels: readonly unknown[], split = "train"): LabelEncoder {
    if (!TASKS.includes(task)) throw new TrainingError(`unknown task "${String(task)}" (expected ${TASKS.join(", ")})`);
    if (labels.length === 0) throw new TrainingError(`${split} split is empty`);
    checkPresent(labels, split);
    if (task === "regression") {
      const first = labels[0];
      const k = Array.isArray(first) ? first.length : 1;
      if (k === 0) throw new TrainingError(`${split} example 0: empty regression target`);
      const raw = new LabelEncoder(task, k, []).encode(labels, split).values;
      return new LabelEncoder(task, k, [], fitScale(raw, k));
    }
    const seen = new Set<string>();
    labels.forEach((label, i) => {
      const where = `${split} example ${i}`;
      if (task === "classification") {
        if (Array.isArray(label)) throw new TrainingError(`${where}: a list of labels needs --task multilabel`);
        seen.add(className(label, where));
      } else {
        if (!Array.isArray(label)) throw new TrainingError(`${where}: multi-label targets must be lists of label names`);
        for (const l of label) seen.add(className(l, where));
      }
    });
    const classes = [...seen].sort(compareClasses);
    if (task === "classification" && classes.length < 2) {
      throw new TrainingError(`${split} split has a single class (${classes[0]}); classification needs at least two`);
    }
    if (classes.length === 0) throw new TrainingError(`${split} split has no label at all`);
    return new LabelEncoder(task, classes.length, classes);
  }

  /** Rebuilds an encoder saved with toJSON (a regression encoder without targetScale leaves targets as they are). */
  static fromJSON(json: LabelEncoderJson): LabelEncoder {
    return new LabelEncoder(json.task, json.numOutputs, json.classes, json.targetScale ?? null);
  }

  toJSON(): LabelEncoderJson {
    const json: LabelEncoderJson = { task: this.task, numOutputs: this.numOutputs, classes: [...this.classes] };
    if (this.targetScale !== null) json.targetScale = { mean: [...this.targetScale.mean], std: [...this.targetScale.std] };
    return json;
  }

  /**
   * Turns logits [N,k] back into predictions: regression values (a number when k = 1), the argmax
   * class with softmax probabilities, or the labels whose sigmoid exceeds 0.5 with every probability.
   */
  decode(logits: ArrayLike<number>): Prediction[] {
    const k = this.numOutputs;
    const out: Prediction[] = [];
    for (let r = 0; r < logits.length / k; r++) {
      const row = Array.from({ length: k }, (_, j) => logits[r * k + j]!);
      if (this.task === "regression") {
        const value = this.targetScale === null ? row : Array.from(toOriginalUnits(row, this.targetScale));
        out.push({ value: k === 1 ? value[0]! : value });
        continue;
      }
      if (this.task === "classification") {
        // p_j = exp(x_j − max) / Σ exp(x_i − max)
        const max = Math.max(...row);
        const exps = row.map((x) => Math.exp(x - max));
        const sum = exps.reduce((s, e) => s + e, 0);
        const best = row.indexOf(max);
        out.push({ label: this.classes[best]!, probabilities: Object.fromEntries(this.classes.map((c, j) => [c, exps[j]! / sum])) });
        continue;
      }
      const probs = row.map((x) => sigmoid(x));
      out.push({
        labels: this.classes.filter((_, j) => row[j]! > 0),
        probabilities: Object.fromEntries(this.classes.map((c, j) => [c, probs[j]!])),
      });
    }
    return out;
  }

  /**
   * Encodes one split's labels; `split` names it in errors ("train", "validation", "test"), and
   * `lines`, when given, are the file lines of the examples, so that errors point into the file.
   */
  encode(labels: readonly unknown[], split: string, lines?: readonly number[]): EncodedLabels {
    const exampleName = (i: number): string => (lines === undefined ? `example ${i}` : `line ${lines[i]}`);
    if (labels.length === 0) throw new TrainingError(`${split} split is empty`);
    checkPresent(labels, split);
    const k = this.numOutputs;
    const width = this.task === "classification" ? 1 : k;
    const values = new Float64Array(labels.length * width);
    const unseen = new Map<string, number[]>();
    labels.forEach((label, i) => {
      const where = `${split} ${exampleName(i)}`;
      if (this.task === "regression") {
        const items = Array.isArray(label) ? label : [label];
        if (items.length !== k) throw new TrainingError(`${where}: expected ${k} regression target(s), got ${items.length}`);
        items.forEach((item, j) => {
          const x = toNumber(item);
          if (x === null) throw new TrainingError(`${where}: regression label ${describeValue(item)} is not a number`);
          const scale = this.targetScale;
          values[i * k + j] = scale === null ? x : (x - scale.mean[j]!) / scale.std[j]!;
        });
        return;
      }
      if (this.task === "multilabel" && !Array.isArray(label)) {
        throw new TrainingError(`${where}: multi-label targets must be lists of label names, got ${describeValue(label)}`);
      }
      const names = Array.isArray(label) ? label.map((l: unknown) => className(l, where)) : [className(label, where)];
      for (const name of names) {
        const c = this.index.get(name);
        if (c === undefined) {
          // push, not [...at, i]: copying each list made 40,000 unseen rows take a minute
          const at = unseen.get(name);
          if (at === undefined) unseen.set(name, [i]);
          else at.push(i);
        } else if (this.task === "classification") values[i] = c;
        else values[i * k + c] = 1;
      }
    });
    if (unseen.size > 0) {
      const place = (at: number[]): string => {
        const noun = lines === undefined ? "example" : "line";
        return `${noun}${at.length === 1 ? "" : "s"} ${listIndices(lines === undefined ? at : at.map((i) => lines[i]!))}`;
      };
      const list = [...unseen].slice(0, MAX_LISTED).map(([name, at]) => `${describeValue(name)} (${place(at)})`).join(", ");
      const more = unseen.size > MAX_LISTED ? ` and ${unseen.size - MAX_LISTED} more` : "";
      const known = this.classes.slice(0, MAX_LISTED).join(", ") + (this.classes.length > MAX_LISTED ? `, … (${this.classes.length})` : "");
      throw new TrainingError(`${split} split has classes never seen in training: ${list}${more}; known: ${known}`);
    }
    return { task: this.task, numOutputs: k, values, targetScale: this.targetScale };
  }
}

/** What LabelEncoder.toJSON writes into pooling.json. */
export interface LabelEncoderJson {
  task: Task;
  numOutputs: number;
  classes: string[];
  targetScale?: TargetScale;
}

function checkPresent(labels: readonly unknown[], split: string): void {
  const missing: number[] = [];
  labels.forEach((label, i) => {
    if (isMissing(label)) missing.push(i);
  });
  if (missing.length > 0) throw new TrainingError(`${split} split: labels missing for examples ${listIndices(missing)}`);
}

/** The labels of the examples at `indices`. */
export function subsetLabels(labels: EncodedLabels, indices: readonly number[]): EncodedLabels {
  const width = labels.task === "classification" ? 1 : labels.numOutputs;
  const values = new Float64Array(indices.length * width);
  indices.forEach((i, r) => values.set(labels.values.subarray(i * width, (i + 1) * width), r * width));
  return { ...labels, values };
}
