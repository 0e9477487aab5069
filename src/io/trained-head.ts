// Node-only: a trained head from its folder and back. `loadHead(dir)` opens a folder written by `train`,
// or a folder of heads written by `compare --save-heads` (its best head, as heads.json names it);
// `saveHead(dir, head)` writes one; `writeHeadCollection` writes what compareHeadFolders made.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { TrainingError, UsageError } from "../errors.js";
import type { EncoderModel, LoadOptions } from "../pipeline/model.js";
import { bestHeadOf, HEADS_INDEX, type HeadsIndex } from "../train/compare-heads.js";
import { HEAD_FILES, parseHeadConfig, type HeadFolder } from "../train/head-folder.js";
import { TrainedHead } from "../train/trained-head.js";
import { readText, writeFileAtomic } from "./files.js";
import { openHeadFolder, readHeadFolder, writeHeadFolder } from "./head-folder.js";

/** The encoder, and how a model folder is loaded (backend, threads, dtype, quantize; unused for a loaded model). */
export interface LoadHeadOptions extends LoadOptions {
  /** The encoder: a loaded model, or a model folder (default: the model recorded in pooling.json). */
  model?: EncoderModel | string;
  /** How a model folder is loaded (backend, threads, allowNonFinite, onWarning, …); unused with a loaded model. */
  load?: LoadOptions;
}

/**
 * The folder holding the head to use: `dir` itself, or the best head of a folder of heads written by
 * `compare --save-heads` (heads.json names it). `onNote` hears which one was picked.
 */
export async function resolveHeadDir(dir: string, onNote?: (message: string) => void): Promise<string> {
  if (existsSync(join(dir, "pooling.json")) || !existsSync(join(dir, HEADS_INDEX))) return dir;
  const best = bestHeadOf(await readText(join(dir, HEADS_INDEX), "heads index"), join(dir, HEADS_INDEX));
  onNote?.(`${dir} holds the heads of a comparison; using the best on validation, ${best}`);
  return join(dir, best);
}

/**
 * Loads a trained head with its encoder, ready to predict and embed.
 * @example
 * const head = await loadHead("heads/spam");
 * const [p] = await head.predict("Win a prize now!");            // { label: "spam", probabilities: {…} }
 * const { vectors } = await head.model.embed(["a mail"], { head }); // its trained pooler's vectors
 */
export async function loadHead(dir: string, options: LoadHeadOptions & { onNote?: (message: string) => void } = {}): Promise<TrainedHead> {
  const { model, onNote, load: loadOption, ...load } = options;
  const folder = await resolveHeadDir(resolve(dir), onNote);
  if (model === undefined || typeof model === "string") {
    return openHeadFolder(folder, model === undefined ? undefined : resolve(model), { ...load, ...loadOption });
  }
  return TrainedHead.fromFiles(await readHeadFolder(folder), model, folder, "the given model");
}

/**
 * Writes a head's folder (pooling.json, head.safetensors, training.json), each file atomically; an
 * existing head folder is refused unless `force`.
 * @example await saveHead("heads/spam-copy", await loadHead("heads/spam"));
 */
export async function saveHead(dir: string, head: TrainedHead | Required<HeadFolder>, options: { force?: boolean } = {}): Promise<void> {
  const files = head instanceof TrainedHead ? head.toFiles() : head;
  parseHeadConfig(files["pooling.json"], join(dir, "pooling.json"));
  await writeHeadFolder(dir, files, options.force === true);
}

/** Refuses to go on when `dir` already holds heads.json or a head file and `force` is false. */
export function assertHeadCollectionWritable(dir: string, force: boolean): void {
  const present = [HEADS_INDEX, ...HEAD_FILES].filter((f) => existsSync(join(dir, f)));
  if (!force && present.length > 0) throw new UsageError(`${dir} already holds ${present.join(", ")}; pass --force to overwrite`);
}

/** Writes every head folder, then heads.json (last: a folder with heads.json is complete). */
export async function writeHeadCollection(dir: string, collection: { folders: Map<string, Required<HeadFolder>>; index: HeadsIndex }, force: boolean): Promise<void> {
  assertHeadCollectionWritable(dir, force);
  if (!collection.folders.has(collection.index.best)) throw new TrainingError(`heads index names ${collection.index.best}, which is not among the heads`);
  await mkdir(dir, { recursive: true });
  for (const [name, files] of collection.folders) await writeHeadFolder(join(dir, name), files, force);
  await writeFileAtomic(join(dir, HEADS_INDEX), `${JSON.stringify(collection.index, null, 2)}\n`, true);
}
