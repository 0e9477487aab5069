// One optimisation step of encoder + pooler + head (fine-tuning), with gradient accumulation:
//   for each micro-batch: encoder.forward (training mode) -> pooler -> head -> loss / K
//                         -> head.backward -> pooler.backward -> encoder.backward   (gradients summed)
//   then clip by the global norm of all of them, AdamW (each parameter at its own rate), encoder.sync().
// Names in the optimizer: `roberta.<HF name>` for the encoder (as RobertaForSequenceClassification
// names them), `pooler.<name>` and `head.<name>` as in step.ts.
// Legend: B batch, T tokens, L layers, k head outputs.
import type { RobertaInputs } from "../encoder/roberta.js";
import type { TrainableRoberta } from "../encoder/trainable.js";
import { TrainingError } from "../errors.js";
import type { Pooler } from "../pooling/pooler.js";
import type { Rng } from "../tensor/random.js";
import { tensor, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { Head } from "./heads/index.js";
import { taskLoss } from "./losses.js";
import { clipGradNorm, globalGradNorm, type AdamW } from "./optim.js";
import { trainableParameters } from "./step.js";
import type { Task } from "./task.js";

/** The encoder prefix in optimizer and snapshot names. */
export const ENCODER_PREFIX = "roberta.";

/**
 * The encoder parameters that fine-tuning updates: the trainable ones except HF's pooler.dense.*, which
 * no pooler of ours reads (PyTorch's AdamW would skip it too: it never gets a gradient).
 */
export function fineTunedEncoderNames(encoder: TrainableRoberta): string[] {
  return encoder.trainableNames().filter((n) => !n.startsWith("pooler."));
}

/** Encoder, pooler and head parameters under `roberta.<HF name>`, `pooler.<name>`, `head.<name>` (the same tensors). */
export function fineTuneParameters(encoder: TrainableRoberta, pooler: Pooler, head: Head): Map<string, Tensor<FloatArray>> {
  const all = new Map<string, Tensor<FloatArray>>();
  for (const name of fineTunedEncoderNames(encoder)) all.set(ENCODER_PREFIX + name, encoder.parameters.get(name)!);
  for (const [name, t] of trainableParameters(pooler, head)) all.set(name, t);
  return all;
}

/**
 * The rate factor of each encoder parameter: encoderLr / lr, times decay^(L−1−l) for layer l and
 * decay^L for the embeddings (layer-wise learning-rate decay: the top layer at the encoder rate).
 */
export function encoderLrScales(encoder: TrainableRoberta, lr: number, encoderLr: number, layerDecay: number): Map<string, number> {
  const L = encoder.config.numHiddenLayers;
  const scales = new Map<string, number>();
  for (const name of fineTunedEncoderNames(encoder)) {
    const layer = /^encoder\.layer\.(\d+)\./.exec(name);
    const depth = name.startsWith("embeddings.") ? L : layer === null ? 0 : L - 1 - Number(layer[1]);
    scales.set(ENCODER_PREFIX + name, (encoderLr / lr) * layerDecay ** depth);
  }
  return scales;
}

/** One micro-batch: padded inputs and the targets of its rows. */
export interface MicroBatch {
  inputs: RobertaInputs;
  targets: ArrayLike<number>;
}

export interface FineTuneStepOptions {
  lr: number;
  maxGradNorm: number | null;
  /** Dropout of the encoder (hidden and attention probabilities) and the head, from `rng`. */
  hiddenDropout: number;
  attentionDropout: number;
  rng: Rng;
}

/** Adds `g` into the sum for `name` (the first gradient is taken over). */
function accumulate(sum: Map<string, Tensor<FloatArray>>, name: string, g: Tensor<FloatArray>): void {
  const have = sum.get(name);
  if (have === undefined) {
    sum.set(name, g);
    return;
  }
  for (let i = 0; i < have.data.length; i++) have.data[i]! += g.data[i]!;
}

/**
 * One optimizer step over K micro-batches (gradient accumulation: each micro-batch's mean loss counts 1/K).
 * Returns the mean loss and the gradient norm before clipping; nothing is updated when either is not finite.
 */
export function fineTuneStep(
  encoder: TrainableRoberta, pooler: Pooler, head: Head, optimizer: AdamW, task: Task,
  micro: readonly MicroBatch[], options: FineTuneStepOptions,
): { loss: number; gradNorm: number } {
  if (micro.length === 0) throw new TrainingError("fineTuneStep: no micro-batch");
  const K = micro.length;
  const grads = new Map<string, Tensor<FloatArray>>();
  let lossSum = 0;
  const encoderNames = new Set(fineTunedEncoderNames(encoder));
  for (const { inputs, targets } of micro) {
    const out = encoder.forward(inputs, { hiddenDropout: options.hiddenDropout, attentionDropout: options.attentionDropout, rng: options.rng });
    let encoderGrads: Map<string, Tensor>;
    try {
      // a float64 pooler (gradient checks, parity tests) reads the Float32 hidden states widened
      const hiddenStates = pooler.dtype === "float64" ? out.hiddenStates.map((h) => ({ data: Float64Array.from(h.data), shape: h.shape })) : out.hiddenStates;
      const pooled = pooler.forward({ hiddenStates, attentionMask: inputs.attentionMask });
      const headOut = head.forward(pooled.pooled, { training: true, rng: options.rng });
      const { loss, dLogits } = taskLoss(task, headOut.logits, targets);
      lossSum += loss;
      // d(loss / K) = dLogits / K
      for (let i = 0; i < dLogits.data.length; i++) dLogits.data[i] = dLogits.data[i]! / K;
      const headGrads = head.backward(headOut, dLogits);
      const poolerGrads = pooler.backward(pooled, headGrads.dx);
      for (const [n, g] of poolerGrads.dParameters) accumulate(grads, `pooler.${n}`, g);
      for (const [n, g] of headGrads.dParameters) accumulate(grads, `head.${n}`, g);
      const dHiddenStates = poolerGrads.dHiddenStates.map((d) => (d === null ? null : tensor(d.shape, Float32Array.from(d.data))));
      encoderGrads = encoder.backward(out.tape, { dHiddenStates });
    } catch (err) {
      out.tape.free();
      throw err;
    }
    for (const [n, g] of encoderGrads) if (encoderNames.has(n)) accumulate(grads, ENCODER_PREFIX + n, g);
  }
  // a parameter no micro-batch reached (a layer no pooler reads above) has gradient 0
  for (const [name, p] of optimizer.parameters) if (!grads.has(name)) grads.set(name, { data: new Float32Array(p.data.length), shape: p.shape });
  const loss = lossSum / K;
  const gradNorm = options.maxGradNorm === null ? globalGradNorm(grads) : clipGradNorm(grads, options.maxGradNorm);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm };
  optimizer.step(grads, options.lr);
  encoder.sync();
  return { loss, gradNorm };
}
