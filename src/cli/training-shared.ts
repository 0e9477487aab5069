// Pieces `train`, `evaluate`, `predict` and `compare` share: reading labelled data with errors that
// name the file and line, tokenizing with one summary warning instead of one per text, encoding into
// feature caches with a progress bar, the training progress display, and Ctrl-C.
import { resolve } from "node:path";
import { InputError, TrainingError, UsageError } from "../errors.js";
import { readRecords } from "../io/readers.js";
import type { EncoderModel } from "../pipeline/model.js";
import type { Encoding } from "../encoder/tokenizer/index.js";
import { encodeToCaches } from "../train/encode-cache.js";
import type { FeatureCache } from "../train/feature-cache.js";
import { defaultModelDir } from "../io/load-model.js";
import type { JobTrainOptions } from "../train/compare.js";
import { HEAD_KINDS, type HeadKind } from "../train/heads.js";
import { TASK_METRICS, TASKS, type Task } from "../train/metrics.js";
import type { PoolerReads } from "../pooling/pooler.js";
import { holdoutSplit, type EpochRecord, type TrainProgress } from "../train/train.js";
import { listIndices } from "../train/labels.js";
import type { Metrics } from "../train/metrics.js";
import { numberFlag, positiveIntFlag, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import type { StopFlag } from "./job-runner.js";
import { progressBar } from "./progress.js";

/** Default token limit of train and compare: short enough that a run on a laptop stays quick. */
export const DEFAULT_TRAIN_MAX_LENGTH = 128;

/** Texts and raw labels of one file, with the line each came from. */
export interface LabelledData {
  source: string;
  texts: string[];
  labels: unknown[];
  lines: number[];
}

/** `--task`, required, one of regression | classification | multilabel. */
export function taskFlag(command: string, values: FlagValues): Task {
  const task = stringFlag(values, "task");
  if (task === undefined) throw new UsageError(`${command}: --task is required (${TASKS.join(", ")})`);
  if (!TASKS.includes(task as Task)) throw new UsageError(`${command}: --task must be one of ${TASKS.join(", ")}, got "${task}"`);
  return task as Task;
}

/** A fraction flag in (0, 1), e.g. `--valid-split 0.1`. */
export function fractionFlag(command: string, name: string, value: string | undefined, fallback: number): number {
  const x = numberFlag(command, name, value, fallback);
  if (!(x > 0 && x < 1)) throw new UsageError(`${command}: --${name} must be between 0 and 1 (exclusive), got "${value}"`);
  return x;
}

/** A non-negative integer flag such as `--seed 0`. */
export function seedFlag(command: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${command}: --seed must be a non-negative integer, got "${value}"`);
  return n;
}

/** `--max-length N`, at most what the model's position table allows. */
export function maxLengthFlag(command: string, values: FlagValues, model: EncoderModel, fallback: number): number {
  const n = positiveIntFlag(command, "max-length", stringFlag(values, "max-length"), fallback);
  if (n < 3) throw new UsageError(`${command}: --max-length must be at least 3 (<s>, one token, </s>), got ${n}`);
  return Math.min(n, model.maxLength);
}

/** A label from a CSV cell for multi-label: a JSON list (`["a","b"]`) or names separated by `|`. */
function multilabelFromCell(cell: string): unknown {
  const trimmed = cell.trim();
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return trimmed;
    }
  }
  return trimmed.split("|").map((s) => s.trim()).filter((s) => s !== "");
}

function isNumeric(x: unknown): boolean {
  if (typeof x === "number") return Number.isFinite(x);
  return typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x));
}

/**
 * Reads a labelled .jsonl or .csv file. Missing labels, non-numeric regression targets and an empty
 * file are errors naming the file and line; a .txt file is refused (it cannot carry labels).
 */
export async function readLabelled(
  path: string, ctx: CliContext, options: { task: Task; labelField: string; textField: string; split: string },
): Promise<LabelledData> {
  const { records, warnings } = await readRecords(resolve(ctx.cwd, path), { labelField: options.labelField, textField: options.textField });
  for (const w of warnings) ctx.stderr.write(`warning: ${w}\n`);
  if (records.length === 0) throw new TrainingError(`${path}: no examples: the ${options.split} split is empty`);
  const labels = records.map((r) => {
    if (options.task === "multilabel" && typeof r.label === "string") return multilabelFromCell(r.label);
    return r.label;
  });
  if (options.task === "regression") {
    records.forEach((r, i) => {
      const label = labels[i];
      const items = Array.isArray(label) ? label : [label];
      const bad = items.find((x) => !isNumeric(x));
      if (bad !== undefined || items.length === 0) {
        throw new TrainingError(`${path}:${r.line}: regression label ${JSON.stringify(label)} is not a number`);
      }
    });
  }
  return { source: path, texts: records.map((r) => r.text), labels, lines: records.map((r) => r.line) };
}

/** The examples at `indices` of a labelled file. */
export function subsetLabelled(data: LabelledData, indices: readonly number[], source: string): LabelledData {
  return {
    source,
    texts: indices.map((i) => data.texts[i] as string),
    labels: indices.map((i) => data.labels[i]),
    lines: indices.map((i) => data.lines[i] as number),
  };
}

/** Lists line numbers without flooding the terminal. */
/** Tokenizes every text, cutting at `maxLength`; prints one warning per kind of problem, not per text. */
export function tokenizeTexts(model: EncoderModel, texts: string[], lines: number[], source: string, maxLength: number, ctx: CliContext): Encoding[] {
  const truncated: number[] = [];
  const replaced: number[] = [];
  const encodings = model.tokenize(texts, {
    maxLength,
    onWarning: (message, i) => (message.startsWith("truncated") ? truncated : replaced).push(lines[i] ?? i + 1),
  });
  if (truncated.length > 0) {
    ctx.stderr.write(`note: ${source}: ${truncated.length} of ${texts.length} texts cut to ${maxLength} tokens (--max-length); lines ${listIndices(truncated)}\n`);
  }
  if (replaced.length > 0) ctx.stderr.write(`warning: ${source}: lone surrogates replaced by U+FFFD on lines ${listIndices(replaced)}\n`);
  if (encodings.some((e) => e.inputIds.length === 0)) throw new InputError(`${source}: a text gave no tokens`);
  return encodings;
}

/** Encodes tokenized texts into one cache per entry of `plan`, with a progress bar; Ctrl-C stops it. */
export async function encodeWithProgress(
  model: EncoderModel, encodings: Encoding[], plan: PoolerReads[], label: string, ctx: CliContext, stop: StopFlag,
): Promise<FeatureCache[]> {
  const bar = progressBar(ctx, `encode ${label}`, encodings.length);
  const start = Date.now();
  try {
    return await encodeToCaches(model, encodings, plan, {
      onProgress: (done) => bar.update(done),
      yieldBetweenBatches: () => new Promise((done) => setImmediate(() => done(stop.requested))),
    });
  } catch (err) {
    if (stop.requested) throw new TrainingError(`interrupted while encoding ${label}; nothing was written`);
    throw err;
  } finally {
    bar.finish();
    if (!stop.requested) ctx.stderr.write(`encoded ${label}: ${encodings.length} texts in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  }
}

