// A trained head's folder (HEAD_DIR), written by `train` (and `compare --save-heads`) and read by
// `embed --head`, `evaluate`, `predict` and `similar`:
//   pooling.json      everything needed to use the head again: pooling spec, head kind and sizes, task,
//                     label encoder, encoder dims, model folder, token limit, text/label fields
//   head.safetensors  pooler and head parameters as `pooler.<name>` / `head.<name>` (PyTorch names)
//   training.json     the options and per-epoch history of the run
// This module turns a trained head into those files' contents and back, in memory (so that browsers and
// workers can fetch a head); src/io/head-folder.ts reads and writes them as a folder.
import { parseJson } from "../encoder/json.js";
import { CONFIG_LIMITS } from "../encoder/config.js";
import { describeValue, PoolingError, TrainingError } from "../errors.js";
import { crc32 } from "../formats/crc32.js";
import { parseStateDict, serializeStateDict } from "../formats/state-dict.js";
import { createPooler, parsePoolingSpec } from "../pooling/index.js";
import type { Pooler, PoolingDims } from "../pooling/pooler.js";
import type { PoolingSpec } from "../pooling/registry.js";
import type { Backend } from "../tensor/backend.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { createHead, HEAD_KINDS, type Head, type HeadKind } from "./heads/index.js";
import { LabelEncoder, type LabelEncoderJson, type TargetScale } from "./labels.js";
import { TASKS, type Task } from "./task.js";

export const HEAD_FILES = ["pooling.json", "head.safetensors", "training.json"] as const;

export const HEAD_FORMAT = "encoder-pooling head 1";

/** The contents of pooling.json. */
export interface HeadConfig {
  format: typeof HEAD_FORMAT;
  pooling: PoolingSpec;
  head: { kind: HeadKind; inputSize: number; outputSize: number; dropout: number };
  task: Task;
  labels: LabelEncoderJson;
  encoder: PoolingDims;
  /** Absolute path of the model folder, "default" for the shipped model, or "." when the head folder holds its fine-tuned encoder. */
  model: string;
  maxLength: number;
  textField: string;
  labelField: string;
  /**
   * The other files as written with this pooling.json (bytes and CRC-32): a folder whose files were not
   * written together (a `train --force` that failed half-way) is refused instead of loaded mixed.
   * Absent in folders written before it existed.
   */
  files?: Partial<Record<"head.safetensors" | "training.json", FileStamp>>;
}

/** Size and checksum of one file of a head folder. */
export interface FileStamp {
  bytes: number;
  crc32: string;
}

function stamp(bytes: Uint8Array): FileStamp {
  return { bytes: bytes.length, crc32: crc32(bytes) };
}

/** The files of a head folder, in memory. training.json is a record for people; loading does not need it. */
export interface HeadFolder {
  "pooling.json": string;
  "head.safetensors": Uint8Array;
  "training.json"?: string;
}

/**
 * The files of a trained head: its config, its weights under `pooler.<name>` / `head.<name>` (as
 * trainableParameters names them; stored F32) and a record of the run.
 * @example const folder = headFiles(config, result.state, { history }); // then writeHeadFolder(dir, folder, force) in Node
 */
export function headFiles(config: HeadConfig, state: Map<string, Tensor<FloatArray>>, training: object): Required<HeadFolder> {
  const weights = serializeStateDict(state, { format: HEAD_FORMAT });
  const record = `${JSON.stringify(training, null, 2)}\n`;
  const files = { "head.safetensors": stamp(weights), "training.json": stamp(new TextEncoder().encode(record)) };
  return {
    "head.safetensors": weights,
    "training.json": record,
    "pooling.json": `${JSON.stringify({ ...config, files }, null, 2)}\n`,
  };
}

