// The RoBERTa encoder in training mode: a forward pass that keeps, on a tape, only what its backward
// needs, and the hand-written backward through the same Backend seam, giving dLoss/d(every parameter)
// under its Hugging Face state_dict name. Eval-mode inference stays in roberta.ts.
// Legend: B batch, T tokens, N = B·T, H hidden, nh heads, hd = H/nh, I intermediate, L layers, V vocab.
// Forward of layer l (post-LN, as RobertaLayer in train mode), and what the tape keeps:
//   qkv  = x·[Wq|Wk|Wv]ᵀ + b                      x = hiddenStates[l] [N,H], qkv [N,3H]
//   P    = softmax(q·kᵀ/√hd + maskAdd)            P [B,nh,T,T], and its dropout mask Ma when p > 0
//   ctx  = (P ⊙ Ma)·v                             ctx [N,H]
//   a    = LayerNorm((ctx·Woᵀ + bo) ⊙ M1 + x)     M1, the LayerNorm's sum [N,H], mean and rstd [N]; a [N,H]
//   pre  = a·W1ᵀ + b1                             pre [N,I]; GELU(pre) is recomputed in backward (saves I a token)
//   y    = LayerNorm((GELU(pre)·W2ᵀ + b2) ⊙ M2 + a)   M2, sum, mean, rstd; y = hiddenStates[l+1]
// Embeddings: hiddenStates[0] = LayerNorm(word[ids] + type[0] + position[pos]) ⊙ M0 (sum, mean, rstd, M0 kept).
// Pooler: tanh(Wp·y[:,0] + bp) (the last hidden state and the output kept). Frozen layers below `fromLayer`
// run without a tape. The M are inverted-dropout masks (0 or 1/(1−p)) from the caller's seeded Rng.
// Word and position rows of pad_token_id get no gradient, as nn.Embedding(padding_idx) in RobertaEmbeddings.
import { InputError } from "../errors.js";
import type { Backend, DeviceArray, LayerNormCache } from "../tensor/backend.js";
import type { Rng } from "../tensor/random.js";
import { tensor, type Tensor } from "../tensor/tensor.js";
import type { RobertaConfig } from "./config.js";
import { robertaAdditiveMask, robertaPositionIds, validateRobertaInputs, type RobertaInputs, type RobertaModel } from "./roberta.js";
import type { DeviceLayerNorm, DeviceLinear, RobertaLayerWeights } from "./weights.js";

/** Which parameters train: the embeddings (only with fromLayer 0), layers fromLayer..L-1, and the pooler. */
export interface TrainableScope {
  embeddings: boolean;
  fromLayer: number;
}

export interface TrainingForwardOptions {
  /** Dropout on the embeddings and on both dense outputs of each layer (HF's hidden_dropout_prob); default 0. */
  hiddenDropout?: number;
  /** Dropout on the attention probabilities (attention_probs_dropout_prob); default 0. */
  attentionDropout?: number;
  /** Source of the dropout masks; required when a dropout is above 0. */
  rng?: Rng;
  /** false: only the last hidden state comes back to the host (hiddenStates holds just it); default true. */
  outputHiddenStates?: boolean;
}

/** Float32 copies [out,in] of the linear weights that train (the product kernels keep theirs packed). */
export interface BackwardWeights {
  /** One per layer, null for frozen layers. qkv: [3H,H]. */
  layers: ({ qkv: DeviceArray; attentionOutput: DeviceArray; intermediate: DeviceArray; output: DeviceArray } | null)[];
  /** pooler.dense.weight [H,H], null without a pooler. */
  pooler: DeviceArray | null;
}

interface LayerTape {
  x: DeviceArray; // [N,H], the layer input (hiddenStates[l], kept by the tape as the previous output)
  qkv: DeviceArray; // [N,3H]
  probs: DeviceArray; // [B,nh,T,T]
  attentionMask: DeviceArray | null; // [B,nh,T,T]
  ctx: DeviceArray; // [N,H]
  mask1: DeviceArray | null; // [N,H]
  ln1: LayerNormCache;
  a: DeviceArray; // [N,H]
  pre: DeviceArray; // [N,I]
  mask2: DeviceArray | null; // [N,H]
  ln2: LayerNormCache;
}

