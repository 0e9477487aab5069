// One optimisation step of a pooler and its head on one batch:
//   pooler.forward -> head.forward -> loss -> head.backward -> pooler.backward
//   -> clip by global norm -> AdamW at the scheduled rate.
// Gradient buffers are fresh per step (the pooler and head return new ones), so nothing is zeroed.
// Optimizer state and saved weights use the names `pooler.<name>` and `head.<name>`.
// Legend: B batch, D pooled size, k head outputs.
import type { Pooler, PoolerInput } from "../pooling/pooler.js";
import type { Rng } from "../tensor/random.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import type { Head } from "./heads/index.js";
import { taskLoss } from "./losses.js";
import { clipGradNorm, globalGradNorm, type AdamW } from "./optim.js";
import type { Task } from "./task.js";

/** Pooler and head parameters under `pooler.<name>` and `head.<name>` (the same tensors, not copies). */
export function trainableParameters(pooler: Pooler, head: Head): Map<string, Tensor<FloatArray>> {
  return prefixed(pooler.parameters, head.parameters);
}

function prefixed(pooler: Map<string, Tensor<FloatArray>>, head: Map<string, Tensor<FloatArray>>): Map<string, Tensor<FloatArray>> {
  const all = new Map<string, Tensor<FloatArray>>();
  for (const [name, t] of pooler) all.set(`pooler.${name}`, t);
  for (const [name, t] of head) all.set(`head.${name}`, t);
  return all;
}

export interface StepOptions {
  /** Learning rate of this step (the schedule's value). */
  lr: number;
  /** Clip the global gradient norm to this; null = no clipping. */
  maxGradNorm: number | null;
  /** Training mode (dropout on) and its mask source. */
  training?: boolean;
  rng?: Rng;
}

/**
 * One optimisation step on one batch: forward, loss, backward through head and pooler, clipping,
 * AdamW. `targets` as in EncodedLabels.values for the batch rows. Returns the loss before the update
 * and the gradient norm before clipping; when either is not finite the parameters are left untouched.
 */
export function trainingStep(
  pooler: Pooler, head: Head, optimizer: AdamW, task: Task,
  input: PoolerInput, targets: ArrayLike<number>, options: StepOptions,
): { loss: number; gradNorm: number } {
  const training = options.training ?? true;
  const pooled = pooler.forward(input);
  const out = head.forward(pooled.pooled, { training, rng: options.rng });
  const { loss, dLogits } = taskLoss(task, out.logits, targets);
  const headGrads = head.backward(out, dLogits);
  const poolerGrads = pooler.backward(pooled, headGrads.dx);
  const grads = prefixed(poolerGrads.dParameters, headGrads.dParameters);
  const gradNorm = options.maxGradNorm === null ? globalGradNorm(grads) : clipGradNorm(grads, options.maxGradNorm);
  if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) return { loss, gradNorm };
  optimizer.step(grads, options.lr);
  return { loss, gradNorm };
}
