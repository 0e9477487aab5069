// Node-only: a trained head's folder on disk (the format is src/train/head-folder.ts). The files are
// written as a unit (temporary files first, then renamed, pooling.json last).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TrainingError, UsageError } from "../errors.js";
import type { LoadOptions } from "../pipeline/model.js";
import { HEAD_FILES, parseHeadConfig, type HeadFolder } from "../train/head-folder.js";
import { TrainedHead } from "../train/trained-head.js";
import { readBytes, readText, writeFilesAtomic } from "./files.js";
import { defaultModelDir, loadModel } from "./load-model.js";

/** Refuses to go on when `dir` already holds a head file and `force` is false. Call before training. */
export function assertHeadFolderWritable(dir: string, force: boolean): void {
  const present = HEAD_FILES.filter((f) => existsSync(join(dir, f)));
  if (!force && present.length > 0) {
    throw new UsageError(`${dir} already holds ${present.join(", ")}; pass --force to overwrite`);
  }
}

/**
 * Writes the files of a head folder (creating it) as a unit: all three to temporary files, then renamed
 * into place, pooling.json last. A failure while writing (a full disk) leaves the old head as it was;
 * the manifest in pooling.json makes the loader refuse any folder whose files were not written together.
 * `encoderFiles` (a fine-tuned encoder: config.json, model.safetensors, tokenizer files) go in the same unit.
 */
export async function writeHeadFolder(
  dir: string, folder: Required<HeadFolder>, force: boolean, encoderFiles: readonly [string, Uint8Array | string][] = [],
): Promise<void> {
  assertHeadFolderWritable(dir, force);
  await mkdir(dir, { recursive: true });
  const names = ["head.safetensors", "training.json", "pooling.json"] as const;
  const files = [...encoderFiles, ...names.map((name) => [name, folder[name]] as const)];
  await writeFilesAtomic(files.map(([name, data]) => [join(dir, name), data] as [string, Uint8Array | string]), true);
}

async function readConfig(dir: string): Promise<string> {
  const path = join(dir, "pooling.json");
  if (!existsSync(path)) throw new TrainingError(`${dir}: not a head folder (no pooling.json; train one with \`encoder-pooling train\`)`);
  return readText(path, "head");
}

/** Reads pooling.json and head.safetensors of a head folder (training.json when present). */
export async function readHeadFolder(dir: string): Promise<HeadFolder> {
  const training = join(dir, "training.json");
  return {
    "pooling.json": await readConfig(dir),
    "head.safetensors": await readBytes(join(dir, "head.safetensors"), "params"),
    ...(existsSync(training) ? { "training.json": await readText(training, "head") } : {}),
  };
}

/**
 * Opens a head folder with its encoder: `modelDir` when given, else the model recorded in
 * pooling.json ("default" = the shipped model), loaded with `options` (backend, threads, dtype, …); the
 * pooler and head run on the model's backend. A model of another shape is refused.
 * @example const head = await openHeadFolder("heads/spam", undefined, { backend: "wasm" });
 */
export async function openHeadFolder(dir: string, modelDir?: string, options: LoadOptions = {}): Promise<TrainedHead> {
  const configText = await readConfig(dir);
  const config = parseHeadConfig(configText, join(dir, "pooling.json"));
  // "." = this folder holds the (fine-tuned) encoder itself
  const modelFolder = modelDir ?? (config.model === "default" ? defaultModelDir() : config.model === "." ? dir : config.model);
  const model = await loadModel(modelFolder, options);
  const files = await readHeadFolder(dir);
  return TrainedHead.fromFiles(files, model, dir, modelFolder);
}
