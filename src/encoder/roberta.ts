// The RoBERTa encoder forward pass, with Hugging Face's RobertaModel semantics (eval mode, eager attention).
// Legend: B batch, T tokens, N = B·T, H hidden, nh heads, hd = H/nh head size, I intermediate, L layers, V vocab.
//   embeddings  x = LayerNorm(word[ids] + token_type[0] + position[positionIds])      hiddenStates[0]
//   layer l     a = LayerNorm(x + Attention(x))                                        (post-LN)
//               x = LayerNorm(a + W2·GELU(W1·a))                                       hiddenStates[l+1]
//   pooler      tanh(Wp · x[:,0] + bp), only when the checkpoint has pooler weights
// Every product, attention, norm and activation runs on the Backend the model was loaded on: weights
// and activations live in its memory, and only the hidden states come back to the host.
import { InputError } from "../errors.js";
import type { Backend, DeviceArray, TableDtype } from "../tensor/backend.js";
import { describeOption, jsBackend } from "../tensor/choose-backend.js";
import { tensor, type Tensor } from "../tensor/tensor.js";
import { maxSequenceLength, parseRobertaConfig, type RobertaConfig } from "./config.js";
import { bufferSource, readSafetensorsHeader, type ByteSource, type SafetensorsIndex } from "./safetensors.js";
import { safetensorsWeightSource, storedInfo, tensorMapWeightSource } from "./weight-source.js";
import {
  freeRobertaWeights,
  loadRobertaWeights,
  resolveRobertaTensors,
  type DeviceLinear,
  type RobertaLayerWeights,
  type RobertaWeights,
  type WeightPrecision,
  type WeightSource,
} from "./weights.js";

export interface RobertaInputs {
  inputIds: Int32Array; // [B,T]
  attentionMask: Int32Array; // [B,T], 1 = real token, 0 = padding
  batchSize: number; // B
  seqLen: number; // T
}

/** What forward returns with `outputHiddenStates: false`. */
export interface RobertaLastOutput {
  lastHiddenState: Tensor; // [B,T,H]
  poolerOutput: Tensor | null; // [B,H], null when the checkpoint has no pooler (e.g. roberta-base)
}

export interface RobertaOutput extends RobertaLastOutput {
  hiddenStates: Tensor[]; // L+1 tensors [B,T,H]; [0] = embeddings output, [l] = output of layer l
  // lastHiddenState is the same tensor as hiddenStates[L]
}

export interface RobertaForwardOptions {
  /**
   * Return the hidden state of every layer (default, what the poolers read), or — false, HF's
   * output_hidden_states=False — only the last one, which saves L copies of [B,T,H] on the host.
   */
  outputHiddenStates?: boolean;
}

export interface RobertaLoadOptions {
  /** Label of the model folder in error messages ("<source>/config.json"); default "model". */
  source?: string;
  /** Where the weights live and the kernels run; default jsBackend. */
  backend?: Backend;
  /** Embedding tables and linear weights in Float32 (default) or half-size, widened inside the kernels. */
  dtype?: TableDtype;
  /** "int8": dynamic int8 quantization of the linear layers (per-row weight scales, per-token input scales). */
  quantize?: "int8";
  /** Debug messages, e.g. the list of ignored lm_head.* tensors. */
  log?: (msg: string) => void;
  /** Load weights holding NaN or ±Infinity (default false: an error naming the tensor, code EP_NONFINITE). */
  allowNonFinite?: boolean;
}

/** float32's most negative finite value: HF's additive mask for padding keys (finfo(float32).min). */
const MASK_VALUE = -3.4028234663852886e38;

/**
 * Checks model inputs before any work: non-empty batch, matching lengths, ids in [0, V), mask of 0/1, and
 * rows no longer than the position table allows. Throws an InputError naming the row and position.
 */
