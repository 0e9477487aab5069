// k-fold cross-validation of a pooler and head: every fold trains fresh ones on the other folds.
import type { Pooler } from "../pooling/pooler.js";
import { subsetData, type TrainData } from "./data.js";
import type { Head } from "./heads/index.js";
import { trainPooler, type TrainOptions, type TrainResult } from "./loop.js";
import { meanStd } from "./metrics.js";
import { kFoldSplits } from "./splits.js";

/**
 * k-fold cross-validation: for each fold a fresh pooler and head from `make(fold)`, trained on the
 * other folds and validated on it. Returns every fold's result and the mean ± std (population) of the
 * best validation metric.
 */
export function crossValidate(
  make: (fold: number) => { pooler: Pooler; head: Head },
  data: TrainData, k: number, options: TrainOptions = {},
): { folds: TrainResult[]; metric: string; mean: number; std: number } {
  const splits = kFoldSplits(data.features.examples.length, k, options.seed ?? 0);
  const folds = splits.map((split, f) => {
    const { pooler, head } = make(f);
    return trainPooler(pooler, head, subsetData(data, split.train), subsetData(data, split.valid), options);
  });
  const { mean, std } = meanStd(folds.map((r) => r.bestMetric ?? NaN));
  return { folds, metric: folds[0]?.metric ?? "", mean, std };
}
