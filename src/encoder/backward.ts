// The hand-written backward of the RoBERTa encoder, from the tape of robertaTrainingForward (training.ts):
// the forward's ops in reverse through the Backend seam, each parameter's gradient accumulated in a
// backend array and handed back under its Hugging Face state_dict name. Embedding rows are gathered on
// the host (the tables are not trainable arrays of the backend), as is the pooler's tanh derivative.
// Legend: B batch, T tokens, N = B·T, H hidden, nh heads, hd = H/nh, I intermediate, L layers, V vocab.
// Backward of layer l, given dy = dLoss/dy [N,H] (the layer's output):
//   dsum2 = LayerNorm₂'(dy)            da = dsum2 (residual)       dout = dsum2 ⊙ M2
//   dinter = dout·W2, dW2 += doutᵀ·GELU(pre)                    dpre = dinter ⊙ GELU'(pre)
//   da += dpre·W1, dW1 += dpreᵀ·a
//   dsum1 = LayerNorm₁'(da)            dx = dsum1 (residual)       dproj = dsum1 ⊙ M1
//   dctx = dproj·Wo, dWo += dprojᵀ·ctx                          dqkv = Attention'(dctx; P, Ma)
//   dx += dqkv·Wqkv, dWqkv += dqkvᵀ·x
import { InputError } from "../errors.js";
import type { DeviceArray } from "../tensor/backend.js";
import { shapeToString, type Tensor } from "../tensor/tensor.js";
import type { RobertaModel } from "./roberta.js";
import type { BackwardWeights, RobertaOutputGradients, RobertaTape } from "./training.js";
import type { RobertaLayerWeights } from "./weights.js";

/** Gradient arrays of one part of the model, by HF name, downloaded to host tensors and freed together. */
class Gradients {
  private readonly device = new Map<string, { array: DeviceArray; shape: number[] }>();
  constructor(private readonly model: RobertaModel, readonly out: Map<string, Tensor>) {}

  /** A zero-filled backend array for the gradient of `name` [shape]. */
  zeros(name: string, shape: number[]): DeviceArray {
    const array = this.model.backend.alloc(shape.reduce((a, b) => a * b, 1));
    this.device.set(name, { array, shape });
    return array;
  }

  /** Downloads every array to `out` (the fused qkv split into query, key and value) and frees them. */
  flush(): void {
    const be = this.model.backend;
    for (const [name, { array, shape }] of this.device) {
      const data = be.download(array);
      be.free(array);
      const fused = /^(encoder\.layer\.\d+\.attention\.self)\.qkv\.(weight|bias)$/.exec(name);
      if (fused === null) {
        this.out.set(name, { data, shape });
        continue;
      }
      // rows 0..H-1 are the query's, H..2H-1 the key's, 2H..3H-1 the value's
      const third = data.length / 3;
      ["query", "key", "value"].forEach((part, i) => {
        const partShape = shape.length === 2 ? [shape[0]! / 3, shape[1]!] : [shape[0]! / 3];
        this.out.set(`${fused[1]}.${part}.${fused[2]}`, { data: data.slice(i * third, (i + 1) * third), shape: partShape });
      });
    }
    this.device.clear();
  }

  freeAll(): void {
    for (const { array } of this.device.values()) this.model.backend.free(array);
    this.device.clear();
  }
}

function checkGradient(what: string, t: Tensor | null | undefined, shape: number[]): Float32Array | null {
  if (t === null || t === undefined) return null;
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    throw new InputError(`robertaBackward: ${what} is ${shapeToString(t.shape)}, expected ${shapeToString(shape)}`);
  }
  return t.data;
}

/**
 * Backward from the gradients of the forward's outputs to every trainable parameter (the tape's scope:
 * the layers from `fromLayer`, the embeddings when they train, the pooler when dPoolerOutput is given).
 * Returns fresh host tensors under HF names (`encoder.layer.3.attention.self.query.weight`, ...), the
 * frozen parameters absent. Frees the tape.
 * @example
 * const out = robertaTrainingForward(model, scope, inputs);
 * const grads = robertaBackward(model, weights, out.tape, { dHiddenStates: [..., dLast] });
 */