export function validateRobertaInputs(config: RobertaConfig, inputs: RobertaInputs): void {
  const { inputIds, attentionMask, batchSize: B, seqLen: T } = inputs;
  if (!Number.isSafeInteger(B) || B < 0 || !Number.isSafeInteger(T) || T < 0) {
    throw new InputError(`forward: batchSize ${B} and seqLen ${T} must be non-negative integers`);
  }
  if (B === 0) throw new InputError("forward: empty batch (batchSize 0)");
  if (T === 0) throw new InputError("forward: empty sequences (seqLen 0)");
  if (inputIds.length !== B * T) {
    throw new InputError(`forward: input_ids has ${inputIds.length} elements, expected [B,T] = [${B},${T}] (${B * T})`);
  }
  if (attentionMask.length !== B * T) {
    throw new InputError(`forward: attention_mask has ${attentionMask.length} elements, expected [B,T] = [${B},${T}] (${B * T})`);
  }
  const V = config.vocabSize;
  const limit = maxSequenceLength(config);
  for (let b = 0; b < B; b++) {
    let positioned = 0;
    for (let t = 0; t < T; t++) {
      const id = inputIds[b * T + t]!;
      const m = attentionMask[b * T + t]!;
      if (id < 0 || id >= V) throw new InputError(`forward: input_ids[${b},${t}] = ${id} is outside the vocabulary [0, ${V})`);
      if (m !== 0 && m !== 1) throw new InputError(`forward: attention_mask[${b},${t}] = ${m}, expected 0 or 1`);
      if (id !== config.padTokenId) positioned++;
    }
    if (positioned > limit) {
      throw new InputError(
        `forward: row ${b} has ${positioned} tokens, longer than the position table allows (${limit} = ` +
          `max_position_embeddings ${config.maxPositionEmbeddings} - pad_token_id ${config.padTokenId} - 1)`,
      );
    }
  }
}

/**
 * HF's create_position_ids_from_input_ids: real tokens (id ≠ pad) count up from pad + 1, pad tokens get pad.
 * positionIds[b,t] = (Σ_{s ≤ t} [ids[b,s] ≠ pad]) · [ids[b,t] ≠ pad] + pad
 */
export function robertaPositionIds(inputIds: Int32Array, batchSize: number, seqLen: number, padTokenId: number): Int32Array {
  const out = new Int32Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) {
    let count = 0;
    for (let t = 0; t < seqLen; t++) {
      const i = b * seqLen + t;
      const real = inputIds[i] !== padTokenId;
      if (real) count++;
      out[i] = real ? count + padTokenId : padTokenId;
    }
  }
  return out;
}

const DTYPES: readonly TableDtype[] = ["f32", "f16", "bf16"];

/** The precision options, checked: dtype one of f32/f16/bf16, quantize absent or "int8". */
export function weightPrecision(options: Pick<RobertaLoadOptions, "dtype" | "quantize">, what = "load"): WeightPrecision {
  const { dtype = "f32", quantize } = options;
  if (!DTYPES.includes(dtype)) {
    throw new InputError(`${what}: dtype must be one of ${DTYPES.map((d) => `"${d}"`).join(", ")}, got ${describeOption(dtype)}`);
  }
  if (quantize !== undefined && quantize !== "int8") {
    throw new InputError(`${what}: quantize must be "int8" or absent, got ${describeOption(quantize)}`);
  }
  return { dtype, quantize: quantize ?? null };
}

/** maskAdd [B,T] of an attention mask: 0 for real keys, float32's minimum for padding keys (added to every query's scores). */
export function robertaAdditiveMask(attentionMask: Int32Array): Float32Array {
  const out = new Float32Array(attentionMask.length);
  for (let i = 0; i < out.length; i++) out[i] = (1 - attentionMask[i]!) * MASK_VALUE;
  return out;
}

/** A loaded RoBERTa encoder: config, weights in backend memory, and the backend its kernels run on. */
export class RobertaModel {
  constructor(
    readonly config: RobertaConfig,
    readonly weights: RobertaWeights,
    readonly backend: Backend,
    readonly precision: WeightPrecision,
  ) {}

  /**
   * Loads a Hugging Face model folder's two files, given as text and bytes (no file system here). The
   * bytes are read through views (any Uint8Array, a Node Buffer included, or an ArrayBuffer) or by range
   * (a ByteSource over a file), header first, each tensor copied once into the backend's memory.
   * @example const model = RobertaModel.load(configText, weightBytes, { source: "models/roberta-base" });
   */
  static load(configJson: string, weights: Uint8Array | ArrayBuffer | ByteSource, options: RobertaLoadOptions = {}): RobertaModel {
    const source = options.source ?? "model";
    const config = parseRobertaConfig(configJson, `${source}/config.json`);
    const bytes = weights instanceof Uint8Array || weights instanceof ArrayBuffer ? bufferSource(weights) : weights;
    return RobertaModel.fromSafetensors(config, readSafetensorsHeader(bytes, `${source}/model.safetensors`), options);
  }

  /** A model from a checked safetensors header, whose bytes (a buffer or a file read by range) are read tensor by tensor. */
  static fromSafetensors(config: RobertaConfig, index: SafetensorsIndex, options: RobertaLoadOptions = {}): RobertaModel {
    const precision = weightPrecision(options);
    const keys = resolveRobertaTensors(config, storedInfo(index), index.source, options.log);
    return RobertaModel.fromSource(config, safetensorsWeightSource(index, keys, { allowNonFinite: options.allowNonFinite === true }), keys.has("pooler.dense.weight"), precision, options);
  }

