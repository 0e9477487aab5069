// Splitting examples: a stratified hold-out, k folds, and k-fold cross-validation.
import { describe, expect, it } from "vitest";
import { createPooler } from "../../src/pooling/index.js";
import { crossValidate } from "../../src/train/cross-validate.js";
import { createHead } from "../../src/train/heads/index.js";
import { holdoutSplit, kFoldSplits } from "../../src/train/splits.js";
import { classificationData, dims } from "./synthetic.js";

describe("holdoutSplit", () => {
  it("holds out the fraction, per class when stratified, repeatably from the seed", () => {
    const labels = [...Array(20).fill("ham"), ...Array(10).fill("spam")];
    const split = holdoutSplit(30, 0.2, 1, labels);
    expect(split.valid.filter((i) => labels[i] === "ham")).toHaveLength(4);
    expect(split.valid.filter((i) => labels[i] === "spam")).toHaveLength(2);
    expect([...split.train, ...split.valid].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(holdoutSplit(30, 0.2, 1, labels)).toEqual(split);
    expect(holdoutSplit(30, 0.2, 2, labels)).not.toEqual(split);
    // a class with one example stays in training
    expect(holdoutSplit(3, 0.5, 0, ["a", "b", "b"]).train).toContain(0);
  });
  it("refuses a fraction outside (0, 1) or one that leaves validation empty", () => {
    expect(() => holdoutSplit(10, 1, 0)).toThrow(/fraction in \(0, 1\)/);
    expect(() => holdoutSplit(3, 0.1, 0)).toThrow(/leaves the validation split empty/);
  });
});

describe("k-fold cross-validation", () => {
  it("folds partition the examples; every fold trains a fresh pooler and head", () => {
    const folds = kFoldSplits(10, 3, 1);
    expect(folds.map((f) => f.valid.length)).toEqual([3, 3, 4]);
    expect(folds.flatMap((f) => f.valid).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const f of folds) expect(new Set([...f.train, ...f.valid]).size).toBe(10);
    const pooler0 = createPooler("mean", dims);
    const { train } = classificationData(pooler0);
    const made: number[] = [];
    const cv = crossValidate((fold) => {
      made.push(fold);
      return { pooler: createPooler("mean", dims), head: createHead("linear", 4, 2, { seed: fold }) };
    }, train, 3, { epochs: 5, batchSize: 16, lr: 0.05 });
    expect(made).toEqual([0, 1, 2]);
    expect(cv.folds).toHaveLength(3);
    expect(cv.metric).toBe("macroF1");
    expect(cv.mean).toBeGreaterThan(0.7);
    // mean and population std of the folds' best validation metric, computed here on their own
    const best = cv.folds.map((f) => f.bestMetric!);
    const mean = (best[0]! + best[1]! + best[2]!) / 3;
    expect(cv.mean).toBeCloseTo(mean, 12);
    expect(cv.std).toBeCloseTo(Math.sqrt(((best[0]! - mean) ** 2 + (best[1]! - mean) ** 2 + (best[2]! - mean) ** 2) / 3), 12);
    expect(() => kFoldSplits(3, 4, 0)).toThrow(/k must be an integer in \[2, 3\]/);
  });
});
