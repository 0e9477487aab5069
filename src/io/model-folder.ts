// Node-only: the settings files of a model folder on disk (modules.json and the module configs it
// names, sentence_bert_config.json, tokenizer_config.json, special_tokens_map.json; the format is
// src/pipeline/folder-settings.ts), and a folder's tokenizer alone, for a folder without a model.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { EncoderPoolingError, TokenizerError } from "../errors.js";
import { maxSequenceLength, parseRobertaConfig } from "../encoder/config.js";
import { folderFilesToRead, parseFolderSettings, transformerPath, type FolderFiles } from "../pipeline/folder-settings.js";
import { loadTokenizer } from "../pipeline/model.js";
import { ModelTokenizer } from "../pipeline/model-tokenizer.js";
import { readText } from "./files.js";

/** A model folder's settings files that exist, by relative path, and where its model files are. */
export async function readFolderFiles(dir: string): Promise<{ files: FolderFiles; modelDir: string }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EncoderPoolingError(`model folder not found: ${dir}`);
  const files: FolderFiles = {};
  const modules = join(dir, "modules.json");
  if (existsSync(modules)) files["modules.json"] = await readText(modules, "modules");
  for (const path of folderFilesToRead(files["modules.json"], modules)) {
    const full = join(dir, path);
    if (existsSync(full)) files[path] = await readText(full, "model folder");
  }
  return { files, modelDir: join(dir, transformerPath(files["modules.json"], modules)) };
}

/** The tokenizer files of a model folder: tokenizer.json, or vocab.json + merges.txt. */
export async function readTokenizerFiles(modelDir: string, dir = modelDir): Promise<{ tokenizerJson: string } | { vocab: string; merges: string }> {
  const tokenizerJsonPath = join(modelDir, "tokenizer.json");
  const vocabPath = join(modelDir, "vocab.json");
  const mergesPath = join(modelDir, "merges.txt");
  if (existsSync(tokenizerJsonPath)) return { tokenizerJson: await readText(tokenizerJsonPath, "tokenizer") };
  if (existsSync(vocabPath) && existsSync(mergesPath)) return { vocab: await readText(vocabPath, "tokenizer"), merges: await readText(mergesPath, "tokenizer") };
  throw new TokenizerError(`${dir}: no tokenizer files: expected tokenizer.json, or vocab.json and merges.txt`);
}

/**
 * The tokenizer of a folder with the folder's settings, for tokenizing without a model: config.json is
 * optional (it only sets the token limit, with model_max_length of tokenizer_config.json).
 * Warnings about the folder's files go to `onWarning`.
 * @example const tok = await loadTokenizerFolder("./roberta-base"); tok.tokenize(["Hello world"])
 */
export async function loadTokenizerFolder(dir: string, options: { onWarning?: (message: string) => void } = {}): Promise<ModelTokenizer> {
  const { files, modelDir } = await readFolderFiles(dir);
  const configPath = join(modelDir, "config.json");
  const config = existsSync(configPath) ? parseRobertaConfig(await readText(configPath, "config"), configPath) : null;
  const folder = parseFolderSettings(files, dir, config?.hiddenSize);
  for (const warning of folder.warnings) options.onWarning?.(warning);
  const tokenizer = loadTokenizer(await readTokenizerFiles(modelDir, dir), modelDir, folder);
  return new ModelTokenizer(tokenizer, folder, config === null ? null : maxSequenceLength(config));
}
