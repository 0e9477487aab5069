// The frozen-encoder cache: the encoder runs once per text, and only what the pooler reads is kept
// (its layers; all real tokens, or just the first one), so a training epoch costs only pooler + head.
// Rows are stored without padding and re-padded (on the right) per mini-batch. A cache round-trips
// through safetensors bytes for a cache file; the file I/O itself lives in src/io and src/cli.
// Legend: N examples, B batch, T tokens, H hidden, L layers.
import { parseSafetensors, serializeSafetensors, toFloat32Array, toInt32Array, type SafeTensor } from "../encoder/safetensors.js";
import { CONFIG_LIMITS } from "../encoder/config.js";
import { parseJson } from "../encoder/json.js";
import { describeValue, TrainingError } from "../errors.js";
import { allocate, type DType } from "../pooling/module.js";
import type { PoolerInput, PoolerReads, PoolingDims } from "../pooling/pooler.js";
import { shapeToString, type FloatArray, type Tensor } from "../tensor/tensor.js";

/** One text's cached hidden states: for each cached layer, its real tokens [length,H] in order. */
export interface CachedExample {
  /** Real tokens kept (1 when the pooler reads only the first token). */
  length: number;
  /** One per entry of `FeatureCache.layers`, each [length,H]. */
  states: Float32Array[];
}

/** What a pooler reads of the encoder output, for every example of a split. */
export interface FeatureCache {
  /** L and H of the encoder that made the cache. */
  dims: PoolingDims;
  /** Indices into hiddenStates (0 = embeddings) that are kept, ascending. */
  layers: number[];
  /** Whether only the first real token of each layer is kept. */
  firstTokenOnly: boolean;
  examples: CachedExample[];
}

/** An empty cache for what `reads` asks (use `pooler.reads`). */
export function createFeatureCache(reads: PoolerReads, dims: PoolingDims): FeatureCache {
  const layers = [...new Set(reads.layers)].sort((a, b) => a - b);
  for (const l of layers) {
    if (!Number.isInteger(l) || l < 0 || l > dims.numLayers) {
      throw new TrainingError(`createFeatureCache: layer ${l} outside hiddenStates 0..${dims.numLayers}`);
    }
  }
  return { dims: { ...dims }, layers, firstTokenOnly: reads.firstTokenOnly, examples: [] };
}

/**
 * Adds every row of one encoder batch to the cache, keeping only the cached layers and the real
 * tokens (mask 1) in order, so left- and right-padded batches give the same entries.
 * hiddenStates: L+1 × [B,T,H], attentionMask: [B,T].
 */
export function appendToCache(cache: FeatureCache, input: PoolerInput): void {
  const { numLayers: L, hiddenSize: H } = cache.dims;
  const first = input.hiddenStates[0];
  if (input.hiddenStates.length !== L + 1 || first === undefined) {
    throw new TrainingError(`appendToCache: expected ${L + 1} hidden states (L=${L}), got ${input.hiddenStates.length}`);
  }
  const [B, T] = first.shape as [number, number];
  for (const l of cache.layers) {
    const shape = input.hiddenStates[l]!.shape;
    if (shape.length !== 3 || shape[0] !== B || shape[1] !== T || shape[2] !== H) {
      throw new TrainingError(`appendToCache: hiddenStates[${l}] is ${shapeToString(shape)}, expected [${B},${T},${H}]`);
    }
  }
  if (input.attentionMask.length !== B * T) {
    throw new TrainingError(`appendToCache: attentionMask has ${input.attentionMask.length} values, expected [${B},${T}]`);
  }
  for (let b = 0; b < B; b++) {
    const positions: number[] = [];
    for (let t = 0; t < T; t++) if (input.attentionMask[b * T + t] === 1) positions.push(t);
    if (positions.length === 0) throw new TrainingError(`appendToCache: row ${b} of the batch has no real token`);
    const kept = cache.firstTokenOnly ? positions.slice(0, 1) : positions;
    const states = cache.layers.map((l) => {
      const src = input.hiddenStates[l]!.data;
      const dst = new Float32Array(kept.length * H);
      kept.forEach((t, i) => dst.set(src.subarray((b * T + t) * H, (b * T + t + 1) * H), i * H));
      return dst;
    });
    cache.examples.push({ length: kept.length, states });
  }
}

