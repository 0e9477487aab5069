// Masked-language-model pre-training of a RoBERTa (RobertaForMaskedLM): the step, the held-out
// evaluation and the state a run needs to stop and resume exactly. One step takes the next B packed
// rows of the epoch's seeded order, masks them (src/train/mlm.ts), runs the encoder in training mode,
// the tied LM head on the chosen positions only (the loss reads no other row), and backward through
// both; then gradient clipping and one AdamW update at the scheduled rate.
// Legend: B rows per step, T tokens per row, N = B·T, M chosen positions, H hidden, V vocab.
import type { RobertaConfig } from "../encoder/config.js";
import {
  allocLmHeadGrads, downloadLmHeadGrads, freeLmHead, freeLmHeadCache, freeLmHeadGrads, lmHeadBackward, lmHeadForward,
  uploadLmHead,
} from "../encoder/lm-head.js";
import { TrainingError } from "../errors.js";
import type { Backend } from "../tensor/backend.js";
import { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { maskedLmLoss, maskTokens, type MaskedBatch, type MlmVocab } from "./mlm.js";
import { AdamW, clipGradNorm, type Moments } from "./optim.js";
import { makeSchedule, type Schedule, type ScheduleKind } from "./schedule.js";

/** One forward of the encoder in training mode, and its way back. */
export interface EncoderPass {
  /** The last hidden state [N,H] on the host. */
  hidden: Float32Array;
  /** Accumulates (+=) the encoder's parameter gradients (by Hugging Face name) from dHidden [N,H]. */
  backward(dHidden: Float32Array, grads: Map<string, Float32Array>): void;
  /** Releases what the pass holds in backend memory. */
  free(): void;
}

/**
 * What pre-training needs of an encoder whose parameters are tensors of the pre-trainer's `params` map
 * (shared, not copied: the optimizer updates them in place).
 */
export interface MlmEncoder {
  readonly config: RobertaConfig;
  readonly backend: Backend;
  /** Parameters the encoder's backward gives gradients for (Hugging Face names, no `roberta.` prefix). */
  readonly trainable: readonly string[];
  /**
   * Runs on rows [B,T] (no padding). `train`: keep what backward needs (else `backward` must not be
   * called); dropout masks from `rng` when it is given.
   */
  forward(inputIds: Int32Array, B: number, T: number, options: { train: boolean; rng: Rng | null }): EncoderPass;
  /** Called after every optimizer step: the parameters' values have changed. */
  parametersChanged(): void;
}

export interface PretrainOptions {
  /** Rows per optimizer step (B). */
  batchSize: number;
  /** Optimizer steps the schedule spans (warm-up, then decay to 0 at this step). */
  totalSteps: number;
  warmupSteps: number;
  schedule: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** Global gradient-norm clip (torch's clip_grad_norm_). */
  maxGradNorm: number;
  /** Fraction of tokens chosen for the loss (0.15). */
  maskProbability: number;
  /** Seeds the epoch order, the masks and the dropout. */
  seed: number;
}

/** Where a run is: with the parameters and the optimizer's moments, all that resuming needs. */
export interface PretrainState {
  /** Optimizer steps taken. */
  step: number;
  /** Current epoch (0-based) and the next row of its order. */
  epoch: number;
  index: number;
  /** Tokens (rows × T) the steps have consumed. */
  tokensSeen: number;
  /** Generator states of the masking and of the dropout. */
  maskRng: number;
  dropoutRng: number;
}

/** What one step reports. */
export interface StepRecord {
  step: number;
  loss: number;
  /** Fraction of the step's chosen positions predicted right. */
  accuracy: number;
  lr: number;
  gradNorm: number;
  tokens: number;
}

/** Held-out loss and accuracy over the same masked positions every time. */
export interface MlmEvaluation {
  loss: number;
  accuracy: number;
  positions: number;
}

/** The order of the rows in `epoch`: a seeded shuffle, so a position (epoch, index) names a batch. */
export function epochOrder(seed: number, epoch: number, rows: number): number[] {
  return new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0).shuffle([...Array(rows).keys()]);
}

/** Distinct seeds for the masking, the dropout and the held-out masks, all from the run's seed. */
function subSeed(seed: number, stream: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 2654435761) + stream * 0x27d4eb2f) >>> 0;
}

/** The state of a fresh run. */
export function initialPretrainState(seed: number): PretrainState {
  return { step: 0, epoch: 0, index: 0, tokensSeen: 0, maskRng: subSeed(seed, 1), dropoutRng: subSeed(seed, 2) };
}

