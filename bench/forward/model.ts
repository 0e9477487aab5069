// The benchmark's model: roberta-base-shaped random weights (H 768, 12 layers, 12 heads, I 3072, V 50265,
// 514 positions, no pooler: 124.6 M parameters, 498 MB of F32 safetensors) written once, in Hugging Face
// layout, to bench/.cache/roberta-base-random/ (ignored by git) and reused by every system and every run:
//   config.json, model.safetensors   seeded random weights (HF's init: N(0, 0.02²), LayerNorm 1 / 0)
//   vocab.json, merges.txt           the shipped weights/default tokenizer (4,096 tokens). The benchmark
//                                    feeds token ids, never text, so the tokenizer only has to load; its
//                                    ids are a subset of the 50,265 rows of the embedding table.
//   onnx/model.onnx                  the same weights as an ONNX graph for onnxruntime-node (peers/)
// Files are regenerated only when missing (or when config.json differs from the one written here).
// config.json is written last, so an interrupted generation is redone on the next run.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseRobertaConfig, robertaConfigToJson, type RobertaConfig } from "../../src/encoder/config.js";
import { initRobertaWeights } from "../../src/encoder/init.js";
import { parseSafetensors, serializeSafetensors, toFloat32Array, type SafeTensor } from "../../src/encoder/safetensors.js";
import { defaultModelDir, packageRoot } from "../../src/io/load-model.js";
import { writeFileAtomic } from "../../src/io/files.js";
import { Rng } from "../../src/tensor/random.js";
import { modelMessage, writeMessage } from "../peers/onnx.js";
import { robertaOnnxGraph } from "../peers/roberta-onnx.js";

const SEED = 2024;

/** roberta-base's shape (config.json of the real checkpoint, minus the fields we do not use). */
export function robertaBaseConfig(): RobertaConfig {
  return parseRobertaConfig(
    {
      model_type: "roberta",
      hidden_size: 768,
      num_hidden_layers: 12,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: "gelu",
      layer_norm_eps: 1e-5,
      max_position_embeddings: 514,
      type_vocab_size: 1,
      pad_token_id: 1,
      vocab_size: 50265,
    },
    "roberta-base config",
  );
}

/** bench/.cache/roberta-base-random in the source tree (also when running from dist/). */
export function benchModelDir(): string {
  return join(packageRoot(), "bench", ".cache", "roberta-base-random");
}

export function onnxModelPath(dir: string): string {
  return join(dir, "onnx", "model.onnx");
}

function configText(config: RobertaConfig): string {
  const json = { ...robertaConfigToJson(config), bos_token_id: 0, eos_token_id: 2, initializer_range: 0.02 };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** True when the model folder holds every file, and config.json is the one this benchmark writes. */
function modelIsComplete(dir: string, config: RobertaConfig): boolean {
  const files = ["model.safetensors", "vocab.json", "merges.txt", "config.json"];
  if (!files.every((f) => existsSync(join(dir, f)))) return false;
  return readFileSync(join(dir, "config.json"), "utf8") === configText(config);
}

/** Writes the random roberta-base folder unless it is there already; returns its path. */
export async function ensureBenchModel(log: (line: string) => void): Promise<string> {
  const dir = benchModelDir();
  const config = robertaBaseConfig();
  if (modelIsComplete(dir, config)) return dir;
  mkdirSync(dir, { recursive: true });
  log(`writing random roberta-base weights to ${dir} (once; later runs reuse them)`);
  const started = performance.now();
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of initRobertaWeights(config, new Rng(SEED), { pooler: false })) {
    tensors.set(name, { dtype: "F32", shape: t.shape, data: t.data });
  }
  await writeFileAtomic(join(dir, "model.safetensors"), serializeSafetensors(tensors, { format: "pt" }), true);
  for (const file of ["vocab.json", "merges.txt"]) copyFileSync(join(defaultModelDir(), file), join(dir, file));
  await writeFileAtomic(join(dir, "config.json"), configText(config), true);
  log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

/** Bytes of the tensors in model.safetensors (the file less its header): the "× weights" unit. */
export function weightBytes(dir: string): number {
  const path = join(dir, "model.safetensors");
  const first8 = Buffer.alloc(8);
  const fd = openSync(path, "r");
  try {
    readSync(fd, first8, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return statSync(path).size - 8 - Number(first8.readBigUInt64LE(0));
}

/** Writes onnx/model.onnx from model.safetensors unless it exists and is newer than the weights. */
export function ensureOnnxModel(dir: string, log: (line: string) => void): string {
  const path = onnxModelPath(dir);
  const weightsPath = join(dir, "model.safetensors");
  if (existsSync(path) && statSync(path).mtimeMs >= statSync(weightsPath).mtimeMs) return path;
  log(`writing the ONNX graph of the same weights to ${path}`);
  const started = performance.now();
  const config = parseRobertaConfig(readFileSync(join(dir, "config.json"), "utf8"), join(dir, "config.json"));
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(weightsPath)), weightsPath);
  const tensor = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`${weightsPath}: tensor "${name}" is missing`);
    return toFloat32Array(t, weightsPath, name);
  };
  mkdirSync(join(dir, "onnx"), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeMessage(tmp, modelMessage(robertaOnnxGraph(config, tensor), "encoder-pooling bench/peers"));
  renameSync(tmp, path);
  log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}
