// Learning-rate schedules as Hugging Face's get_{constant,linear,cosine}_schedule_with_warmup: a
// multiplier of the base rate as a function of the optimizer step. As with torch's LambdaLR, the
// update number s (0-based) uses multiplier(s), so with warm-up the very first update has rate 0.
import { TrainingError } from "../errors.js";

export type ScheduleKind = "constant" | "linear" | "cosine";

export interface ScheduleOptions {
  kind: ScheduleKind;
  /** Steps of linear warm-up from 0 to the base rate. */
  warmupSteps: number;
  /** Total optimizer steps of the run (epochs × batches per epoch). */
  totalSteps: number;
}

/** The multiplier λ(step) of the base learning rate. */
export type Schedule = (step: number) => number;

/**
 * Builds λ(step):
 * warm-up: step / warmup;  then constant: 1;  linear: (total − step)/(total − warmup) down to 0;
 * cosine: ½(1 + cos(π·progress)) with progress = (step − warmup)/(total − warmup), floored at 0.
 * @example
 * const lambda = makeSchedule({ kind: "linear", warmupSteps: 10, totalSteps: 100 });
 * optimizer.step(grads, baseLr * lambda(step));
 */
export function makeSchedule(options: ScheduleOptions): Schedule {
  const { kind, warmupSteps, totalSteps } = options;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || !Number.isInteger(totalSteps) || totalSteps < 0) {
    throw new TrainingError(`schedule: warmupSteps and totalSteps must be integers >= 0, got ${warmupSteps} and ${totalSteps}`);
  }
  if (kind !== "constant" && kind !== "linear" && kind !== "cosine") {
    throw new TrainingError(`schedule: unknown kind "${String(kind)}" (expected constant, linear or cosine)`);
  }
  return (step: number): number => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    if (kind === "constant") return 1;
    const remaining = Math.max(1, totalSteps - warmupSteps);
    if (kind === "linear") return Math.max(0, (totalSteps - step) / remaining);
    const progress = (step - warmupSteps) / remaining;
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
  };
}