  /** A model from HF-named Float32 tensors held in memory (e.g. initRobertaWeights). */
  static fromTensors(config: RobertaConfig, tensors: Map<string, Tensor>, options: RobertaLoadOptions = {}): RobertaModel {
    const precision = weightPrecision(options);
    const info = new Map([...tensors].map(([k, t]) => [k, { dtype: "F32", shape: t.shape }]));
    const keys = resolveRobertaTensors(config, info, options.source ?? "weights", options.log);
    const named = new Map([...keys].map(([name, key]) => [name, tensors.get(key)!]));
    return RobertaModel.fromSource(config, tensorMapWeightSource(named), keys.has("pooler.dense.weight"), precision, options);
  }

  private static fromSource(
    config: RobertaConfig, source: WeightSource, hasPooler: boolean, precision: WeightPrecision, options: RobertaLoadOptions,
  ): RobertaModel {
    const backend = options.backend ?? jsBackend;
    return new RobertaModel(config, loadRobertaWeights(backend, config, source, precision, hasPooler), backend, precision);
  }

  /** True when the checkpoint carries pooler.dense.* and forward returns a poolerOutput. */
  get hasPooler(): boolean {
    return this.weights.pooler !== null;
  }

  /** Releases the weights from the backend's memory; the model is unusable afterwards. */
  dispose(): void {
    freeRobertaWeights(this.backend, this.weights);
  }

