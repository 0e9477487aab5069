// The training budget every entry point starts from: trainPooler, comparePoolers' callers, and the
// `train` and `compare` commands. One table, so that a default is changed in one place and the
// commands cannot disagree. How the values were chosen, with the measurements: docs/training.md.
export const DEFAULT_TRAINING = {
  /** Passes over the training data. */
  epochs: 5,
  /** Peak AdamW learning rate (linear warm-up over 10% of the steps, then linear decay). */
  lr: 1e-2,
  /** Examples per optimizer step. */
  batchSize: 32,
  /** AdamW's decoupled weight decay. */
  weightDecay: 0.01,
  /** Epochs without a better validation metric before stopping. */
  patience: 3,
  /** Token limit per text while training, <s> and </s> included: short, so that a run stays quick. */
  maxLength: 128,
} as const;

/**
 * The default peak learning rate of a pooling spec's training run (pooler and head together).
 * @example defaultLearningRate({ type: "attention", hiddenSize: 512 }) // 1e-3
 */
export function defaultLearningRate(spec: { type: string }): number {
  return LEARNING_RATES[spec.type] ?? DEFAULT_TRAINING.lr;
}

/** Learning rates that differ from DEFAULT_TRAINING.lr, by pooling type (measured: docs/training.md). */
const LEARNING_RATES: Record<string, number> = {};

/** The defaults as help text: "1e-3" or "1e-2; 3e-3 for lstm". */
export function describeDefaultLearningRates(): string {
  const others = Object.entries(LEARNING_RATES).map(([type, lr]) => `${lr} for ${type}`);
  return [String(DEFAULT_TRAINING.lr), ...others].join("; ");
}
