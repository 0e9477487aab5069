// Hugging Face tensor names -> the RoBERTa parameters in a backend's memory, with every tensor accounted for.
// Legend: V vocab, P max positions, H hidden, I intermediate, L layers.
// Accepted: keys with or without the "roberta." prefix (RobertaModel vs RobertaForMaskedLM checkpoints);
// F32, F16, BF16 or F64 data. Ignored, and listed at debug level: the heads of other tasks (lm_head.*,
// classifier.*) and the embeddings.position_ids buffer. Anything else unexpected, a missing tensor or a
// wrong shape is a WeightsError naming the key and both shapes — all checked before anything is loaded.
// Loading: each tensor goes once from its source into backend memory, converted there to the chosen
// dtype; the three attention projections are fused into one qkv weight [3H,H] (one product instead of
// three); embedding tables go in chunks of rows, so no whole-table copy is ever staged on the host.
import { WeightsError } from "../errors.js";
import type { Backend, DeviceArray, DeviceTable, DeviceWeight, HostValues, TableDtype, WeightDtype } from "../tensor/backend.js";
import { writeFloat32, writeHalf } from "../tensor/ops/half.js";
import { sameShape, shapeToString } from "../tensor/tensor.js";
import type { RobertaConfig } from "./config.js";

/** y = x·Wᵀ + b in backend memory; weight [out,in] as PyTorch stores it, bias [out]. */
export interface DeviceLinear {
  weight: DeviceWeight;
  bias: DeviceArray;
}

/** LayerNorm scale and shift, both [H]. */
export interface DeviceLayerNorm {
  weight: DeviceArray;
  bias: DeviceArray;
}

/** One post-LN transformer layer: `encoder.layer.${i}.*`. */
export interface RobertaLayerWeights {
  qkv: DeviceLinear; // attention.self.query | key | value fused: [3H,H], bias [3H]
  attentionOutput: DeviceLinear; // attention.output.dense [H,H]
  attentionLayerNorm: DeviceLayerNorm; // attention.output.LayerNorm [H]
  intermediate: DeviceLinear; // intermediate.dense [I,H]
  output: DeviceLinear; // output.dense [H,I]
  outputLayerNorm: DeviceLayerNorm; // output.LayerNorm [H]
}

export interface RobertaWeights {
  wordEmbeddings: DeviceTable; // embeddings.word_embeddings.weight [V,H]
  positionEmbeddings: DeviceTable; // embeddings.position_embeddings.weight [P,H]
  tokenTypeEmbeddings: DeviceTable; // embeddings.token_type_embeddings.weight [type_vocab_size,H]
  embeddingsLayerNorm: DeviceLayerNorm; // embeddings.LayerNorm [H]
  layers: RobertaLayerWeights[]; // L of them
  pooler: DeviceLinear | null; // pooler.dense [H,H], only when the checkpoint has it
}

/** How the weights are kept in backend memory: tables and linear weights in `dtype`, or linear weights int8. */
export interface WeightPrecision {
  dtype: TableDtype;
  quantize: "int8" | null;
}

/** A stored tensor as the checks see it. */
export interface StoredTensorInfo {
  dtype: string;
  shape: number[];
}

/**
 * Read access to the checked tensors by HF name (prefix stripped). `values` returns elements
 * [first, first + count) as Float32 or half-precision bits; the result may be a view of a scratch buffer
 * that the next call overwrites, so callers copy it (into backend memory) before asking again.
 */
export interface WeightSource {
  values(name: string, first: number, count: number): HostValues;
}

const PREFIX = "roberta.";
const IGNORED_HEADS = ["lm_head.", "classifier."];
const IGNORED_BUFFERS = ["embeddings.position_ids"];
const FLOAT_DTYPES = ["F32", "F16", "BF16", "F64"];
/**
 * Elements read from the source at a time (1 MB of Float32): a file's ranged reads go through a scratch
 * buffer of this size, so loading never holds more than one chunk of a tensor beside its final copy.
 */
const CHUNK_ELEMENTS = 1 << 18;

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
 * Checks stored tensors against the config before anything is loaded: strips the "roberta." prefix, drops
 * other heads' tensors (reported through `log`), refuses non-float dtypes, unexpected and missing tensors
 * and wrong shapes. Returns each HF name's stored key; the pooler is expected exactly when a `pooler.*`
 * tensor is present.
 */
export function resolveRobertaTensors(
  config: RobertaConfig,
  stored: Map<string, StoredTensorInfo>,
  source: string,
  log: (msg: string) => void = () => {},
): Map<string, string> {
  const keys = new Map<string, string>();
  const ignored: string[] = [];
  for (const [key, t] of stored) {
    const name = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
    if (IGNORED_HEADS.some((h) => name.startsWith(h)) || IGNORED_BUFFERS.includes(name)) {
      ignored.push(key);
      continue;
    }
    if (keys.has(name)) throw new WeightsError(`${source}: ${name} appears both with and without the "${PREFIX}" prefix`);
    if (!FLOAT_DTYPES.includes(t.dtype)) {
      throw new WeightsError(`${source}: ${key}: expected floating-point weights (F32, F16, BF16), got ${t.dtype}`);
    }
    keys.set(name, key);
  }
  if (ignored.length > 0) log(`${source}: ignoring ${ignored.length} tensors not used by the encoder: ${ignored.join(", ")}`);

  const hasPooler = [...keys.keys()].some((k) => k.startsWith("pooler."));
  const shapes = robertaWeightShapes(config, hasPooler);
  const unexpected = [...keys.keys()].filter((k) => !shapes.has(k));
  if (unexpected.length > 0) {
    throw new WeightsError(`${source}: unexpected tensors (not part of a RobertaModel): ${unexpected.join(", ")}`);
  }
  const missing = [...shapes.entries()].filter(([k]) => !keys.has(k)).map(([k, s]) => `${k} ${shapeToString(s)}`);
  if (missing.length > 0) throw new WeightsError(`${source}: missing tensors: ${missing.join(", ")}`);
  for (const [name, shape] of shapes) {
    const t = stored.get(keys.get(name)!)!;
    if (!sameShape(t.shape, shape)) {
      throw new WeightsError(`${source}: ${name}: expected ${shapeToString(shape)}, got ${shapeToString(t.shape)}`);
    }
  }
  return keys;
}

