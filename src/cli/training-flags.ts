// Flags that `train`, `evaluate`, `predict` and `compare` share: the task, the data files (with a
// held-out validation split), the training budget and the token limit.
import { resolve } from "node:path";
import {
  DEFAULT_TRAINING, defaultModelDir, describeDefaultLearningRates, HEAD_KINDS, holdoutSplit, readLabelled, subsetLabelled, TASK_METRICS, TASKS, TrainingError, UsageError,
  type EncoderModel, type HeadKind, type JobTrainOptions, type LabelledData, type Task,
} from "../node.js";
import { numberFlag, positiveIntFlag, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import { engineFlags } from "./engine-flags.js";

/** `--task`, required, one of regression | classification | multilabel. */
export function taskFlag(command: string, values: FlagValues): Task {
  const task = stringFlag(values, "task");
  if (task === undefined) throw new UsageError(`${command}: --task is required (${TASKS.join(", ")})`);
  if (!TASKS.includes(task as Task)) throw new UsageError(`${command}: --task must be one of ${TASKS.join(", ")}, got "${task}"`);
  return task as Task;
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

/** Reads a labelled file (path as given, resolved against the working folder), printing its warnings. */
export function readLabelledFlag(
  path: string, ctx: CliContext, options: { task: Task; labelField: string; textField: string; split: string },
): Promise<LabelledData> {
  return readLabelled(path, { ...options, cwd: ctx.cwd, onWarning: (w) => ctx.stderr.write(`warning: ${w}\n`) });
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

/** Help text of budgetFlags, with the library's defaults (DEFAULT_TRAINING). */
export function budgetUsage(): string {
  const d = DEFAULT_TRAINING;
  return `  --epochs N           passes over the training data (default ${d.epochs})
  --lr X               peak learning rate of AdamW, linear warm-up (10%) and decay (default ${describeDefaultLearningRates()})
  --batch-size N       examples per optimizer step (default ${d.batchSize})
  --weight-decay X     AdamW's decoupled weight decay (default ${d.weightDecay})
  --patience N         stop after N epochs without improvement on validation; 0 = never (default ${d.patience})
  --head KIND          linear (nn.Linear) or classification (dense-tanh-out_proj, as RoBERTa's) (default linear)
  --dropout P          dropout before the head's layers while training (default 0)
  --metric NAME        validation metric that picks the best epoch (default: macroF1, rmse or microF1)`;
}

export interface Budget {
  /** What every run shares, as a job carries it. */
  options: JobTrainOptions;
  head: { kind: HeadKind; dropout: number };
}

/** Reads the budget flags; `metric` is checked against the task. Without --lr each pooling gets its default rate. */
export function readBudget(command: string, values: FlagValues, task: Task): Budget {
  const d = DEFAULT_TRAINING;
  const kind = stringFlag(values, "head") ?? "linear";
  if (!HEAD_KINDS.includes(kind as HeadKind)) throw new UsageError(`${command}: --head must be ${HEAD_KINDS.join(" or ")}, got "${kind}"`);
  const dropout = numberFlag(command, "dropout", stringFlag(values, "dropout"), 0);
  if (!(dropout >= 0 && dropout < 1)) throw new UsageError(`${command}: --dropout must be in [0, 1), got ${dropout}`);
  const lrText = stringFlag(values, "lr");
  const lr = lrText === undefined ? undefined : numberFlag(command, "lr", lrText, NaN);
  if (lr !== undefined && !(lr > 0)) throw new UsageError(`${command}: --lr must be positive, got ${lr}`);
  const weightDecay = numberFlag(command, "weight-decay", stringFlag(values, "weight-decay"), d.weightDecay);
  if (!(weightDecay >= 0)) throw new UsageError(`${command}: --weight-decay must be >= 0, got ${weightDecay}`);
  const patienceText = stringFlag(values, "patience");
  const patience = patienceText === "0" ? null : positiveIntFlag(command, "patience", patienceText, d.patience);
  const metric = stringFlag(values, "metric");
  if (metric !== undefined && metric !== "loss" && !TASK_METRICS[task].includes(metric)) {
    throw new UsageError(`${command}: --metric for ${task} must be loss or one of ${TASK_METRICS[task].join(", ")}, got "${metric}"`);
  }
  const epochs = positiveIntFlag(command, "epochs", stringFlag(values, "epochs"), d.epochs);
  const batchSize = positiveIntFlag(command, "batch-size", stringFlag(values, "batch-size"), d.batchSize);
  return {
    options: { epochs, batchSize, weightDecay, patience, ...(lr === undefined ? {} : { lr }), ...(metric === undefined ? {} : { metric }) },
    head: { kind: kind as HeadKind, dropout },
  };
}

/** Flags that name the data of `train` and `compare`. */
export const dataFlags = {
  model: { type: "string" },
  ...engineFlags,
  data: { type: "string" },
  valid: { type: "string" },
  "valid-split": { type: "string" },
  task: { type: "string" },
  "label-field": { type: "string" },
  "text-field": { type: "string" },
  "max-length": { type: "string" },
  seed: { type: "string" },
} as const;

/** The label and text fields of `--label-field` and `--text-field`, with their defaults. */
export function fieldFlags(values: FlagValues): { labelField: string; textField: string } {
  return { labelField: stringFlag(values, "label-field") ?? "label", textField: stringFlag(values, "text-field") ?? "text" };
}

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
  const fields = { task, ...fieldFlags(values) };
  const all = await readLabelledFlag(dataPath, ctx, { ...fields, split: "training" });
  if (validPath !== undefined) return { train: all, valid: await readLabelledFlag(validPath, ctx, { ...fields, split: "validation" }) };
  const fraction = numberFlag(command, "valid-split", splitText, 0.1);
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`${command}: --valid-split must be between 0 and 1 (exclusive), got "${splitText}"`);
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