/**
 * Refuses a cache that lacks what a pooler reads (a layer, or all tokens when it keeps only the first),
 * which would otherwise feed the pooler zeros. One cache may serve several poolers: build it from the
 * union of their reads.
 */
export function checkCacheFits(cache: FeatureCache, reads: PoolerReads, what: string): void {
  const missing = reads.layers.filter((l) => !cache.layers.includes(l));
  if (missing.length > 0) {
    throw new TrainingError(`${what}: the feature cache holds layers [${cache.layers.join(",")}], the pooler also reads [${missing.join(",")}]`);
  }
  if (cache.firstTokenOnly && !reads.firstTokenOnly) {
    throw new TrainingError(`${what}: the feature cache holds only first tokens, the pooler reads every token`);
  }
}

/** A cache holding the examples at `indices` (shared, not copied). */
export function subsetCache(cache: FeatureCache, indices: readonly number[]): FeatureCache {
  return { ...cache, examples: indices.map((i) => cache.examples[i]!) };
}

/**
 * Rebuilds a right-padded pooler input of element type `dtype` from cached examples: cached layers
 * filled [B,Tmax,H]; the layers the pooler does not read share one zero tensor of the same shape.
 */
export function assembleBatch(cache: FeatureCache, indices: readonly number[], dtype: DType): PoolerInput {
  const { numLayers: L, hiddenSize: H } = cache.dims;
  const B = indices.length;
  const examples = indices.map((i) => cache.examples[i]!);
  if (B === 0) throw new TrainingError("assembleBatch: no examples");
  const T = Math.max(...examples.map((e) => e.length));
  const attentionMask = new Int32Array(B * T);
  const zeros = (): Tensor<FloatArray> => ({ data: allocate(dtype, B * T * H), shape: [B, T, H] });
  const hiddenStates: Tensor<FloatArray>[] = [];
  if (cache.layers.length < L + 1) {
    const shared = zeros();
    for (let l = 0; l <= L; l++) hiddenStates.push(shared);
  }
  cache.layers.forEach((l, c) => {
    const states = zeros();
    examples.forEach((e, b) => states.data.set(e.states[c]!, b * T * H));
    hiddenStates[l] = states;
  });
  examples.forEach((e, b) => attentionMask.fill(1, b * T, b * T + e.length));
  return { hiddenStates, attentionMask };
}

const CACHE_FORMAT = "encoder-pooling feature cache 1";

/**
 * The cache as safetensors bytes: `layer.<l>` F32 [ΣT_i,H] per cached layer (rows back to back),
 * `lengths` I32 [N]; sizes and layers in the metadata, next to the caller's own `metadata` (e.g. the
 * model and data it was made from, so that a stale cache can be told apart).
 */
export function serializeFeatureCache(cache: FeatureCache, metadata: Record<string, string> = {}): Uint8Array {
  const H = cache.dims.hiddenSize;
  const lengths = Int32Array.from(cache.examples.map((e) => e.length));
  const total = lengths.reduce((s, n) => s + n, 0);
  const tensors = new Map<string, SafeTensor>();
  cache.layers.forEach((l, c) => {
    const data = new Float32Array(total * H);
    let at = 0;
    for (const e of cache.examples) {
      data.set(e.states[c]!, at);
      at += e.length * H;
    }
    tensors.set(`layer.${l}`, { dtype: "F32", shape: [total, H], data });
  });
  tensors.set("lengths", { dtype: "I32", shape: [lengths.length], data: lengths });
  return serializeSafetensors(tensors, {
    ...metadata,
    format: CACHE_FORMAT,
    numLayers: String(cache.dims.numLayers),
    hiddenSize: String(cache.dims.hiddenSize),
    layers: JSON.stringify(cache.layers),
    firstTokenOnly: String(cache.firstTokenOnly),
  });
}

