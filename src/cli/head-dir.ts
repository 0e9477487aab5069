// A trained head's folder (HEAD_DIR), written by `train` and read by `evaluate` and `predict`:
//   pooling.json      everything needed to use the head again: pooling spec, head kind and sizes, task,
//                     label encoder, encoder dims, model folder, token limit, text/label fields
//   head.safetensors  pooler and head parameters as `pooler.<name>` / `head.<name>` (PyTorch names)
//   training.json     the options and per-epoch history of the run
// Each file is written atomically; pooling.json last, so a folder with pooling.json is complete.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { serializeSafetensors, type SafeTensor } from "../encoder/safetensors.js";
import type { Tensor } from "../tensor/tensor.js";
import { TrainingError, UsageError } from "../errors.js";
import { readText, writeFileAtomic } from "../io/files.js";
import { defaultModelDir, loadModel } from "../io/load-model.js";
import type { EncoderModel } from "../pipeline/model.js";
import { createHead, HEAD_KINDS, type Head, type HeadKind } from "../train/heads.js";
import { createPooler, type Pooler, type PoolingDims, type PoolingSpec } from "../pooling/index.js";
import { checkEncoderDims, LabelEncoder, splitStateDict } from "../train/train.js";
import type { LabelEncoderJson, TargetScale } from "../train/labels.js";
import { TASKS, type Task } from "../train/metrics.js";
import { readParams } from "./shared.js";

export const HEAD_FILES = ["pooling.json", "head.safetensors", "training.json"] as const;
const FORMAT = "encoder-pooling head 1";

/** The contents of pooling.json. */
export interface HeadConfig {
  format: typeof FORMAT;
  pooling: PoolingSpec;
  head: { kind: HeadKind; inputSize: number; outputSize: number; dropout: number };
  task: Task;
  labels: LabelEncoderJson;
  encoder: PoolingDims;
  /** Absolute path of the model folder, or "default" for the shipped model. */
  model: string;
  maxLength: number;
  textField: string;
  labelField: string;
}

/** Refuses to go on when HEAD_DIR already holds a head file and `force` is false. Call before training. */
export function assertHeadDirWritable(dir: string, force: boolean): void {
  const present = HEAD_FILES.filter((f) => existsSync(join(dir, f)));
  if (!force && present.length > 0) {
    throw new UsageError(`${dir} already holds ${present.join(", ")}; pass --force to overwrite`);
  }
}

/** Writes the three files of a head folder (creating it), each through a temporary file and a rename. */
export async function writeHeadDir(
  dir: string, config: HeadConfig, state: Map<string, Tensor>, training: object, force: boolean,
): Promise<void> {
  assertHeadDirWritable(dir, force);
  await mkdir(dir, { recursive: true });
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of state) tensors.set(name, { dtype: "F32", shape: [...t.shape], data: Float32Array.from(t.data) });
  await writeFileAtomic(join(dir, "head.safetensors"), serializeSafetensors(tensors, { format: FORMAT }), true);
  await writeFileAtomic(join(dir, "training.json"), `${JSON.stringify(training, null, 2)}\n`, true);
  await writeFileAtomic(join(dir, "pooling.json"), `${JSON.stringify(config, null, 2)}\n`, true);
}

function field<T>(ok: boolean, value: unknown, source: string, name: string, expected: string): T {
  if (!ok) throw new TrainingError(`${source}: field "${name}" must be ${expected}, got ${JSON.stringify(value) ?? "nothing"}`);
  return value as T;
}

const isPositiveInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v > 0;

function isTargetScale(v: unknown, k: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  const { mean, std } = v as Record<string, unknown>;
  const numbers = (a: unknown, positive: boolean): boolean =>
    Array.isArray(a) && a.length === k && a.every((x) => typeof x === "number" && Number.isFinite(x) && (!positive || x > 0));
  return numbers(mean, false) && numbers(std, true);
}

