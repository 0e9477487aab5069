// The RoBERTa encoder forward pass, with Hugging Face's RobertaModel semantics (eval mode, eager attention).
// Legend: B batch, T tokens, N = B·T, H hidden, nh heads, hd = H/nh head size, I intermediate, L layers, V vocab.
//   embeddings  x = LayerNorm(word[ids] + token_type[0] + position[positionIds])      hiddenStates[0]
//   layer l     a = LayerNorm(x + Attention(x))                                        (post-LN)
//               x = LayerNorm(a + W2·GELU(W1·a))                                       hiddenStates[l+1]
//   pooler      tanh(Wp · x[:,0] + bp), only when the checkpoint has pooler weights
import { InputError } from "../errors.js";
import { jsBackend, type Backend } from "../tensor/backend.js";
import { geluForward } from "../tensor/ops/gelu.js";
import { layerNormForward } from "../tensor/ops/layernorm.js";
import { softmaxForward } from "../tensor/ops/softmax.js";
import { tanhForward } from "../tensor/ops/tanh.js";
import { tensor, type Tensor } from "../tensor/tensor.js";
import { maxSequenceLength, parseRobertaConfig, type RobertaConfig } from "./config.js";
import { parseSafetensors } from "./safetensors.js";
import {
  loadRobertaWeights,
  robertaWeightsFromMap,
  type LinearWeights,
  type RobertaLayerWeights,
  type RobertaWeights,
} from "./weights.js";

export interface RobertaInputs {
  inputIds: Int32Array; // [B,T]
  attentionMask: Int32Array; // [B,T], 1 = real token, 0 = padding
  batchSize: number; // B
  seqLen: number; // T
}

export interface RobertaOutput {
  hiddenStates: Tensor[]; // L+1 tensors [B,T,H]; [0] = embeddings output, [l] = output of layer l
  lastHiddenState: Tensor; // [B,T,H], the same tensor as hiddenStates[L]
  poolerOutput: Tensor | null; // [B,H], null when the checkpoint has no pooler (e.g. roberta-base)
}

export interface RobertaLoadOptions {
  /** Label of the model folder in error messages ("<source>/config.json"); default "model". */
  source?: string;
  /** Kernels for the big products; default jsBackend. */
  backend?: Backend;
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

/** A loaded RoBERTa encoder: config, Float32 weights and the backend its products run on. */
export class RobertaModel {
  readonly config: RobertaConfig;
  readonly weights: RobertaWeights;
  readonly backend: Backend;

  constructor(config: RobertaConfig, weights: RobertaWeights, backend: Backend = jsBackend) {
    this.config = config;
    this.weights = weights;
    this.backend = backend;
  }

  /**
   * Loads a Hugging Face model folder's two files, given as text and bytes (no file system here).
   * @example const model = RobertaModel.load(configText, weightBytes, { source: "models/roberta-base" });
   */
  static load(configJson: string, weights: Uint8Array, options: RobertaLoadOptions = {}): RobertaModel {
    const source = options.source ?? "model";
    const config = parseRobertaConfig(configJson, `${source}/config.json`);
    const weightsSource = `${source}/model.safetensors`;
    const { tensors } = parseSafetensors(weights, weightsSource);
    return new RobertaModel(config, loadRobertaWeights(config, tensors, weightsSource, options.log, options.allowNonFinite === true), options.backend);
  }

  /** A model from HF-named Float32 tensors held in memory (e.g. initRobertaWeights). */
  static fromTensors(config: RobertaConfig, tensors: Map<string, Tensor>, options: RobertaLoadOptions = {}): RobertaModel {
    return new RobertaModel(config, robertaWeightsFromMap(config, tensors, options.source ?? "weights"), options.backend);
  }

  /** True when the checkpoint carries pooler.dense.* and forward returns a poolerOutput. */
  get hasPooler(): boolean {
    return this.weights.pooler !== null;
  }

