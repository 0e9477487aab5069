// The masked-language-model head of Hugging Face's RobertaForMaskedLM (RobertaLMHead), forward and
// backward side by side, on the Backend seam. Its decoder is *tied* to the word embeddings: the same
// [V,H] matrix turns ids into vectors at the bottom of the encoder and vectors into scores at the top,
// so its gradient is the sum of both uses (the caller adds this one to the encoder's).
// Legend: M rows (the masked positions only: the loss reads no other), H hidden, V vocab.
//   h      = GELU(x·Wdᵀ + bd)                     lm_head.dense            x: [M,H] -> h: [M,H]
//   z      = LayerNorm(h)·γ + β                   lm_head.layer_norm       [M,H]
//   logits = z·Eᵀ + b                             E = embeddings.word_embeddings.weight [V,H], b = lm_head.bias [V]
import { InputError } from "../errors.js";
import type { Backend, DeviceArray, DeviceWeight, LayerNormCache } from "../tensor/backend.js";
import { geluForward } from "../tensor/ops/gelu.js";
import { layerNormForward } from "../tensor/ops/layernorm.js";
import { linearForward } from "../tensor/ops/linear.js";
import type { Rng } from "../tensor/random.js";
import { numel, shapeToString, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { RobertaConfig } from "./config.js";

/** The name of the tied decoder weight: the word embeddings (without the `roberta.` prefix). */
export const TIED_DECODER_WEIGHT = "embeddings.word_embeddings.weight";

/** The head's own parameters, in Hugging Face's order, with their shapes. */
export function lmHeadShapes(config: RobertaConfig): Map<string, number[]> {
  const H = config.hiddenSize;
  return new Map([
    ["lm_head.dense.weight", [H, H]],
    ["lm_head.dense.bias", [H]],
    ["lm_head.layer_norm.weight", [H]],
    ["lm_head.layer_norm.bias", [H]],
    ["lm_head.bias", [config.vocabSize]],
  ]);
}

/** Hugging Face's _init_weights for the head: dense ~ N(0, std²), biases 0, LayerNorm 1 and 0. */
export function initLmHead(config: RobertaConfig, rng: Rng, std: number): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, shape] of lmHeadShapes(config)) {
    const data = new Float32Array(numel(shape));
    if (name === "lm_head.dense.weight") rng.fillNormal(data, std);
    if (name === "lm_head.layer_norm.weight") data.fill(1);
    out.set(name, { data, shape });
  }
  return out;
}

/** The head's parameters in backend memory, each weight both packed (forward) and plain (backward). */
export interface LmHeadWeights {
  dense: DeviceWeight;
  denseWeight: DeviceArray; // [H,H]
  denseBias: DeviceArray; // [H]
  layerNormWeight: DeviceArray; // [H]
  layerNormBias: DeviceArray; // [H]
  decoder: DeviceWeight;
  decoderWeight: DeviceArray; // [V,H], the word embeddings
  bias: DeviceArray; // [V]
}

