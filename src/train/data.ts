// A split as training sees it: the cached features of its texts and their encoded labels.
import { subsetCache, type FeatureCache } from "./feature-cache.js";
import { subsetLabels, type EncodedLabels } from "./labels.js";

/** A split: cached features and their encoded labels, example for example. */
export interface TrainData {
  features: FeatureCache;
  labels: EncodedLabels;
}

/** The examples at `indices` of a split (sharing the cached arrays). */
export function subsetData(data: TrainData, indices: readonly number[]): TrainData {
  return { features: subsetCache(data.features, indices), labels: subsetLabels(data.labels, indices) };
}
