// Node-only: read a Hugging Face model folder (config.json, model.safetensors, tokenizer files) and
// hand the bytes to the core loader.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, EncoderPoolingError } from "../errors.js";
import { loadModelFromBuffers, type EncoderModel, type LoadOptions } from "../pipeline/model.js";
import { openFileSource } from "./file-source.js";
import { readText } from "./files.js";
import { readFolderFiles, readTokenizerFiles } from "./model-folder.js";

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
 * vocab.json + merges.txt, with the folder's own settings (a sentence-transformers folder's pooling,
 * normalisation and token limit; tokenizer_config.json; see src/pipeline/folder-settings.ts). Without
 * `dir`, the shipped default model. Options choose the backend, its threads and the precision the
 * weights are kept in (see LoadOptions).
 * @example
 * const model = await loadModel("./roberta-base", { backend: "auto", dtype: "f16" });
 * const { vectors } = await model.embed(["Hello world"], { pooling: "mean" });
 */
export async function loadModel(dir: string = defaultModelDir(), options: LoadOptions = {}): Promise<EncoderModel> {
  const { files: folder, modelDir } = await readFolderFiles(dir);
  const configPath = join(modelDir, "config.json");
  if (!existsSync(configPath)) throw new ConfigError(`${configPath}: missing (a model folder needs config.json)`);
  const tokenizerFiles = await readTokenizerFiles(modelDir, dir);
  // model.safetensors is read by range, header first, each tensor straight into the backend's memory
  const weights = openFileSource(join(modelDir, "model.safetensors"), "weights");
  try {
    return await loadModelFromBuffers(
      {
        source: dir,
        config: await readText(configPath, "config"),
        weights,
        ...tokenizerFiles,
        folder,
      },
      options,
    );
  } finally {
    weights.close();
  }
}