/** What a training forward keeps for its backward; freed by backward (or by `free` when no backward follows). */
export interface RobertaTape {
  readonly scope: TrainableScope;
  readonly inputs: RobertaInputs;
  readonly positionIds: Int32Array;
  /** The embeddings' LayerNorm cache and dropout mask; null when the embeddings are frozen. */
  readonly embeddings: { ln: LayerNormCache; mask: DeviceArray | null } | null;
  /** One per layer, null for frozen layers. */
  readonly layers: (LayerTape | null)[];
  /** The last hidden state [N,H] (on the backend; the pooler reads its first rows) and the pooler output (host). */
  readonly pooler: { last: DeviceArray; output: Float32Array } | null;
  /** Bytes of backend memory the tape holds: the saved activations. */
  readonly bytes: number;
  /** Releases the tape's arrays (done by backward). */
  free(): void;
}

export interface RobertaTrainingOutput {
  /** L+1 tensors [B,T,H], as RobertaModel.forward returns them (with dropout applied where it was on); [last] with outputHiddenStates false. */
  hiddenStates: Tensor[];
  lastHiddenState: Tensor;
  poolerOutput: Tensor | null;
  tape: RobertaTape;
}

/** Gradients of the loss with respect to the forward's outputs; absent ones are zero. */
export interface RobertaOutputGradients {
  /** L+1 entries (or fewer: missing = zero), [B,T,H] each or null. */
  dHiddenStates?: readonly (Tensor | null)[];
  /** [B,H]; the pooler's parameters get gradients only when this is given. */
  dPoolerOutput?: Tensor | null;
}

/** The arrays of one pass, allocated from the backend; `keep` marks those that stay on the tape. */
class Arrays {
  private readonly all = new Set<DeviceArray>();
  constructor(readonly be: Backend) {}
  alloc(n: number): DeviceArray {
    const a = this.be.alloc(n);
    this.all.add(a);
    return a;
  }
  upload(values: Float32Array): DeviceArray {
    const a = this.be.upload(values);
    this.all.add(a);
    return a;
  }
  free(...arrays: (DeviceArray | null)[]): void {
    for (const a of arrays) {
      if (a === null || !this.all.delete(a)) continue;
      this.be.free(a);
    }
  }
  freeAll(): void {
    for (const a of this.all) this.be.free(a);
    this.all.clear();
  }
  get bytes(): number {
    let n = 0;
    for (const a of this.all) n += 4 * a.length;
    return n;
  }
}

function checkDropout(options: TrainingForwardOptions): { hidden: number; attention: number; rng: Rng | null } {
  const hidden = options.hiddenDropout ?? 0;
  const attention = options.attentionDropout ?? 0;
  for (const [name, p] of [["hiddenDropout", hidden], ["attentionDropout", attention]] as const) {
    if (!(p >= 0 && p < 1)) throw new InputError(`trainingForward: ${name} must be in [0, 1), got ${p}`);
  }
  if ((hidden > 0 || attention > 0) && options.rng === undefined) throw new InputError("trainingForward: dropout needs an rng");
  return { hidden, attention, rng: options.rng ?? null };
}

export function checkScope(config: RobertaConfig, scope: TrainableScope): void {
  const L = config.numHiddenLayers;
  if (!Number.isInteger(scope.fromLayer) || scope.fromLayer < 0 || scope.fromLayer > L) {
    throw new InputError(`trainable scope: fromLayer must be an integer in [0, ${L}], got ${scope.fromLayer}`);
  }
  if (scope.embeddings && scope.fromLayer !== 0) throw new InputError("trainable scope: the embeddings train only with every layer (fromLayer 0)");
}

/**
 * The training-mode forward: hidden states (and pooler output) as RobertaModel.forward gives them, with
 * dropout where asked, and the tape that `robertaBackward` reads.
 */