  /** Runs the encoder on a padded batch; every hidden state is returned, each a fresh [B,T,H] tensor. */
  forward(inputs: RobertaInputs): RobertaOutput {
    const c = this.config;
    validateRobertaInputs(c, inputs);
    const { inputIds, attentionMask, batchSize: B, seqLen: T } = inputs;
    const H = c.hiddenSize;
    const N = B * T;

    const hiddenStates = [this.embeddings(inputIds, B, T)];
    // maskAdd: [B,T], 0 for real keys, float32's minimum for padding keys (added to every query's scores)
    const maskAdd = new Float32Array(N);
    for (let i = 0; i < N; i++) maskAdd[i] = (1 - attentionMask[i]!) * MASK_VALUE;
    const scratch = new LayerScratch(B, T, H, c.intermediateSize, H / c.numAttentionHeads);
    for (const layer of this.weights.layers) {
      const x = hiddenStates[hiddenStates.length - 1]!;
      const next = tensor([B, T, H]);
      this.layer(next.data, x.data, layer, maskAdd, scratch, B, T);
      hiddenStates.push(next);
    }
    const lastHiddenState = hiddenStates[hiddenStates.length - 1]!;
    const poolerOutput = this.weights.pooler === null ? null : this.pooler(lastHiddenState.data, this.weights.pooler, B, T);
    return { hiddenStates, lastHiddenState, poolerOutput };
  }

  // x = LayerNorm(word[ids] + token_type[0] + position[positionIds]); returns [B,T,H]
  private embeddings(inputIds: Int32Array, B: number, T: number): Tensor {
    const c = this.config;
    const H = c.hiddenSize;
    const w = this.weights;
    const positionIds = robertaPositionIds(inputIds, B, T, c.padTokenId);
    const sum = new Float32Array(B * T * H);
    // sum[n,:] = word[ids[n],:] + tokenType[0,:] + position[positionIds[n],:]   (HF's order of additions)
    for (let n = 0; n < B * T; n++) {
      const word = inputIds[n]! * H;
      const pos = positionIds[n]! * H;
      for (let h = 0; h < H; h++) {
        const wordAndType = Math.fround(w.wordEmbeddings.data[word + h]! + w.tokenTypeEmbeddings.data[h]!);
        sum[n * H + h] = wordAndType + w.positionEmbeddings.data[pos + h]!;
      }
    }
    const out = tensor([B, T, H]);
    const ln = w.embeddingsLayerNorm;
    layerNormForward(out.data, null, null, sum, ln.weight.data, ln.bias.data, B * T, H, c.layerNormEps);
    return out;
  }

  // One post-LN layer: out[B,T,H] from x[B,T,H]
  private layer(out: Float32Array, x: Float32Array, w: RobertaLayerWeights, maskAdd: Float32Array, s: LayerScratch, B: number, T: number): void {
    const c = this.config;
    const H = c.hiddenSize;
    const I = c.intermediateSize;
    const N = B * T;
    const be = this.backend;

    // self-attention: q, k, v = x·Wᵀ + b, each [N,H]
    be.linearForward(s.q, x, w.query.weight.data, w.query.bias.data, N, H, H);
    be.linearForward(s.k, x, w.key.weight.data, w.key.bias.data, N, H, H);
    be.linearForward(s.v, x, w.value.weight.data, w.value.bias.data, N, H, H);
    this.attention(s, maskAdd, B, T);

    // a = LayerNorm(ctx·Woᵀ + bo + x)
    be.linearForward(s.proj, s.ctx, w.attentionOutput.weight.data, w.attentionOutput.bias.data, N, H, H);
    for (let i = 0; i < N * H; i++) s.proj[i] = s.proj[i]! + x[i]!;
    layerNormForward(s.a, null, null, s.proj, w.attentionLayerNorm.weight.data, w.attentionLayerNorm.bias.data, N, H, c.layerNormEps);

    // out = LayerNorm(GELU(a·W1ᵀ + b1)·W2ᵀ + b2 + a)
    be.linearForward(s.inter, s.a, w.intermediate.weight.data, w.intermediate.bias.data, N, H, I);
    geluForward(s.interAct, s.inter, N * I);
    be.linearForward(s.proj, s.interAct, w.output.weight.data, w.output.bias.data, N, I, H);
    for (let i = 0; i < N * H; i++) s.proj[i] = s.proj[i]! + s.a[i]!;
    layerNormForward(out, null, null, s.proj, w.outputLayerNorm.weight.data, w.outputLayerNorm.bias.data, N, H, c.layerNormEps);
  }