export function robertaBackward(
  model: RobertaModel, weights: BackwardWeights, tape: RobertaTape, gradients: RobertaOutputGradients,
): Map<string, Tensor> {
  const c = model.config;
  const { batchSize: B, seqLen: T } = tape.inputs;
  const { hiddenSize: H, numHiddenLayers: L } = c;
  const N = B * T;
  const be = model.backend;
  const out = new Map<string, Tensor>();
  const grads = new Gradients(model, out);
  let dy: DeviceArray | null = null;
  const uploads: DeviceArray[] = [];
  try {
    const dHidden = (l: number): Float32Array | null => checkGradient(`dHiddenStates[${l}]`, gradients.dHiddenStates?.[l], [B, T, H]);
    // dy of the last layer: dHiddenStates[L], plus the pooler's gradient on the first row of each sequence
    const given = dHidden(L);
    dy = given === null ? be.alloc(N * H) : be.upload(given);
    const dPooled = checkGradient("dPoolerOutput", gradients.dPoolerOutput, [B, H]);
    if (dPooled !== null && tape.pooler !== null) poolerBackward(model, weights, tape, dPooled, dy, grads, uploads);
    for (let l = L - 1; l >= tape.scope.fromLayer; l--) {
      const dx = layerBackward(model, l, weights, tape, dy, grads);
      be.free(dy);
      dy = dx;
      grads.flush();
      const extra = dHidden(l);
      if (extra !== null) {
        const g = be.upload(extra);
        be.add(dy, dy, g, N * H);
        be.free(g);
      }
    }
    if (tape.embeddings !== null) embeddingsBackward(model, tape, dy, grads);
    grads.flush();
    return out;
  } finally {
    grads.freeAll();
    if (dy !== null) be.free(dy);
    for (const a of uploads) be.free(a);
    tape.free();
  }
}

/**
 * pooler[b] = tanh(x[b,0]·Wpᵀ + bp): dpre = dPooled ⊙ (1 − pooler²) (on the host), then the linear backward
 * row by row on views, adding dx[b,0] into dLast [N,H].
 */
function poolerBackward(
  model: RobertaModel, weights: BackwardWeights, tape: RobertaTape, dPooled: Float32Array, dLast: DeviceArray,
  grads: Gradients, uploads: DeviceArray[],
): void {
  const be = model.backend;
  const H = model.config.hiddenSize;
  const { batchSize: B, seqLen: T } = tape.inputs;
  const { last, output } = tape.pooler!;
  const dPreHost = new Float32Array(B * H);
  // dpre = dPooled · (1 − tanh²)
  for (let i = 0; i < B * H; i++) dPreHost[i] = dPooled[i]! * (1 - output[i]! * output[i]!);
  const dPre = be.upload(dPreHost);
  uploads.push(dPre);
  const dWeight = grads.zeros("pooler.dense.weight", [H, H]);
  const dBias = grads.zeros("pooler.dense.bias", [H]);
  for (let b = 0; b < B; b++) {
    be.linearBackward(be.view(dLast, b * T * H, H), dWeight, dBias, be.view(dPre, b * H, H), be.view(last, b * T * H, H), weights.pooler!, 1, H, H);
  }
}