/** Refuses a folder whose files do not match the manifest in its pooling.json. */
export function checkHeadFiles(config: HeadConfig, folder: HeadFolder, dir: string): void {
  const present: [keyof NonNullable<HeadConfig["files"]>, Uint8Array | undefined][] = [
    ["head.safetensors", folder["head.safetensors"]],
    ["training.json", folder["training.json"] === undefined ? undefined : new TextEncoder().encode(folder["training.json"])],
  ];
  for (const [name, bytes] of present) {
    const expected = config.files?.[name];
    if (expected === undefined || bytes === undefined) continue;
    const got = stamp(bytes);
    if (got.bytes !== expected.bytes || got.crc32 !== expected.crc32) {
      throw new TrainingError(
        `${dir}: ${name} (${got.bytes} bytes, crc32 ${got.crc32}) was not written with pooling.json (which expects ${expected.bytes} bytes, ` +
          `crc32 ${expected.crc32}): a mixed folder, perhaps from an interrupted \`train --force\`; train again`,
      );
    }
  }
}

function field<T>(ok: boolean, value: unknown, source: string, name: string, expected: string): T {
  if (!ok) throw new TrainingError(`${source}: field "${name}" must be ${expected}, got ${value === undefined ? "nothing" : describeValue(value)}`);
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

/** What `makeHeadConfig` needs besides a finished run. */
export interface HeadSettings {
  task: Task;
  labels: LabelEncoder;
  head: { kind: HeadKind; dropout: number };
  encoder: PoolingDims;
  /** Absolute path of the model folder, or "default" for the shipped model. */
  model: string;
  maxLength: number;
  textField: string;
  labelField: string;
}

/**
 * The pooling.json of a finished run (its normalised spec and pooled size) with the settings it was
 * trained with: what `train` writes, and `compare --save-heads` for every run.
 */
export function makeHeadConfig(run: { spec: PoolingSpec; outputSize: number }, settings: HeadSettings): HeadConfig {
  return {
    format: HEAD_FORMAT,
    pooling: run.spec,
    head: { kind: settings.head.kind, inputSize: run.outputSize, outputSize: settings.labels.numOutputs, dropout: settings.head.dropout },
    task: settings.task,
    labels: settings.labels.toJSON(),
    encoder: { ...settings.encoder },
    model: settings.model,
    maxLength: settings.maxLength,
    textField: settings.textField,
    labelField: settings.labelField,
  };
}

/**
 * A pooling spec read from JSON: a spec (`{"type": …}` or a name), or a head folder's pooling.json,
 * whose `pooling` field is the spec, so that `--pooling HEAD_DIR/pooling.json` means that head's pooling.
 */
export function poolingFromJson(value: unknown, source: string): string | object {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new PoolingError(`${source}: not a pooling spec: expected a JSON object or a pooling name`);
  const record = value as Record<string, unknown>;
  if (record["format"] === HEAD_FORMAT) return parseHeadConfig(JSON.stringify(value), source).pooling;
  return value;
}

/**
 * A pooler's own parameters from a state dict that may be a head's (`pooler.<name>` and `head.<name>`,
 * as head.safetensors stores them): the `pooler.` half without its prefix, the head's half left out.
 * A plain pooler state dict is returned as it is.
 */
export function poolerParameters<T>(tensors: Map<string, T>, source: string): Map<string, T> {
  const names = [...tensors.keys()];
  if (!names.some((n) => n.startsWith("pooler.") || n.startsWith("head."))) return tensors;
  return splitStateDict(tensors, source).pooler;
}

/** Reads and checks the text of pooling.json; every error names `source` and the field. */
export function parseHeadConfig(text: string, source: string): HeadConfig {
  const raw = parseJson(text, source, TrainingError) as Record<string, unknown>;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new TrainingError(`${source}: expected a JSON object`);
  const head = (raw["head"] ?? {}) as Record<string, unknown>;
  const labels = (raw["labels"] ?? {}) as Record<string, unknown>;
  const encoder = (raw["encoder"] ?? {}) as Record<string, unknown>;
  const task = field<Task>(TASKS.includes(raw["task"] as Task), raw["task"], source, "task", TASKS.join(" | "));
  const config: HeadConfig = {
    format: field(raw["format"] === HEAD_FORMAT, raw["format"], source, "format", `"${HEAD_FORMAT}"`),
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
    ...(raw["files"] === undefined ? {} : { files: field(isManifest(raw["files"]), raw["files"], source, "files", "{ file: { bytes, crc32 } }") }),
  };
  checkHeadConfig(config, source);
  return config;
}

function isManifest(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  return Object.entries(v).every(([name, s]) => {
    const { bytes, crc32: sum } = (s ?? {}) as Record<string, unknown>;
    return (name === "head.safetensors" || name === "training.json") && Number.isSafeInteger(bytes) && typeof sum === "string" && /^[0-9a-f]{8}$/.test(sum);
  });
}

/**
 * What the fields must say together, checked before head.safetensors is read: the classes match the
 * head's outputs (a shorter list made `predict` write rows with no label), and the pooling spec is
 * valid for the encoder, within POOLING_LIMITS (a 60-byte pooling.json asked for 6.4 GB).
 */
function checkHeadConfig(config: HeadConfig, source: string): void {
  const { labels, task } = config;
  const expected = task === "regression" ? 0 : labels.numOutputs;
  if (labels.classes.length !== expected) {
    const what = task === "regression" ? "no classes (regression)" : `one class per output (labels.numOutputs = ${labels.numOutputs})`;
    throw new TrainingError(`${source}: labels.classes lists ${labels.classes.length} names, expected ${what}`);
  }
  const limits = [["encoder.numLayers", config.encoder.numLayers, CONFIG_LIMITS.num_hidden_layers], ["encoder.hiddenSize", config.encoder.hiddenSize, CONFIG_LIMITS.hidden_size]] as const;
  for (const [name, value, max] of limits) {
    if (value > max) throw new TrainingError(`${source}: ${name} is ${value}, above the limit of ${max}`, { code: "EP_LIMIT" });
  }
  try {
    parsePoolingSpec(config.pooling, config.encoder);
  } catch (err) {
    if (!(err instanceof PoolingError)) throw err;
    throw new TrainingError(`${source}: ${err.message}`, { code: err.code });
  }
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

/** A loaded head folder: its config, the pooler and head with their trained weights, the label encoder. */
export interface LoadedHead {
  config: HeadConfig;
  pooler: Pooler<PoolingSpec>;
  head: Head;
  labels: LabelEncoder;
}

/**
 * Builds the pooler and head of a head folder for an encoder of `dims`, refusing a model of another
 * shape and any tensor that does not belong (names and shapes are checked by createPooler/createHead).
 * `where.dir` names the folder in errors, `where.model` the encoder it is used with; `where.backend`, when
 * given (the encoder's), is where the pooler's and head's kernels run.
 */
export function loadHeadFiles(folder: HeadFolder, dims: PoolingDims, where: { dir: string; model: string; backend?: Backend }): LoadedHead {
  const { dir } = where;
  const config = parseHeadConfig(folder["pooling.json"], `${dir}/pooling.json`);
  checkEncoderDims(config.encoder, dims, `${dir} (with the model ${where.model})`);
  checkHeadFiles(config, folder, dir);
  const source = `${dir}/head.safetensors`;
  const { pooler: poolerParams, head: headParams } = splitStateDict(parseStateDict(folder["head.safetensors"], source), source);
  const on = where.backend === undefined ? {} : { backend: where.backend };
  const pooler = createPooler(config.pooling, dims, { parameters: poolerParams, ...on });
  if (pooler.outputSize !== config.head.inputSize) {
    throw new TrainingError(`${dir}/pooling.json: head.inputSize is ${config.head.inputSize} but the pooling gives vectors of ${pooler.outputSize}`);
  }
  const head = createHead(config.head.kind, config.head.inputSize, config.head.outputSize, { parameters: headParams, dropout: config.head.dropout, ...on });
  if (config.labels.numOutputs !== config.head.outputSize) {
    throw new TrainingError(`${dir}/pooling.json: labels.numOutputs ${config.labels.numOutputs} differs from head.outputSize ${config.head.outputSize}`);
  }
  return { config, pooler, head, labels: LabelEncoder.fromJSON(config.labels) };
}