/** A metadata field that must be an integer string from 1 to `max`. */
function metadataInt(metadata: Record<string, string>, field: string, max: number, source: string): number {
  const text = metadata[field];
  const n = text !== undefined && /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new TrainingError(`${source}: metadata "${field}" must be an integer from 1 to ${max}, got ${describeValue(text)}`, { code: n > max ? "EP_LIMIT" : undefined });
  }
  return n;
}

/** Reads bytes written by serializeFeatureCache; `source` (a file name) appears in every error. */
export function parseFeatureCache(bytes: Uint8Array, source: string): { cache: FeatureCache; metadata: Record<string, string> } {
  const { tensors, metadata } = parseSafetensors(bytes, source);
  if (metadata["format"] !== CACHE_FORMAT) {
    throw new TrainingError(`${source}: not a feature cache (metadata format is ${describeValue(metadata["format"] ?? null)}, expected "${CACHE_FORMAT}")`);
  }
  // The metadata is checked before anything is sized by it: "numLayers": "1e9" used to be accepted.
  const dims = {
    numLayers: metadataInt(metadata, "numLayers", CONFIG_LIMITS.num_hidden_layers, source),
    hiddenSize: metadataInt(metadata, "hiddenSize", CONFIG_LIMITS.hidden_size, source),
  };
  const layers = parseJson(metadata["layers"] ?? "null", `${source}: metadata "layers"`, TrainingError);
  if (!Array.isArray(layers) || layers.length > dims.numLayers + 1 || !layers.every((l) => Number.isInteger(l) && l >= 0 && l <= dims.numLayers)) {
    throw new TrainingError(`${source}: metadata "layers" must list layer indices 0..${dims.numLayers}, got ${describeValue(layers)}`);
  }
  const firstTokenOnly = metadata["firstTokenOnly"];
  if (firstTokenOnly !== "true" && firstTokenOnly !== "false") {
    throw new TrainingError(`${source}: metadata "firstTokenOnly" must be "true" or "false", got ${describeValue(firstTokenOnly)}`);
  }
  const cache = createFeatureCache({ layers: layers as number[], firstTokenOnly: firstTokenOnly === "true" }, dims);
  const lengthsTensor = tensors.get("lengths");
  if (lengthsTensor === undefined) throw new TrainingError(`${source}: feature cache has no "lengths" tensor`);
  const lengths = toInt32Array(lengthsTensor, source, "lengths");
  const negative = lengths.findIndex((n) => n < 0);
  if (negative >= 0) throw new TrainingError(`${source}: lengths[${negative}] is ${lengths[negative]}, a token count`);
  const total = lengths.reduce((s, n) => s + n, 0);
  const H = dims.hiddenSize;
  const data = cache.layers.map((l) => {
    const t = tensors.get(`layer.${l}`);
    if (t === undefined) throw new TrainingError(`${source}: feature cache has no "layer.${l}" tensor`);
    if (t.shape[0] !== total || t.shape[1] !== H) {
      throw new TrainingError(`${source}: layer.${l}: expected [${total},${H}], got ${shapeToString(t.shape)}`);
    }
    return toFloat32Array(t, source, `layer.${l}`);
  });
  let at = 0;
  for (const n of lengths) {
    cache.examples.push({ length: n, states: data.map((d) => d.slice(at * H, (at + n) * H)) });
    at += n;
  }
  const own = new Set(["format", "numLayers", "hiddenSize", "layers", "firstTokenOnly"]);
  return { cache, metadata: Object.fromEntries(Object.entries(metadata).filter(([k]) => !own.has(k))) };
}