/**
 * Loads the checked tensors (resolveRobertaTensors) into `backend`: tables and linear weights in the
 * chosen precision, biases and LayerNorm parameters in Float32, query/key/value fused into one weight.
 */
export function loadRobertaWeights(
  backend: Backend,
  config: RobertaConfig,
  source: WeightSource,
  precision: WeightPrecision,
  hasPooler: boolean,
): RobertaWeights {
  const weightDtype: WeightDtype = precision.quantize ?? precision.dtype;
  const shapes = robertaWeightShapes(config, hasPooler);
  const size = (name: string): number => shapes.get(name)!.reduce((a, b) => a * b, 1);
  const all = (name: string): HostValues => source.values(name, 0, size(name));
  // every value is copied out before the next read, which may reuse the source's scratch
  const vector = (names: string[]): DeviceArray => {
    const out = new Float32Array(names.reduce((n, name) => n + size(name), 0));
    let at = 0;
    for (const name of names) {
      writeFloat32(out.subarray(at, at + size(name)), all(name));
      at += size(name);
    }
    return backend.upload(out);
  };
  // a linear weight (or query | key | value side by side) goes through one host buffer, reused by every
  // layer, in the form the backend keeps it (bits of the half format for f16/bf16, Float32 otherwise),
  // sized for the largest: qkv [3H,H] or intermediate [I,H]
  const half = weightDtype === "f16" || weightDtype === "bf16" ? weightDtype : null;
  const H = config.hiddenSize;
  const largest = Math.max(3 * H * H, config.intermediateSize * H);
  const staging = half === null ? new Float32Array(largest) : new Uint16Array(largest);
  const linear = (names: string[]): DeviceLinear => {
    let at = 0;
    for (const name of names.map((n) => `${n}.weight`)) {
      for (let first = 0; first < size(name); first += CHUNK_ELEMENTS) {
        const values = source.values(name, first, Math.min(CHUNK_ELEMENTS, size(name) - first));
        const part = staging.subarray(at + first, at + first + CHUNK_ELEMENTS);
        if (part instanceof Float32Array) writeFloat32(part, values);
        else writeHalf(part, values, half!);
      }
      at += size(name);
    }
    const values: HostValues = staging instanceof Float32Array ? staging.subarray(0, at) : { bits: staging.subarray(0, at), format: half! };
    const cols = shapes.get(`${names[0]!}.weight`)![1]!;
    return { weight: backend.weight(values, at / cols, cols, weightDtype), bias: vector(names.map((n) => `${n}.bias`)) };
  };
  const layerNorm = (name: string): DeviceLayerNorm => ({ weight: vector([`${name}.weight`]), bias: vector([`${name}.bias`]) });
  const table = (name: string): DeviceTable => {
    const [rows, cols] = shapes.get(name)!;
    const t = backend.table(rows!, cols!, precision.dtype);
    const chunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / cols!));
    for (let r = 0; r < rows!; r += chunk) {
      const count = Math.min(chunk, rows! - r);
      backend.writeTable(t, r, source.values(name, r * cols!, count * cols!));
    }
    return t;
  };

  const layers: RobertaLayerWeights[] = [];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    const self = `${p}.attention.self`;
    layers.push({
      qkv: linear([`${self}.query`, `${self}.key`, `${self}.value`]),
      attentionOutput: linear([`${p}.attention.output.dense`]),
      attentionLayerNorm: layerNorm(`${p}.attention.output.LayerNorm`),
      intermediate: linear([`${p}.intermediate.dense`]),
      output: linear([`${p}.output.dense`]),
      outputLayerNorm: layerNorm(`${p}.output.LayerNorm`),
    });
  }
  return {
    wordEmbeddings: table("embeddings.word_embeddings.weight"),
    positionEmbeddings: table("embeddings.position_embeddings.weight"),
    tokenTypeEmbeddings: table("embeddings.token_type_embeddings.weight"),
    embeddingsLayerNorm: layerNorm("embeddings.LayerNorm"),
    layers,
    pooler: hasPooler ? linear(["pooler.dense"]) : null,
  };
}

/** Releases every weight of a model from its backend. */
export function freeRobertaWeights(backend: Backend, w: RobertaWeights): void {
  const linear = (l: DeviceLinear): void => {
    backend.freeWeight(l.weight);
    backend.free(l.bias);
  };
  const layerNorm = (l: DeviceLayerNorm): void => {
    backend.free(l.weight);
    backend.free(l.bias);
  };
  for (const t of [w.wordEmbeddings, w.positionEmbeddings, w.tokenTypeEmbeddings]) backend.freeWeight(t);
  layerNorm(w.embeddingsLayerNorm);
  for (const l of w.layers) {
    linear(l.qkv);
    linear(l.attentionOutput);
    layerNorm(l.attentionLayerNorm);
    linear(l.intermediate);
    linear(l.output);
    layerNorm(l.outputLayerNorm);
  }
  if (w.pooler !== null) linear(w.pooler);
}