export function robertaTrainingForward(
  model: RobertaModel, scope: TrainableScope, inputs: RobertaInputs, options: TrainingForwardOptions = {},
): RobertaTrainingOutput {
  const c = model.config;
  validateRobertaInputs(c, inputs);
  checkScope(c, scope);
  const drop = checkDropout(options);
  const { batchSize: B, seqLen: T } = inputs;
  const { hiddenSize: H, layerNormEps: eps } = c;
  const N = B * T;
  const be = model.backend;
  const w = model.weights;
  const arrays = new Arrays(be);
  const dropoutMask = (p: number, n: number): DeviceArray | null =>
    p === 0 ? null : arrays.upload(drop.rng!.fillDropoutMask(new Float32Array(n), p));
  try {
    const maskAdd = arrays.upload(robertaAdditiveMask(inputs.attentionMask));
    // hiddenStates[0] = LayerNorm(word[ids] + type[0] + position[pos]) ⊙ M0
    const positionIds = robertaPositionIds(inputs.inputIds, B, T, c.padTokenId);
    const sum0 = arrays.alloc(N * H);
    be.embeddingSum(sum0, inputs.inputIds, positionIds, w.wordEmbeddings, w.positionEmbeddings, w.tokenTypeEmbeddings, N);
    const ln0 = scope.embeddings ? { sum: sum0, mean: arrays.alloc(N), rstd: arrays.alloc(N) } : null;
    let x = arrays.alloc(N * H);
    be.addLayerNorm(x, sum0, null, w.embeddingsLayerNorm.weight, w.embeddingsLayerNorm.bias, N, H, eps, ln0);
    if (ln0 === null) arrays.free(sum0);
    const mask0 = dropoutMask(drop.hidden, N * H);
    if (mask0 !== null) be.mul(x, x, mask0, N * H);
    if (!scope.embeddings) arrays.free(mask0);
    const all = options.outputHiddenStates !== false;
    const hiddenStates = all ? [tensor([B, T, H], be.download(x))] : [];
    const layers: (LayerTape | null)[] = [];
    for (let l = 0; l < w.layers.length; l++) {
      const save = l >= scope.fromLayer;
      const { y, tape } = layerForward(model, arrays, w.layers[l]!, x, maskAdd, B, T, save, dropoutMask, drop);
      layers.push(tape);
      if (!save) arrays.free(x); // a frozen layer's input is not needed again
      x = y;
      if (all || l === w.layers.length - 1) hiddenStates.push(tensor([B, T, H], be.download(x)));
    }
    const lastHiddenState = hiddenStates[hiddenStates.length - 1]!;
    let pooler: RobertaTape["pooler"] = null;
    let poolerOutput: Tensor | null = null;
    if (w.pooler !== null) {
      // poolerOutput[b,:] = tanh(x[b,0,:]·Wpᵀ + bp), one row at a time on views of x
      const dense = arrays.alloc(B * H);
      for (let b = 0; b < B; b++) be.linear(be.view(dense, b * H, H), be.view(x, b * T * H, H), w.pooler.weight, w.pooler.bias, 1);
      be.tanh(dense, dense, B * H);
      poolerOutput = tensor([B, H], be.download(dense));
      arrays.free(dense);
      pooler = { last: x, output: poolerOutput.data };
    } else {
      arrays.free(x); // no backward reads the last output itself
    }
    const tape: RobertaTape = {
      scope: { ...scope }, inputs, positionIds, layers, pooler,
      embeddings: ln0 === null ? null : { ln: ln0, mask: mask0 },
      bytes: arrays.bytes,
      free: () => arrays.freeAll(),
    };
    return { hiddenStates, lastHiddenState, poolerOutput, tape };
  } catch (err) {
    arrays.freeAll();
    throw err;
  }
}

