// Hugging Face tensor names -> the RoBERTa parameters, with every tensor accounted for.
// Legend: V vocab, P max positions, H hidden, I intermediate, L layers.
// Accepted: keys with or without the "roberta." prefix (RobertaModel vs RobertaForMaskedLM checkpoints);
// F32, F16, BF16 or F64 data (widened/rounded to Float32). Ignored, and listed at debug level: the heads of
// other tasks (lm_head.*, classifier.*) and the embeddings.position_ids buffer. Anything else unexpected,
// a missing tensor or a wrong shape is a WeightsError naming the key and both shapes.
import { WeightsError } from "../errors.js";
import { firstNonFinite, sameShape, shapeToString, type Tensor } from "../tensor/tensor.js";
import type { RobertaConfig } from "./config.js";
import { toFloat32Array, type SafeTensor } from "./safetensors.js";

/** y = x·Wᵀ + b; weight [out,in] as PyTorch stores it, bias [out]. */
export interface LinearWeights {
  weight: Tensor;
  bias: Tensor;
}

/** LayerNorm scale and shift, both [H]. */
export interface LayerNormWeights {
  weight: Tensor;
  bias: Tensor;
}

/** One post-LN transformer layer: `encoder.layer.${i}.*`. */
export interface RobertaLayerWeights {
  query: LinearWeights; // attention.self.query [H,H]
  key: LinearWeights; // attention.self.key [H,H]
  value: LinearWeights; // attention.self.value [H,H]
  attentionOutput: LinearWeights; // attention.output.dense [H,H]
  attentionLayerNorm: LayerNormWeights; // attention.output.LayerNorm [H]
  intermediate: LinearWeights; // intermediate.dense [I,H]
  output: LinearWeights; // output.dense [H,I]
  outputLayerNorm: LayerNormWeights; // output.LayerNorm [H]
}

export interface RobertaWeights {
  wordEmbeddings: Tensor; // embeddings.word_embeddings.weight [V,H]
  positionEmbeddings: Tensor; // embeddings.position_embeddings.weight [P,H]
  tokenTypeEmbeddings: Tensor; // embeddings.token_type_embeddings.weight [type_vocab_size,H]
  embeddingsLayerNorm: LayerNormWeights; // embeddings.LayerNorm [H]
  layers: RobertaLayerWeights[]; // L of them
  pooler: LinearWeights | null; // pooler.dense [H,H], only when the checkpoint has it
}

const PREFIX = "roberta.";
const IGNORED_HEADS = ["lm_head.", "classifier."];
const IGNORED_BUFFERS = ["embeddings.position_ids"];

/** Every parameter name of a RobertaModel with its shape, in Hugging Face's order. */
export function robertaWeightShapes(config: RobertaConfig, pooler: boolean): Map<string, number[]> {
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  const shapes = new Map<string, number[]>();
  const linear = (name: string, out: number, inFeatures: number): void => {
    shapes.set(`${name}.weight`, [out, inFeatures]);
    shapes.set(`${name}.bias`, [out]);
  };
  const layerNorm = (name: string): void => {
    shapes.set(`${name}.weight`, [H]);
    shapes.set(`${name}.bias`, [H]);
  };
  shapes.set("embeddings.word_embeddings.weight", [config.vocabSize, H]);
  shapes.set("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, H]);
  shapes.set("embeddings.token_type_embeddings.weight", [config.typeVocabSize, H]);
  layerNorm("embeddings.LayerNorm");
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, H);
    linear(`${p}.output.dense`, H, I);
    layerNorm(`${p}.output.LayerNorm`);
  }
  if (pooler) linear("pooler.dense", H, H);
  return shapes;
}

/**
 * Checks `tensors` (HF names without prefix, Float32) against the config and arranges them as RobertaWeights.
 * The pooler is expected exactly when a `pooler.*` tensor is present. Unexpected names are an error.
 */
export function robertaWeightsFromMap(config: RobertaConfig, tensors: Map<string, Tensor>, source: string): RobertaWeights {
  const hasPooler = [...tensors.keys()].some((k) => k.startsWith("pooler."));
  const shapes = robertaWeightShapes(config, hasPooler);
  const unexpected = [...tensors.keys()].filter((k) => !shapes.has(k));
  if (unexpected.length > 0) {
    throw new WeightsError(`${source}: unexpected tensors (not part of a RobertaModel): ${unexpected.join(", ")}`);
  }
  const missing = [...shapes.entries()].filter(([k]) => !tensors.has(k)).map(([k, s]) => `${k} ${shapeToString(s)}`);
  if (missing.length > 0) throw new WeightsError(`${source}: missing tensors: ${missing.join(", ")}`);
  for (const [name, shape] of shapes) {
    const t = tensors.get(name)!;
    if (!sameShape(t.shape, shape)) {
      throw new WeightsError(`${source}: ${name}: expected ${shapeToString(shape)}, got ${shapeToString(t.shape)}`);
    }
  }

  const get = (name: string): Tensor => tensors.get(name)!;
  const linear = (name: string): LinearWeights => ({ weight: get(`${name}.weight`), bias: get(`${name}.bias`) });
  const layers: RobertaLayerWeights[] = [];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    layers.push({
      query: linear(`${p}.attention.self.query`),
      key: linear(`${p}.attention.self.key`),
      value: linear(`${p}.attention.self.value`),
      attentionOutput: linear(`${p}.attention.output.dense`),
      attentionLayerNorm: linear(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`),
      output: linear(`${p}.output.dense`),
      outputLayerNorm: linear(`${p}.output.LayerNorm`),
    });
  }
  return {
    wordEmbeddings: get("embeddings.word_embeddings.weight"),
    positionEmbeddings: get("embeddings.position_embeddings.weight"),
    tokenTypeEmbeddings: get("embeddings.token_type_embeddings.weight"),
    embeddingsLayerNorm: linear("embeddings.LayerNorm"),
    layers,
    pooler: hasPooler ? linear("pooler.dense") : null,
  };
}

/**
 * Loads the tensors of a parsed model.safetensors: strips the "roberta." prefix, drops other heads' tensors
 * (reported through `log`), widens to Float32, then checks and arranges them (robertaWeightsFromMap).
 */
export function loadRobertaWeights(
  config: RobertaConfig,
  stored: Map<string, SafeTensor>,
  source: string,
  log: (msg: string) => void = () => {},
  allowNonFinite = false,
): RobertaWeights {
  const tensors = new Map<string, Tensor>();
  const ignored: string[] = [];
  for (const [key, t] of stored) {
    const name = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
    if (IGNORED_HEADS.some((h) => name.startsWith(h)) || IGNORED_BUFFERS.includes(name)) {
      ignored.push(key);
      continue;
    }
    if (tensors.has(name)) throw new WeightsError(`${source}: ${name} appears both with and without the "${PREFIX}" prefix`);
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new WeightsError(`${source}: ${key}: expected floating-point weights (F32, F16, BF16), got ${t.dtype}`);
    }
    const data = toFloat32Array(t, source, key);
    const bad = allowNonFinite ? -1 : firstNonFinite(data);
    if (bad >= 0) {
      throw new WeightsError(
        `${source}: ${key}: element ${bad} is ${data[bad]}: not finite (a broken checkpoint?); allowNonFinite, or --allow-nonfinite, loads it anyway`,
        { code: "EP_NONFINITE" },
      );
    }
    tensors.set(name, { data, shape: t.shape });
  }
  if (ignored.length > 0) log(`${source}: ignoring ${ignored.length} tensors not used by the encoder: ${ignored.join(", ")}`);
  return robertaWeightsFromMap(config, tensors, source);
}