/** Reads and checks pooling.json; every error names the file and the field. */
export async function readHeadConfig(dir: string): Promise<HeadConfig> {
  const source = join(dir, "pooling.json");
  if (!existsSync(source)) throw new TrainingError(`${dir}: not a head folder (no pooling.json; train one with \`encoder-pooling train\`)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readText(source, "head")) as Record<string, unknown>;
  } catch (err) {
    throw new TrainingError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== "object") throw new TrainingError(`${source}: expected a JSON object`);
  const head = (raw["head"] ?? {}) as Record<string, unknown>;
  const labels = (raw["labels"] ?? {}) as Record<string, unknown>;
  const encoder = (raw["encoder"] ?? {}) as Record<string, unknown>;
  const task = field<Task>(TASKS.includes(raw["task"] as Task), raw["task"], source, "task", TASKS.join(" | "));
  return {
    format: field(raw["format"] === FORMAT, raw["format"], source, "format", `"${FORMAT}"`),
    pooling: field(typeof raw["pooling"] === "object" && raw["pooling"] !== null, raw["pooling"], source, "pooling", "a pooling spec object"),
    head: {
      kind: field(HEAD_KINDS.includes(head["kind"] as HeadKind), head["kind"], source, "head.kind", HEAD_KINDS.join(" | ")),
      inputSize: field(isPositiveInt(head["inputSize"]), head["inputSize"], source, "head.inputSize", "a positive integer"),
      outputSize: field(isPositiveInt(head["outputSize"]), head["outputSize"], source, "head.outputSize", "a positive integer"),
      dropout: field(typeof head["dropout"] === "number", head["dropout"], source, "head.dropout", "a number"),
    },
    task,
    labels: {
      task: field(labels["task"] === task, labels["task"], source, "labels.task", `"${task}" (the task)`),
      numOutputs: field(isPositiveInt(labels["numOutputs"]), labels["numOutputs"], source, "labels.numOutputs", "a positive integer"),
      classes: field(Array.isArray(labels["classes"]) && labels["classes"].every((c) => typeof c === "string"), labels["classes"], source, "labels.classes", "a list of strings"),
      ...(labels["targetScale"] === undefined
        ? {}
        : { targetScale: field<TargetScale>(isTargetScale(labels["targetScale"], labels["numOutputs"]), labels["targetScale"], source, "labels.targetScale", "{ mean: [k numbers], std: [k positive numbers] }") }),
    },
    encoder: {
      numLayers: field(isPositiveInt(encoder["numLayers"]), encoder["numLayers"], source, "encoder.numLayers", "a positive integer"),
      hiddenSize: field(isPositiveInt(encoder["hiddenSize"]), encoder["hiddenSize"], source, "encoder.hiddenSize", "a positive integer"),
    },
    model: field(typeof raw["model"] === "string", raw["model"], source, "model", `a folder path or "default"`),
    maxLength: field(isPositiveInt(raw["maxLength"]), raw["maxLength"], source, "maxLength", "a positive integer"),
    textField: field(typeof raw["textField"] === "string", raw["textField"], source, "textField", "a string"),
    labelField: field(typeof raw["labelField"] === "string", raw["labelField"], source, "labelField", "a string"),
  };
}

/** A loaded head folder: its config, the pooler and head with their trained weights, the label encoder. */
export interface LoadedHead {
  config: HeadConfig;
  pooler: Pooler;
  head: Head;
  labels: LabelEncoder;
}

/**
 * Builds the pooler and head of a head folder for an encoder of `dims`, refusing a model of another
 * shape and any tensor that does not belong (names and shapes are checked by createPooler/createHead).
 */
export async function loadHeadDir(dir: string, config: HeadConfig, dims: PoolingDims, modelSource: string): Promise<LoadedHead> {
  const source = join(dir, "head.safetensors");
  checkEncoderDims(config.encoder, dims, `${dir} (with the model ${modelSource})`);
  const { pooler: poolerParams, head: headParams } = splitStateDict(await readParams(source), source);
  const pooler = createPooler(config.pooling, dims, { parameters: poolerParams });
  if (pooler.outputSize !== config.head.inputSize) {
    throw new TrainingError(`${dir}/pooling.json: head.inputSize is ${config.head.inputSize} but the pooling gives vectors of ${pooler.outputSize}`);
  }
  const head = createHead(config.head.kind, config.head.inputSize, config.head.outputSize, { parameters: headParams, dropout: config.head.dropout });
  if (config.labels.numOutputs !== config.head.outputSize) {
    throw new TrainingError(`${dir}/pooling.json: labels.numOutputs ${config.labels.numOutputs} differs from head.outputSize ${config.head.outputSize}`);
  }
  return { config, pooler, head: head as Head, labels: LabelEncoder.fromJSON(config.labels) };
}

/**
 * Opens a head folder with its encoder: `modelFlag` when given, else the model recorded in
 * pooling.json ("default" = the shipped model). A model of another shape is refused.
 */
export async function openHead(dir: string, modelFlag: string | undefined): Promise<LoadedHead & { model: EncoderModel }> {
  const config = await readHeadConfig(dir);
  const modelDir = modelFlag ?? (config.model === "default" ? defaultModelDir() : config.model);
  const model = await loadModel(modelDir);
  const dims = { numLayers: model.config.numHiddenLayers, hiddenSize: model.config.hiddenSize };
  return { ...(await loadHeadDir(dir, config, dims, modelDir)), model };
}
