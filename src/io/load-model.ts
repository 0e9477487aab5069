// Node-only: read a Hugging Face model folder (config.json, model.safetensors, tokenizer files) and
// hand the bytes to the core loader.
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, EncoderPoolingError, TokenizerError } from "../errors.js";
import { loadModelFromBuffers, type EncoderModel, type LoadOptions } from "../pipeline/model.js";
import { openFileSource } from "./file-source.js";
import { readText } from "./files.js";

/** The folder of this package (where package.json and weights/ are), found from this file's location. */
export function packageRoot(): string {
  let dir = fileURLToPath(new URL(".", import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "weights"))) return dir;
    const parent = resolve(dir, "..");
    if (parent === dir) throw new EncoderPoolingError("cannot find the encoder-pooling package folder");
    dir = parent;
  }
}

/** The shipped default model: a tiny RoBERTa in weights/default (random weights; see its README). */
export function defaultModelDir(): string {
  return join(packageRoot(), "weights", "default");
}

/**
 * Loads a Hugging Face model folder: config.json, model.safetensors and tokenizer.json or
 * vocab.json + merges.txt. Without `dir`, the shipped default model. Options choose the backend,
 * its threads and the precision the weights are kept in (see LoadOptions).
 * @example
 * const model = await loadModel("./roberta-base", { backend: "auto", dtype: "f16" });
 * const { vectors } = await model.embed(["Hello world"], { pooling: "mean" });
 */
export async function loadModel(dir: string = defaultModelDir(), options: LoadOptions = {}): Promise<EncoderModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EncoderPoolingError(`model folder not found: ${dir}`);
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new ConfigError(`${configPath}: missing (a model folder needs config.json)`);
  const tokenizerJsonPath = join(dir, "tokenizer.json");
  const vocabPath = join(dir, "vocab.json");
  const mergesPath = join(dir, "merges.txt");
  const hasTokenizerJson = existsSync(tokenizerJsonPath);
  if (!hasTokenizerJson && !(existsSync(vocabPath) && existsSync(mergesPath))) {
    throw new TokenizerError(`${dir}: no tokenizer files: expected tokenizer.json, or vocab.json and merges.txt`);
  }
  // model.safetensors is read by range, header first, each tensor straight into the backend's memory
  const weights = openFileSource(join(dir, "model.safetensors"), "weights");
  try {
    return await loadModelFromBuffers(
      {
        source: dir,
        config: await readText(configPath, "config"),
        weights,
        ...(hasTokenizerJson
          ? { tokenizerJson: await readText(tokenizerJsonPath, "tokenizer") }
          : { vocab: await readText(vocabPath, "tokenizer"), merges: await readText(mergesPath, "tokenizer") }),
      },
      options,
    );
  } finally {
    weights.close();
  }
}