/** `{ accuracy: 0.91, macroF1: 0.88 }` -> "accuracy 0.9100, macroF1 0.8800" (with digits = 4). */
export function formatMetrics(metrics: Metrics, digits: number): string {
  return Object.entries(metrics).map(([name, value]) => `${name} ${value.toFixed(digits)}`).join(", ");
}

/**
 * Shows training progress: on a terminal a bar with loss and ETA; and, on a terminal or not, one line
 * per finished epoch with its mean training loss and its validation metrics.
 */
export function trainingProgress(
  ctx: CliContext, label: string,
): { update(p: TrainProgress): void; epoch(record: EpochRecord, epochs: number): void; finish(): void } {
  let bar: ReturnType<typeof progressBar> | null = null;
  let epochStart = Date.now();
  return {
    update(p) {
      if (!ctx.interactive) return;
      bar ??= progressBar(ctx, label, p.totalSteps);
      bar.update(p.step, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`);
    },
    epoch(record, epochs) {
      const seconds = (Date.now() - epochStart) / 1000;
      epochStart = Date.now();
      const valid = record.validMetrics === null ? "" : `, validation ${formatMetrics(record.validMetrics, 4)}`;
      bar?.finish();
      ctx.stderr.write(`${label}: epoch ${record.epoch}/${epochs} done, train loss ${record.trainLoss.toFixed(4)}${valid} (${seconds.toFixed(1)} s)\n`);
    },
    finish() {
      bar?.finish();
    },
  };
}

/** Turns SIGINT into a stop request while `body` runs; a second Ctrl-C falls through to the default. */
export async function withInterrupt<T>(stop: StopFlag, ctx: CliContext, body: () => Promise<T>): Promise<T> {
  const onSigint = (): void => {
    ctx.stderr.write("\ninterrupt: stopping after the current step (Ctrl-C again to abort at once)\n");
    stop.request();
    process.removeListener("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  try {
    return await body();
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

/** Flags of the training budget, shared by `train` and `compare`. */
export const budgetFlags = {
  epochs: { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  "weight-decay": { type: "string" },
  patience: { type: "string" },
  head: { type: "string" },
  dropout: { type: "string" },
  metric: { type: "string" },
} as const;

/** Help text of budgetFlags, with this command's defaults. */
export function budgetUsage(defaults: { epochs: number; lr: number }): string {
  return `  --epochs N           passes over the training data (default ${defaults.epochs})
  --lr X               peak learning rate of AdamW, linear warm-up (10%) and decay (default ${defaults.lr})
  --batch-size N       examples per optimizer step (default 32)
  --weight-decay X     AdamW's decoupled weight decay (default 0.01)
  --patience N         stop after N epochs without improvement on validation; 0 = never (default 3)
  --head KIND          linear (nn.Linear) or classification (dense-tanh-out_proj, as RoBERTa's) (default linear)
  --dropout P          dropout before the head's layers while training (default 0)
  --metric NAME        validation metric that picks the best epoch (default: macroF1, rmse or microF1)`;
}

export interface Budget {
  epochs: number;
  lr: number;
  batchSize: number;
  weightDecay: number;
  patience: number | null;
  headKind: HeadKind;
  dropout: number;
  metric: string | undefined;
}

/** Reads the budget flags; `metric` is checked against the task. */
export function readBudget(command: string, values: FlagValues, task: Task, defaults: { epochs: number; lr: number }): Budget {
  const head = stringFlag(values, "head") ?? "linear";
  if (!HEAD_KINDS.includes(head as HeadKind)) throw new UsageError(`${command}: --head must be ${HEAD_KINDS.join(" or ")}, got "${head}"`);
  const dropout = numberFlag(command, "dropout", stringFlag(values, "dropout"), 0);
  if (!(dropout >= 0 && dropout < 1)) throw new UsageError(`${command}: --dropout must be in [0, 1), got ${dropout}`);
  const lr = numberFlag(command, "lr", stringFlag(values, "lr"), defaults.lr);
  if (!(lr > 0)) throw new UsageError(`${command}: --lr must be positive, got ${lr}`);
  const weightDecay = numberFlag(command, "weight-decay", stringFlag(values, "weight-decay"), 0.01);
  if (!(weightDecay >= 0)) throw new UsageError(`${command}: --weight-decay must be >= 0, got ${weightDecay}`);
  const patienceText = stringFlag(values, "patience");
  const patience = patienceText === "0" ? null : positiveIntFlag(command, "patience", patienceText, 3);
  const metric = stringFlag(values, "metric");
  if (metric !== undefined && metric !== "loss" && !TASK_METRICS[task].includes(metric)) {
    throw new UsageError(`${command}: --metric for ${task} must be loss or one of ${TASK_METRICS[task].join(", ")}, got "${metric}"`);
  }
  return {
    epochs: positiveIntFlag(command, "epochs", stringFlag(values, "epochs"), defaults.epochs),
    lr,
    batchSize: positiveIntFlag(command, "batch-size", stringFlag(values, "batch-size"), 32),
    weightDecay,
    patience,
    headKind: head as HeadKind,
    dropout,
    metric,
  };
}

/** The training options of a budget, as a job carries them. */
export function jobOptions(budget: Budget): JobTrainOptions {
  return {
    epochs: budget.epochs,
    lr: budget.lr,
    batchSize: budget.batchSize,
    weightDecay: budget.weightDecay,
    patience: budget.patience,
    ...(budget.metric === undefined ? {} : { metric: budget.metric }),
  };
}

/** Flags that name the data of `train` and `compare`. */
export const dataFlags = {
  model: { type: "string" },
  data: { type: "string" },
  valid: { type: "string" },
  "valid-split": { type: "string" },
  task: { type: "string" },
  "label-field": { type: "string" },
  "text-field": { type: "string" },
  "max-length": { type: "string" },
  seed: { type: "string" },
} as const;

/**
 * The training and validation examples: `--valid FILE`, or `--valid-split F` held out of `--data`
 * (stratified by class for classification; default 0.1), seeded by `splitSeed`.
 */
export async function readTrainValid(
  command: string, values: FlagValues, ctx: CliContext, task: Task, splitSeed: number,
): Promise<{ train: LabelledData; valid: LabelledData }> {
  const dataPath = stringFlag(values, "data");
  if (dataPath === undefined) throw new UsageError(`${command}: --data TRAIN is required (.jsonl or .csv with a label field)`);
  const validPath = stringFlag(values, "valid");
  const splitText = stringFlag(values, "valid-split");
  if (validPath !== undefined && splitText !== undefined) throw new UsageError(`${command}: give --valid or --valid-split, not both`);
  const fields = { task, labelField: stringFlag(values, "label-field") ?? "label", textField: stringFlag(values, "text-field") ?? "text" };
  const all = await readLabelled(dataPath, ctx, { ...fields, split: "training" });
  if (validPath !== undefined) return { train: all, valid: await readLabelled(validPath, ctx, { ...fields, split: "validation" }) };
  const fraction = fractionFlag(command, "valid-split", splitText, 0.1);
  if (all.texts.length < 2) throw new TrainingError(`${dataPath}: ${all.texts.length} example cannot be split into training and validation`);
  const split = holdoutSplit(all.texts.length, fraction, splitSeed, task === "classification" ? all.labels : undefined);
  return {
    train: subsetLabelled(all, split.train, dataPath),
    valid: subsetLabelled(all, split.valid, `${dataPath} (held out by --valid-split ${fraction})`),
  };
}

/** The model folder as pooling.json records it: an absolute path, or "default" for the shipped model. */
export function modelRecord(values: FlagValues, ctx: CliContext): string {
  const dir = stringFlag(values, "model");
  if (dir === undefined) return "default";
  const abs = resolve(ctx.cwd, dir);
  return abs === defaultModelDir() ? "default" : abs;
}