/** One layer's backward (see the file comment); returns dx [N,H], a new array the caller frees. */
function layerBackward(model: RobertaModel, l: number, weights: BackwardWeights, tape: RobertaTape, dy: DeviceArray, grads: Gradients): DeviceArray {
  const { hiddenSize: H, numAttentionHeads: nh, intermediateSize: I } = model.config;
  const { batchSize: B, seqLen: T } = tape.inputs;
  const hd = H / nh;
  const N = B * T;
  const be = model.backend;
  const t = tape.layers[l]!;
  const w: RobertaLayerWeights = model.weights.layers[l]!;
  const bw = weights.layers[l]!;
  const p = `encoder.layer.${l}`;
  const scratch: DeviceArray[] = [];
  const alloc = (n: number): DeviceArray => {
    const a = be.alloc(n);
    scratch.push(a);
    return a;
  };
  try {
    // dsum2 = LayerNorm₂'(dy); da = dsum2; dout = dsum2 ⊙ M2
    const da = be.alloc(N * H); // returned as dx in the end: the same array carries dsum2, da, then dx
    be.layerNormBackward(da, grads.zeros(`${p}.output.LayerNorm.weight`, [H]), grads.zeros(`${p}.output.LayerNorm.bias`, [H]), dy, t.ln2, w.outputLayerNorm.weight, N, H);
    let dOut = da;
    if (t.mask2 !== null) be.mul((dOut = alloc(N * H)), da, t.mask2, N * H);
    // dinter = dout·W2; dW2 += doutᵀ·GELU(pre); db2 += Σ dout
    const inter = alloc(N * I);
    be.gelu(inter, t.pre, N * I);
    const dInter = alloc(N * I);
    be.linearBackward(dInter, grads.zeros(`${p}.output.dense.weight`, [H, I]), grads.zeros(`${p}.output.dense.bias`, [H]), dOut, inter, bw.output, N, I, H);
    // dpre = dinter ⊙ GELU'(pre); da += dpre·W1; dW1 += dpreᵀ·a
    const dPre = alloc(N * I);
    be.geluBackward(dPre, dInter, t.pre, N * I);
    be.linearBackward(da, grads.zeros(`${p}.intermediate.dense.weight`, [I, H]), grads.zeros(`${p}.intermediate.dense.bias`, [I]), dPre, t.a, bw.intermediate, N, H, I);
    // dsum1 = LayerNorm₁'(da); dx = dsum1; dproj = dsum1 ⊙ M1
    const dx = be.alloc(N * H);
    be.layerNormBackward(dx, grads.zeros(`${p}.attention.output.LayerNorm.weight`, [H]), grads.zeros(`${p}.attention.output.LayerNorm.bias`, [H]), da, t.ln1, w.attentionLayerNorm.weight, N, H);
    be.free(da);
    let dProj = dx;
    if (t.mask1 !== null) be.mul((dProj = alloc(N * H)), dx, t.mask1, N * H);
    // dctx = dproj·Wo; dWo += dprojᵀ·ctx
    const dCtx = alloc(N * H);
    be.linearBackward(dCtx, grads.zeros(`${p}.attention.output.dense.weight`, [H, H]), grads.zeros(`${p}.attention.output.dense.bias`, [H]), dProj, t.ctx, bw.attentionOutput, N, H, H);
    // dqkv = Attention'(dctx); dx += dqkv·Wqkv; dWqkv += dqkvᵀ·x
    const dQkv = alloc(N * 3 * H);
    be.attentionBackward(dQkv, dCtx, t.qkv, t.probs, B, T, nh, hd, 1 / Math.sqrt(hd), t.attentionMask);
    be.linearBackward(dx, grads.zeros(`${p}.attention.self.qkv.weight`, [3 * H, H]), grads.zeros(`${p}.attention.self.qkv.bias`, [3 * H]), dQkv, t.x, bw.qkv, N, H, 3 * H);
    return dx;
  } finally {
    for (const a of scratch) be.free(a);
  }
}

/**
 * hiddenStates[0] = LayerNorm(sum) ⊙ M0 with sum = word[ids] + type[0] + position[pos]: the LayerNorm
 * backward on the backend, then dsum's rows added to the table rows they came from, on the host.
 */
function embeddingsBackward(model: RobertaModel, tape: RobertaTape, dx: DeviceArray, grads: Gradients): void {
  const c = model.config;
  const { hiddenSize: H, padTokenId: pad } = c;
  const { inputIds } = tape.inputs;
  const N = inputIds.length;
  const be = model.backend;
  const e = tape.embeddings!;
  if (e.mask !== null) be.mul(dx, dx, e.mask, N * H);
  const dSum = be.alloc(N * H);
  try {
    const ln = model.weights.embeddingsLayerNorm;
    be.layerNormBackward(dSum, grads.zeros("embeddings.LayerNorm.weight", [H]), grads.zeros("embeddings.LayerNorm.bias", [H]), dx, e.ln, ln.weight, N, H);
    const d = be.download(dSum);
    const word = new Float32Array(c.vocabSize * H);
    const position = new Float32Array(c.maxPositionEmbeddings * H);
    const tokenType = new Float32Array(c.typeVocabSize * H);
    // dword[ids[n]] += dsum[n] and dposition[pos[n]] += dsum[n], except the padding rows; dtype[0] += dsum[n]
    for (let n = 0; n < N; n++) {
      const row = d.subarray(n * H, (n + 1) * H);
      const id = inputIds[n]!;
      const pos = tape.positionIds[n]!;
      for (let h = 0; h < H; h++) {
        if (id !== pad) word[id * H + h]! += row[h]!;
        if (pos !== pad) position[pos * H + h]! += row[h]!;
        tokenType[h]! += row[h]!;
      }
    }
    grads.out.set("embeddings.word_embeddings.weight", { data: word, shape: [c.vocabSize, H] });
    grads.out.set("embeddings.position_embeddings.weight", { data: position, shape: [c.maxPositionEmbeddings, H] });
    grads.out.set("embeddings.token_type_embeddings.weight", { data: tokenType, shape: [c.typeVocabSize, H] });
  } finally {
    be.free(dSum);
  }
}