/**
 * Pre-trains `params` (encoder and lm_head.*, by Hugging Face name without the `roberta.` prefix) on
 * packed rows. Owns the optimizer and the generators; `step()` takes one step, `evaluate()` scores
 * held-out rows, and `state` with `params` and `optimizerState()` is a checkpoint.
 */
export class MlmPretrainer {
  readonly optimizer: AdamW;
  private readonly schedule: Schedule;
  private readonly trainable: Map<string, Tensor>;
  private order: number[];
  private maskRng: Rng;
  private dropoutRng: Rng;

  constructor(
    readonly encoder: MlmEncoder,
    readonly params: Map<string, Tensor>,
    readonly vocab: MlmVocab,
    readonly rows: { data: Int32Array; count: number; T: number },
    readonly options: PretrainOptions,
    readonly state: PretrainState = initialPretrainState(options.seed),
    readonly dropout = 0,
  ) {
    if (rows.count < options.batchSize) {
      throw new TrainingError(`pretrain: ${rows.count} training rows of ${rows.T} tokens, fewer than one batch of ${options.batchSize}`);
    }
    const names = new Set([...encoder.trainable, ...[...params.keys()].filter((n) => n.startsWith("lm_head."))]);
    this.trainable = new Map([...params].filter(([name]) => names.has(name)));
    this.optimizer = new AdamW(this.trainable, { lr: options.lr, betas: options.betas, eps: options.eps, weightDecay: options.weightDecay });
    this.optimizer.stepCount = state.step;
    this.schedule = makeSchedule({ kind: options.schedule, warmupSteps: options.warmupSteps, totalSteps: options.totalSteps });
    this.order = epochOrder(options.seed, state.epoch, rows.count);
    this.maskRng = Rng.fromState(state.maskRng);
    this.dropoutRng = Rng.fromState(state.dropoutRng);
  }

  /** The optimizer's moments and step count (the arrays themselves: serialise before the next step). */
  optimizerState(): { stepCount: number; moments: Map<string, Moments> } {
    return this.optimizer.exportState();
  }

  /** Restores moments saved by optimizerState (from a checkpoint of the same run). */
  restoreOptimizer(saved: { stepCount: number; moments: Map<string, Moments> }): void {
    this.optimizer.importState(saved);
  }