/** One layer forward; with `save`, what backward reads stays allocated and is returned as its tape. */
function layerForward(
  model: RobertaModel, arrays: Arrays, w: RobertaLayerWeights, x: DeviceArray, maskAdd: DeviceArray, B: number, T: number,
  save: boolean, dropoutMask: (p: number, n: number) => DeviceArray | null, drop: { hidden: number; attention: number },
): { y: DeviceArray; tape: LayerTape | null } {
  const { hiddenSize: H, numAttentionHeads: nh, intermediateSize: I, layerNormEps: eps } = model.config;
  const hd = H / nh;
  const N = B * T;
  const be = model.backend;
  const cache = (): LayerNormCache | null => (save ? { sum: arrays.alloc(N * H), mean: arrays.alloc(N), rstd: arrays.alloc(N) } : null);
  // out = LayerNorm((inp·Wᵀ + b) ⊙ M + residual), as RobertaSelfOutput and RobertaOutput; proj [N,H] is scratch
  const denseDropoutAddNorm = (
    proj: DeviceArray, inp: DeviceArray, dense: DeviceLinear, norm: DeviceLayerNorm, residual: DeviceArray,
  ): { out: DeviceArray; mask: DeviceArray | null; ln: LayerNormCache | null } => {
    be.linear(proj, inp, dense.weight, dense.bias, N);
    const mask = dropoutMask(drop.hidden, N * H);
    if (mask !== null) be.mul(proj, proj, mask, N * H);
    const ln = cache();
    const out = arrays.alloc(N * H);
    be.addLayerNorm(out, proj, residual, norm.weight, norm.bias, N, H, eps, ln);
    return { out, mask, ln };
  };
  // qkv[N,3H] = x·Wqkvᵀ + b;  ctx = (softmax(q·kᵀ/√hd + mask) ⊙ Ma)·v per head
  const qkv = arrays.alloc(N * 3 * H);
  be.linear(qkv, x, w.qkv.weight, w.qkv.bias, N);
  const probs = save ? arrays.alloc(B * nh * T * T) : null;
  const attentionMask = dropoutMask(drop.attention, B * nh * T * T);
  const ctx = arrays.alloc(N * H);
  be.attention(ctx, qkv, maskAdd, B, T, nh, hd, 1 / Math.sqrt(hd), probs, attentionMask);
  // a = LayerNorm((ctx·Woᵀ + bo) ⊙ M1 + x)
  const proj = arrays.alloc(N * H);
  const { out: a, mask: mask1, ln: ln1 } = denseDropoutAddNorm(proj, ctx, w.attentionOutput, w.attentionLayerNorm, x);
  // pre = a·W1ᵀ + b1, inter = GELU(pre)
  const pre = save ? arrays.alloc(N * I) : null;
  const inter = arrays.alloc(N * I);
  be.linear(inter, a, w.intermediate.weight, w.intermediate.bias, N, true, pre);
  // y = LayerNorm((inter·W2ᵀ + b2) ⊙ M2 + a)
  const { out: y, mask: mask2, ln: ln2 } = denseDropoutAddNorm(proj, inter, w.output, w.outputLayerNorm, a);
  arrays.free(proj, inter);
  if (!save) {
    arrays.free(qkv, attentionMask, ctx, mask1, a, mask2);
    return { y, tape: null };
  }
  return { y, tape: { x, qkv, probs: probs!, attentionMask, ctx, mask1, ln1: ln1!, a, pre: pre!, mask2, ln2: ln2! } };
}

/**
 * Bytes a training forward keeps per token for backward (the tape; the host copies of the hidden states
 * aside), for sequences of T tokens: per trainable layer 8H + I + 4 floats and nh·T attention probabilities,
 * plus 2H + nh·T with dropout; the embeddings H + 2 (+ H with dropout); the pooler H (the last hidden state).
 */
export function tapeBytesPerToken(config: RobertaConfig, T: number, scope: TrainableScope, dropout: boolean, pooler: boolean): number {
  const { hiddenSize: H, intermediateSize: I, numAttentionHeads: nh, numHiddenLayers: L } = config;
  const layer = 8 * H + I + 4 + nh * T + (dropout ? 2 * H + nh * T : 0);
  const embeddings = scope.embeddings ? H + 2 + (dropout ? H : 0) : 0;
  // maskAdd [B,T] is one float a token
  return 4 * ((L - scope.fromLayer) * layer + embeddings + 1 + (pooler ? H : 0));
}