  // ctx[B,T,H] = per head softmax(q·kᵀ/√hd + maskAdd)·v, heads concatenated; reads s.q, s.k, s.v
  private attention(s: LayerScratch, maskAdd: Float32Array, B: number, T: number): void {
    const nh = this.config.numAttentionHeads;
    const H = this.config.hiddenSize;
    const hd = H / nh;
    const scale = Math.sqrt(hd);
    splitHeads(s.qh, s.q, B, T, nh, hd);
    splitHeads(s.kh, s.k, B, T, nh, hd);
    splitHeads(s.vh, s.v, B, T, nh, hd);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nh; h++) {
        const at = (b * nh + h) * T * hd;
        const qbh = s.qh.subarray(at, at + T * hd); // [T,hd]
        const kbh = s.kh.subarray(at, at + T * hd); // [T,hd]
        const vbh = s.vh.subarray(at, at + T * hd); // [T,hd]
        // scores[i,j] = q[i]·k[j] / √hd + maskAdd[b,j]  (a padding key sits at float32's minimum: exp gives 0,
        // and a row with no real key is uniform rather than NaN, exactly as in HF)
        this.backend.matmulTransB(s.scores, qbh, kbh, T, hd, T);
        for (let i = 0; i < T; i++) {
          for (let j = 0; j < T; j++) s.scores[i * T + j] = s.scores[i * T + j]! / scale + maskAdd[b * T + j]!;
        }
        softmaxForward(s.probs, s.scores, T, T, null);
        // ctxHead[T,hd] = probs[T,T]·v[T,hd], written back into ctx[b,:,h·hd:(h+1)·hd]
        this.backend.matmul(s.ctxHead, s.probs, vbh, T, T, hd);
        for (let t = 0; t < T; t++) {
          const row = (b * T + t) * H + h * hd;
          for (let d = 0; d < hd; d++) s.ctx[row + d] = s.ctxHead[t * hd + d]!;
        }
      }
    }
  }

  // poolerOutput[B,H] = tanh(x[:,0,:]·Wpᵀ + bp)
  private pooler(x: Float32Array, w: LinearWeights, B: number, T: number): Tensor {
    const H = this.config.hiddenSize;
    const first = new Float32Array(B * H);
    for (let b = 0; b < B; b++) first.set(x.subarray(b * T * H, b * T * H + H), b * H);
    const dense = new Float32Array(B * H);
    this.backend.linearForward(dense, first, w.weight.data, w.bias.data, B, H, H);
    const out = tensor([B, H]);
    tanhForward(out.data, dense, B * H);
    return out;
  }
}

// x[B,T,nh·hd] -> out[B,nh,T,hd], so that each (batch, head) block is contiguous for the matmuls
function splitHeads(out: Float32Array, x: Float32Array, B: number, T: number, nh: number, hd: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * nh * hd + h * hd;
        const dst = ((b * nh + h) * T + t) * hd;
        for (let d = 0; d < hd; d++) out[dst + d] = x[src + d]!;
      }
    }
  }
}

/** Buffers one layer needs, allocated once per forward and reused by every layer. */
class LayerScratch {
  readonly q: Float32Array; // [N,H]
  readonly k: Float32Array; // [N,H]
  readonly v: Float32Array; // [N,H]
  readonly qh: Float32Array; // [B,nh,T,hd]
  readonly kh: Float32Array; // [B,nh,T,hd]
  readonly vh: Float32Array; // [B,nh,T,hd]
  readonly scores: Float32Array; // [T,T], one (batch, head) at a time
  readonly probs: Float32Array; // [T,T]
  readonly ctxHead: Float32Array; // [T,hd]
  readonly ctx: Float32Array; // [N,H]
  readonly proj: Float32Array; // [N,H], a dense output before its residual and LayerNorm
  readonly a: Float32Array; // [N,H], attention block output
  readonly inter: Float32Array; // [N,I]
  readonly interAct: Float32Array; // [N,I]

  constructor(B: number, T: number, H: number, I: number, hd: number) {
    const N = B * T;
    this.q = new Float32Array(N * H);
    this.k = new Float32Array(N * H);
    this.v = new Float32Array(N * H);
    this.qh = new Float32Array(N * H);
    this.kh = new Float32Array(N * H);
    this.vh = new Float32Array(N * H);
    this.scores = new Float32Array(T * T);
    this.probs = new Float32Array(T * T);
    this.ctxHead = new Float32Array(T * hd);
    this.ctx = new Float32Array(N * H);
    this.proj = new Float32Array(N * H);
    this.a = new Float32Array(N * H);
    this.inter = new Float32Array(N * I);
    this.interAct = new Float32Array(N * I);
  }
}