  /** The next B rows of the epoch's order, moving to the next epoch when too few remain. */
  private nextBatch(): Int32Array {
    const { batchSize: B } = this.options;
    const { T, data, count } = this.rows;
    if (this.state.index + B > count) {
      this.state.epoch++;
      this.state.index = 0;
      this.order = epochOrder(this.options.seed, this.state.epoch, count);
    }
    const ids = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const row = this.order[this.state.index + b]!;
      ids.set(data.subarray(row * T, (row + 1) * T), b * T);
    }
    this.state.index += B;
    return ids;
  }

  /** One optimizer step on the next batch. */
  step(): StepRecord {
    const { batchSize: B } = this.options;
    const T = this.rows.T;
    const batch = maskTokens(this.nextBatch(), this.maskRng, this.vocab, this.options.maskProbability);
    const { loss, correct, grads } = this.lossAndGradients(batch, B, T, this.dropout > 0 ? this.dropoutRng : null);
    const gradTensors = new Map([...grads].map(([name, g]) => [name, { data: g, shape: this.trainable.get(name)!.shape }]));
    const gradNorm = this.options.maxGradNorm > 0 ? clipGradNorm(gradTensors, this.options.maxGradNorm) : NaN;
    const lr = this.options.lr * this.schedule(this.state.step);
    this.optimizer.step(gradTensors, lr);
    this.encoder.parametersChanged();
    this.state.step++;
    this.state.tokensSeen += B * T;
    this.state.maskRng = this.maskRng.getState();
    this.state.dropoutRng = this.dropoutRng.getState();
    if (!Number.isFinite(loss)) throw new TrainingError(`pretrain: the loss became ${loss} at step ${this.state.step}; lower --lr`);
    return { step: this.state.step, loss, accuracy: correct / batch.labels.length, lr, gradNorm, tokens: B * T };
  }

  /**
   * Loss, hits and the gradient of every trained parameter (by Hugging Face name) on one masked batch of
   * B rows of T tokens; dropout (training mode) with masks from `rng` when given.
   */
  lossAndGradients(batch: MaskedBatch, B: number, T: number, rng: Rng | null = null): { loss: number; correct: number; grads: Map<string, Float32Array> } {
    const grads = new Map([...this.trainable].map(([name, p]) => [name, new Float32Array(p.data.length)]));
    const { loss, correct } = this.forwardBackward(batch.inputIds, batch.positions, batch.labels, B, T, rng, grads);
    return { loss, correct, grads };
  }

  /**
   * Loss and hits of one masked batch; with `grads`, backward through the head and the encoder into it.
   * The encoder's last hidden state is gathered at the M chosen positions, the head runs on those rows.
   */
  private forwardBackward(
    inputIds: Int32Array, positions: Int32Array, labels: Int32Array, B: number, T: number, rng: Rng | null,
    grads: Map<string, Float32Array> | null,
  ): { loss: number; correct: number } {
    const { config, backend: be } = this.encoder;
    const H = config.hiddenSize;
    const V = config.vocabSize;
    const M = positions.length;
    const pass = this.encoder.forward(inputIds, B, T, { train: grads !== null, rng });
    const head = uploadLmHead(be, config, this.params);
    // x[m,:] = hidden[positions[m],:]
    const xHost = new Float32Array(M * H);
    for (let m = 0; m < M; m++) xHost.set(pass.hidden.subarray(positions[m]! * H, (positions[m]! + 1) * H), m * H);
    const x = be.upload(xHost);
    const { logits, cache } = lmHeadForward(be, head, x, M, config);
    try {
      const result = maskedLmLoss(be.download(logits), labels, V);
      if (grads !== null) {
        const g = allocLmHeadGrads(be, config);
        const dx = be.alloc(M * H);
        const dLogits = be.upload(result.dLogits);
        lmHeadBackward(be, head, cache, dLogits, g, dx, config);
        for (const [name, value] of downloadLmHeadGrads(be, g)) addInto(grads, name, value);
        // dHidden[positions[m],:] = dx[m,:]; every other row's gradient is 0
        const dxHost = be.download(dx);
        const dHidden = new Float32Array(B * T * H);
        for (let m = 0; m < M; m++) dHidden.set(dxHost.subarray(m * H, (m + 1) * H), positions[m]! * H);
        for (const a of [dx, dLogits]) be.free(a);
        freeLmHeadGrads(be, g);
        pass.backward(dHidden, grads);
      }
      return { loss: result.loss, correct: result.correct };
    } finally {
      freeLmHeadCache(be, cache);
      for (const a of [x, logits]) be.free(a);
      freeLmHead(be, head);
      pass.free();
    }
  }

  /** Loss and accuracy on held-out rows [R,T], each masked from a fixed seed (the same positions every call). */
  evaluate(rows: { data: Int32Array; count: number; T: number }): MlmEvaluation {
    const rng = new Rng(subSeed(this.options.seed, 3));
    const { T } = rows;
    let lossSum = 0;
    let hits = 0;
    let positions = 0;
    for (let start = 0; start < rows.count; start += this.options.batchSize) {
      const B = Math.min(this.options.batchSize, rows.count - start);
      const batch = maskTokens(rows.data.subarray(start * T, (start + B) * T), rng, this.vocab, this.options.maskProbability);
      const { loss, correct } = this.forwardBackward(batch.inputIds, batch.positions, batch.labels, B, T, null, null);
      lossSum += loss * batch.labels.length;
      hits += correct;
      positions += batch.labels.length;
    }
    return { loss: lossSum / Math.max(1, positions), accuracy: hits / Math.max(1, positions), positions };
  }

  /** The held-out labels evaluate() scores (for the unigram baseline on the same positions). */
  heldOutLabels(rows: { data: Int32Array; count: number; T: number }): Int32Array {
    const rng = new Rng(subSeed(this.options.seed, 3));
    const out: number[] = [];
    for (let start = 0; start < rows.count; start += this.options.batchSize) {
      const B = Math.min(this.options.batchSize, rows.count - start);
      out.push(...maskTokens(rows.data.subarray(start * rows.T, (start + B) * rows.T), rng, this.vocab, this.options.maskProbability).labels);
    }
    return Int32Array.from(out);
  }
}

/** grads[name] += value, for the names being trained (the tied weight only when the encoder trains it). */
function addInto(grads: Map<string, Float32Array>, name: string, value: Float32Array): void {
  const g = grads.get(name);
  if (g === undefined) return;
  for (let i = 0; i < g.length; i++) g[i] = g[i]! + value[i]!;
}

