// A synthetic task for the training tests: texts of 1..5 tokens; the class is the sign of the mean of
// feature 0 of the last layer, the regression target 3·that mean + 1. L = 2, H = 4.
import type { Pooler, PoolerInput, PoolingDims } from "../../src/pooling/pooler.js";
import { Rng } from "../../src/tensor/random.js";
import type { TrainData } from "../../src/train/data.js";
import { appendToCache, createFeatureCache, type FeatureCache } from "../../src/train/feature-cache.js";
import { LabelEncoder } from "../../src/train/labels.js";

export const dims: PoolingDims = { numLayers: 2, hiddenSize: 4 };

export interface Synthetic {
  batches: PoolerInput[];
  signal: number[];
}

export function synthetic(n: number, seed: number): Synthetic {
  const rng = new Rng(seed);
  const { numLayers: L, hiddenSize: H } = dims;
  const batches: PoolerInput[] = [];
  const signal: number[] = [];
  for (let start = 0; start < n; start += 8) {
    const B = Math.min(8, n - start);
    const T = 5;
    const lengths = Array.from({ length: B }, () => 1 + rng.int(T));
    const hiddenStates = Array.from({ length: L + 1 }, () => ({ data: rng.fillNormal(new Float32Array(B * T * H), 1), shape: [B, T, H] }));
    const attentionMask = new Int32Array(B * T);
    lengths.forEach((len, b) => {
      attentionMask.fill(1, b * T, b * T + len);
      let s = 0;
      for (let t = 0; t < len; t++) s += hiddenStates[L]!.data[(b * T + t) * H]!;
      signal.push(s / len);
    });
    batches.push({ hiddenStates, attentionMask });
  }
  return { batches, signal };
}

export function cacheFor(pooler: Pooler, data: Synthetic): FeatureCache {
  const cache = createFeatureCache(pooler.reads, dims);
  for (const b of data.batches) appendToCache(cache, b);
  return cache;
}

export function classify(signal: number[]): string[] {
  return signal.map((s) => (s > 0 ? "pos" : "neg"));
}

export const trainSet = synthetic(96, 1);
export const validSet = synthetic(40, 2);

export function classificationData(pooler: Pooler): { train: TrainData; valid: TrainData; encoder: LabelEncoder } {
  const encoder = LabelEncoder.fit("classification", classify(trainSet.signal));
  return {
    encoder,
    train: { features: cacheFor(pooler, trainSet), labels: encoder.encode(classify(trainSet.signal), "train") },
    valid: { features: cacheFor(pooler, validSet), labels: encoder.encode(classify(validSet.signal), "validation") },
  };
}
