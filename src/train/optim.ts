// The optimizer and gradient clipping, step for step as torch.optim.AdamW and
// torch.nn.utils.clip_grad_norm_ (PyTorch 1.13), so that a training step here equals one there.
// Parameters and gradients are maps from PyTorch state_dict names to tensors of the same shape;
// the optimizer updates the parameter tensors in place and keeps its moments per name.
import { TrainingError } from "../errors.js";
import { sameShape, shapeToString, type FloatArray, type Tensor } from "../tensor/tensor.js";

export interface AdamWOptions {
  /** Learning rate (the base rate; a schedule passes the current one to `step`). Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to √v̂ for stability. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay: p ← p − lr·weightDecay·p before the Adam update. Default 0.01. */
  weightDecay?: number;
  /**
   * A factor on the rate per parameter name (default 1): PyTorch's parameter groups with lr = base·factor,
   * each scaled alike by the schedule, e.g. a lower rate for the encoder and layer-wise decay.
   */
  lrScales?: Map<string, number>;
}

export interface Moments {
  expAvg: Float64Array;
  expAvgSq: Float64Array;
}

/**
 * AdamW (Loshchilov & Hutter) exactly as `torch.optim.AdamW`: decoupled weight decay, then Adam with
 * bias corrections. One step count shared by all parameters (they always step together here).
 * @example
 * const opt = new AdamW(params, { lr: 2e-5, weightDecay: 0.01 });
 * opt.step(grads); // or opt.step(grads, scheduledLr)
 */
export class AdamW {
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** Number of steps taken so far. */
  stepCount = 0;
  private readonly moments = new Map<string, Moments>();
  private readonly lrScales: Map<string, number>;

  constructor(
    readonly parameters: Map<string, Tensor<FloatArray>>,
    options: AdamWOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.lrScales = options.lrScales ?? new Map();
    for (const [name, f] of this.lrScales) {
      if (!parameters.has(name) || !(f >= 0)) throw new TrainingError(`AdamW: lrScales has ${name} = ${f}, not a parameter's non-negative factor`);
    }
    const [b1, b2] = this.betas;
    if (!(this.lr >= 0) || !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1) || !(this.eps >= 0) || !(this.weightDecay >= 0)) {
      throw new TrainingError(
        `AdamW: invalid options lr=${this.lr} betas=[${b1},${b2}] eps=${this.eps} weightDecay=${this.weightDecay}`,
      );
    }
    for (const [name, p] of parameters) {
      this.moments.set(name, { expAvg: new Float64Array(p.data.length), expAvgSq: new Float64Array(p.data.length) });
    }
  }

  /**
   * The moments of every parameter (exp_avg and exp_avg_sq, Float64) and the step count: with the
   * parameters, all a run needs to resume exactly. The arrays are the optimizer's own (copy to keep).
   */
  exportState(): { stepCount: number; moments: Map<string, Moments> } {
    return { stepCount: this.stepCount, moments: this.moments };
  }

  /** Restores what exportState gave (names and lengths checked); the values are copied. */
  importState(state: { stepCount: number; moments: Map<string, Moments> }): void {
    for (const [name, own] of this.moments) {
      const saved = state.moments.get(name);
      if (saved === undefined) throw new TrainingError(`AdamW.importState: no moments for parameter ${name}`);
      if (saved.expAvg.length !== own.expAvg.length || saved.expAvgSq.length !== own.expAvgSq.length) {
        throw new TrainingError(`AdamW.importState: moments of ${name} have ${saved.expAvg.length} elements, the parameter ${own.expAvg.length}`);
      }
      own.expAvg.set(saved.expAvg);
      own.expAvgSq.set(saved.expAvgSq);
    }
    this.stepCount = state.stepCount;
  }

  /** One update of every parameter from `grads` (same names and shapes), at rate `lr` (default: the base rate). */
  step(grads: Map<string, Tensor<FloatArray>>, lr: number = this.lr): void {
    for (const [name, p] of this.parameters) {
      const g = grads.get(name);
      if (g === undefined) throw new TrainingError(`AdamW.step: no gradient for parameter ${name}`);
      if (!sameShape(g.shape, p.shape)) {
        throw new TrainingError(`AdamW.step: gradient of ${name} is ${shapeToString(g.shape)}, parameter is ${shapeToString(p.shape)}`);
      }
    }
    this.stepCount++;
    const [b1, b2] = this.betas;
    const biasCorrection1 = 1 - b1 ** this.stepCount;
    const biasCorrection2Sqrt = Math.sqrt(1 - b2 ** this.stepCount);
    for (const [name, p] of this.parameters) {
      const rate = lr * (this.lrScales.get(name) ?? 1);
      const stepSize = rate / biasCorrection1;
      const decay = 1 - rate * this.weightDecay;
      const g = grads.get(name)!.data;
      const { expAvg, expAvgSq } = this.moments.get(name)!;
      const data = p.data;
      for (let i = 0; i < data.length; i++) {
        const gi = g[i]!;
        // m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
        const m = b1 * expAvg[i]! + (1 - b1) * gi;
        const v = b2 * expAvgSq[i]! + (1 - b2) * gi * gi;
        expAvg[i] = m;
        expAvgSq[i] = v;
        // p = p·(1 - lr·wd) - lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps)
        data[i] = data[i]! * decay - (stepSize * m) / (Math.sqrt(v) / biasCorrection2Sqrt + this.eps);
      }
    }
  }
}

/** The L2 norm of all gradients taken together: √(Σ over all tensors of Σ g²). */
export function globalGradNorm(grads: Map<string, Tensor<FloatArray>>): number {
  let sumSq = 0;
  for (const g of grads.values()) {
    for (let i = 0; i < g.data.length; i++) sumSq += g.data[i]! ** 2;
  }
  return Math.sqrt(sumSq);
}

/**
 * Scales all gradients together so that their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: factor maxNorm / (norm + 1e-6) when that is below 1.
 * Works in place; returns the norm before clipping.
 */
export function clipGradNorm(grads: Map<string, Tensor<FloatArray>>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new TrainingError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const norm = globalGradNorm(grads);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const g of grads.values()) {
      for (let i = 0; i < g.data.length; i++) g.data[i] = g.data[i]! * coef;
    }
  }
  return norm;
}