  /**
   * Runs the encoder on a padded batch; every hidden state is returned, each a fresh [B,T,H] tensor
   * (only the last with `outputHiddenStates: false`).
   */
  forward(inputs: RobertaInputs, options?: { outputHiddenStates?: true }): RobertaOutput;
  forward(inputs: RobertaInputs, options: RobertaForwardOptions): RobertaLastOutput;
  forward(inputs: RobertaInputs, options: RobertaForwardOptions = {}): RobertaOutput | RobertaLastOutput {
    const pass = this.layerByLayer(inputs, options);
    for (;;) {
      const step = pass.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The same forward pass, awaiting `between()` after each layer: embed() uses it to give the event loop
   * a turn inside a long batch. When `between` rejects, the pass stops there and frees its memory.
   */
  async forwardAsync(inputs: RobertaInputs, between: () => Promise<void> | void, options?: { outputHiddenStates?: true }): Promise<RobertaOutput>;
  async forwardAsync(inputs: RobertaInputs, between: () => Promise<void> | void, options: RobertaForwardOptions): Promise<RobertaOutput | RobertaLastOutput>;
  async forwardAsync(inputs: RobertaInputs, between: () => Promise<void> | void, options: RobertaForwardOptions = {}): Promise<RobertaOutput | RobertaLastOutput> {
    const pass = this.layerByLayer(inputs, options);
    try {
      for (;;) {
        const step = pass.next();
        if (step.done) return step.value;
        await between();
      }
    } finally {
      pass.return(undefined as never); // runs the pass's `finally` (frees the scratch) if it stopped early
    }
  }

  /** The forward pass as a generator that pauses after each layer (forward runs it straight through). */
  private *layerByLayer(inputs: RobertaInputs, options: RobertaForwardOptions): Generator<void, RobertaOutput | RobertaLastOutput> {
    const c = this.config;
    validateRobertaInputs(c, inputs);
    const { inputIds, attentionMask, batchSize: B, seqLen: T } = inputs;
    const H = c.hiddenSize;
    const be = this.backend;
    const s = new Scratch(be, B, T, H, c.intermediateSize);
    try {
      const maskAdd = s.upload(robertaAdditiveMask(attentionMask));
      this.embeddings(s.x, s.proj, inputIds, B, T);
      const all = options.outputHiddenStates !== false;
      const hiddenStates = all ? [s.download(s.x, [B, T, H])] : [];
      for (const layer of this.weights.layers) {
        this.layer(s.x, layer, maskAdd, s, B, T);
        if (all) hiddenStates.push(s.download(s.x, [B, T, H]));
        yield;
      }
      const lastHiddenState = all ? hiddenStates[hiddenStates.length - 1]! : s.download(s.x, [B, T, H]);
      const pooler = this.weights.pooler;
      const poolerOutput = pooler === null ? null : this.pooler(lastHiddenState.data, pooler, s, B, T);
      return all ? { hiddenStates, lastHiddenState, poolerOutput } : { lastHiddenState, poolerOutput };
    } finally {
      s.free();
    }
  }

  // out[B,T,H] = LayerNorm(word[ids] + token_type[0] + position[positionIds]); sum [B,T,H] is scratch
  private embeddings(out: DeviceArray, sum: DeviceArray, inputIds: Int32Array, B: number, T: number): void {
    const c = this.config;
    const w = this.weights;
    const positionIds = robertaPositionIds(inputIds, B, T, c.padTokenId);
    const ln = w.embeddingsLayerNorm;
    this.backend.embeddingSum(sum, inputIds, positionIds, w.wordEmbeddings, w.positionEmbeddings, w.tokenTypeEmbeddings, B * T);
    this.backend.addLayerNorm(out, sum, null, ln.weight, ln.bias, B * T, c.hiddenSize, c.layerNormEps, null);
  }

  // One post-LN layer, x[B,T,H] updated in place (x is last read by the first residual)
  private layer(x: DeviceArray, w: RobertaLayerWeights, maskAdd: DeviceArray, s: Scratch, B: number, T: number): void {
    const c = this.config;
    const { hiddenSize: H, numAttentionHeads: nh, layerNormEps: eps } = c;
    const hd = H / nh;
    const N = B * T;
    const be = this.backend;

    // self-attention: qkv[N,3H] = x·[Wq|Wk|Wv]ᵀ + [bq|bk|bv]; ctx = softmax(q·kᵀ/√hd + mask)·v per head
    be.linear(s.qkv, x, w.qkv.weight, w.qkv.bias, N);
    be.attention(s.ctx, s.qkv, maskAdd, B, T, nh, hd, 1 / Math.sqrt(hd), null);
    // a = LayerNorm(ctx·Woᵀ + bo + x)
    be.linear(s.proj, s.ctx, w.attentionOutput.weight, w.attentionOutput.bias, N);
    be.addLayerNorm(s.a, s.proj, x, w.attentionLayerNorm.weight, w.attentionLayerNorm.bias, N, H, eps, null);
    // x = LayerNorm(GELU(a·W1ᵀ + b1)·W2ᵀ + b2 + a)
    be.linear(s.inter, s.a, w.intermediate.weight, w.intermediate.bias, N, true);
    be.linear(s.proj, s.inter, w.output.weight, w.output.bias, N);
    be.addLayerNorm(x, s.proj, s.a, w.outputLayerNorm.weight, w.outputLayerNorm.bias, N, H, eps, null);
  }

  // poolerOutput[B,H] = tanh(x[:,0,:]·Wpᵀ + bp), x the last hidden state on the host
  private pooler(x: Float32Array, w: DeviceLinear, s: Scratch, B: number, T: number): Tensor {
    const H = this.config.hiddenSize;
    const first = new Float32Array(B * H);
    for (let b = 0; b < B; b++) first.set(x.subarray(b * T * H, b * T * H + H), b * H);
    const dense = s.alloc(B * H);
    this.backend.linear(dense, s.upload(first), w.weight, w.bias, B);
    this.backend.tanh(dense, dense, B * H);
    return s.download(dense, [B, H]);
  }
}

/** The activations of one forward, allocated from the backend and freed when it ends. */
class Scratch {
  readonly x: DeviceArray; // [N,H], the hidden state, updated layer by layer
  readonly qkv: DeviceArray; // [N,3H]
  readonly ctx: DeviceArray; // [N,H]
  readonly proj: DeviceArray; // [N,H], a dense output before its residual and LayerNorm
  readonly a: DeviceArray; // [N,H], attention block output (in ctx's memory)
  readonly inter: DeviceArray; // [N,I], GELU(a·W1ᵀ + b1)
  private readonly owned: DeviceArray[] = [];

  constructor(private readonly backend: Backend, B: number, T: number, H: number, I: number) {
    const N = B * T;
    this.x = this.alloc(N * H);
    // qkv is dead once attention has read it, ctx once it is projected: the intermediate activations
    // and the attention block's output reuse their memory
    const qkvOrInter = this.alloc(N * Math.max(3 * H, I));
    this.qkv = backend.view(qkvOrInter, 0, N * 3 * H);
    this.inter = backend.view(qkvOrInter, 0, N * I);
    this.ctx = this.alloc(N * H);
    this.a = this.ctx;
    this.proj = this.alloc(N * H);
  }

  alloc(n: number): DeviceArray {
    const a = this.backend.alloc(n);
    this.owned.push(a);
    return a;
  }

  upload(values: Float32Array): DeviceArray {
    const a = this.backend.upload(values);
    this.owned.push(a);
    return a;
  }

  download(a: DeviceArray, shape: number[]): Tensor {
    return tensor(shape, this.backend.download(a));
  }

  free(): void {
    for (const a of this.owned) this.backend.free(a);
  }
}