function get(params: Map<string, Tensor>, name: string, shape: number[]): Float32Array {
  const t = params.get(name);
  if (t === undefined) throw new InputError(`lm head: missing parameter ${name}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new InputError(`lm head: ${name}: expected ${shapeToString(shape)}, got ${shapeToString(t.shape)}`);
  }
  return t.data;
}

/** Copies the head's parameters and the word embeddings (from `params`, by name) into backend memory. */
export function uploadLmHead(be: Backend, config: RobertaConfig, params: Map<string, Tensor>): LmHeadWeights {
  const H = config.hiddenSize;
  const V = config.vocabSize;
  const dense = get(params, "lm_head.dense.weight", [H, H]);
  const decoder = get(params, TIED_DECODER_WEIGHT, [V, H]);
  return {
    dense: be.weight(dense, H, H, "f32"),
    denseWeight: be.upload(dense),
    denseBias: be.upload(get(params, "lm_head.dense.bias", [H])),
    layerNormWeight: be.upload(get(params, "lm_head.layer_norm.weight", [H])),
    layerNormBias: be.upload(get(params, "lm_head.layer_norm.bias", [H])),
    decoder: be.weight(decoder, V, H, "f32"),
    decoderWeight: be.upload(decoder),
    bias: be.upload(get(params, "lm_head.bias", [V])),
  };
}

/** Releases what uploadLmHead allocated. */
export function freeLmHead(be: Backend, w: LmHeadWeights): void {
  be.freeWeight(w.dense);
  be.freeWeight(w.decoder);
  for (const a of [w.denseWeight, w.denseBias, w.layerNormWeight, w.layerNormBias, w.decoderWeight, w.bias]) be.free(a);
}

/** What backward needs from forward; free it with freeLmHeadCache. */
export interface LmHeadCache {
  M: number;
  x: DeviceArray; // [M,H], the input (not owned)
  pre: DeviceArray; // [M,H], x·Wdᵀ + bd before GELU
  z: DeviceArray; // [M,H], the LayerNorm output
  ln: LayerNormCache; // sum = h [M,H], mean and rstd [M]
}

/** logits [M,V] = the head applied to x [M,H] (one row per masked position); the caller frees both results. */
export function lmHeadForward(
  be: Backend, w: LmHeadWeights, x: DeviceArray, M: number, config: RobertaConfig,
): { logits: DeviceArray; cache: LmHeadCache } {
  const H = config.hiddenSize;
  const h = be.alloc(M * H);
  const pre = be.alloc(M * H);
  const z = be.alloc(M * H);
  const ln: LayerNormCache = { sum: be.alloc(M * H), mean: be.alloc(M), rstd: be.alloc(M) };
  const logits = be.alloc(M * config.vocabSize);
  // h = GELU(x·Wdᵀ + bd), pre-activation kept
  be.linear(h, x, w.dense, w.denseBias, M, true, pre);
  // z = LayerNorm(h)·γ + β
  be.addLayerNorm(z, h, null, w.layerNormWeight, w.layerNormBias, M, H, config.layerNormEps, ln);
  be.free(h); // the cache's `sum` holds a copy of h
  // logits = z·Eᵀ + b
  be.linear(logits, z, w.decoder, w.bias, M);
  return { logits, cache: { M, x, pre, z, ln } };
}

/** Gradients of the head's parameters in backend memory (zeroed by allocLmHeadGrads; backward accumulates). */
export interface LmHeadGrads {
  denseWeight: DeviceArray;
  denseBias: DeviceArray;
  layerNormWeight: DeviceArray;
  layerNormBias: DeviceArray;
  decoderWeight: DeviceArray; // [V,H]: the head's share of the word embeddings' gradient
  bias: DeviceArray;
}

export function allocLmHeadGrads(be: Backend, config: RobertaConfig): LmHeadGrads {
  const H = config.hiddenSize;
  const V = config.vocabSize;
  return {
    denseWeight: be.alloc(H * H), denseBias: be.alloc(H), layerNormWeight: be.alloc(H), layerNormBias: be.alloc(H),
    decoderWeight: be.alloc(V * H), bias: be.alloc(V),
  };
}

/** The gradients on the host under their Hugging Face names (the tied one under TIED_DECODER_WEIGHT). */
export function downloadLmHeadGrads(be: Backend, g: LmHeadGrads): Map<string, Float32Array> {
  return new Map([
    ["lm_head.dense.weight", be.download(g.denseWeight)],
    ["lm_head.dense.bias", be.download(g.denseBias)],
    ["lm_head.layer_norm.weight", be.download(g.layerNormWeight)],
    ["lm_head.layer_norm.bias", be.download(g.layerNormBias)],
    [TIED_DECODER_WEIGHT, be.download(g.decoderWeight)],
    ["lm_head.bias", be.download(g.bias)],
  ]);
}

export function freeLmHeadGrads(be: Backend, g: LmHeadGrads): void {
  for (const a of Object.values(g)) be.free(a);
}

/**
 * Backward of lmHeadForward from dLogits [M,V]: accumulates (+=) into `grads` and, when given, into
 * dx [M,H] (the gradient that flows on into the encoder's last hidden state).
 */
export function lmHeadBackward(
  be: Backend, w: LmHeadWeights, cache: LmHeadCache, dLogits: DeviceArray, grads: LmHeadGrads, dx: DeviceArray | null, config: RobertaConfig,
): void {
  const { M } = cache;
  const H = config.hiddenSize;
  const V = config.vocabSize;
  const dz = be.alloc(M * H);
  const dh = be.alloc(M * H);
  const dPre = be.alloc(M * H);
  try {
    // dz = dLogits·E;  dE += dLogitsᵀ·z;  db += Σ_rows dLogits
    be.linearBackward(dz, grads.decoderWeight, grads.bias, dLogits, cache.z, w.decoderWeight, M, H, V);
    // through the LayerNorm: dh, dγ, dβ
    be.layerNormBackward(dh, grads.layerNormWeight, grads.layerNormBias, dz, cache.ln, w.layerNormWeight, M, H);
    // through GELU: dPre = dh · GELU'(pre)
    be.geluBackward(dPre, dh, cache.pre, M * H);
    // dx += dPre·Wd;  dWd += dPreᵀ·x;  dbd += Σ_rows dPre
    be.linearBackward(dx, grads.denseWeight, grads.denseBias, dPre, cache.x, w.denseWeight, M, H, H);
  } finally {
    for (const a of [dz, dh, dPre]) be.free(a);
  }
}

/** Releases the cache's arrays (not x, which the caller owns). */
export function freeLmHeadCache(be: Backend, cache: LmHeadCache): void {
  for (const a of [cache.pre, cache.z, cache.ln.sum, cache.ln.mean, cache.ln.rstd]) be.free(a);
}

/**
 * The naive reference of lmHeadForward in plain loops over Float32 or Float64 arrays (the kernels of
 * tensor/ops): what the finite-difference check differentiates. params hold the same names as above.
 */
export function lmHeadReference<A extends FloatArray>(
  params: Map<string, Tensor<A>>, x: A, M: number, config: RobertaConfig,
): A {
  const H = config.hiddenSize;
  const V = config.vocabSize;
  const p = (name: string): A => params.get(name)!.data;
  const make = (n: number): A => (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
  const pre = make(M * H);
  linearForward(pre, x, p("lm_head.dense.weight"), p("lm_head.dense.bias"), M, H, H);
  const h = make(M * H);
  geluForward(h, pre, M * H);
  const z = make(M * H);
  layerNormForward(z, null, null, h, p("lm_head.layer_norm.weight"), p("lm_head.layer_norm.bias"), M, H, config.layerNormEps);
  const logits = make(M * V);
  linearForward(logits, z, p(TIED_DECODER_WEIGHT), p("lm_head.bias"), M, H, V);
  return logits;
}
