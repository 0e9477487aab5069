// Metrics against the fixture's reference values (scikit-learn's definitions, computed with torch).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accuracy, computeMetrics, logLoss, macroF1, mae, majorityBaseline, multilabelF1, pearson, rmse,
} from "../../src/train/metrics.js";
import { higherIsBetter } from "../../src/train/task.js";
import { expectClose } from "../helpers.js";

const m = JSON.parse(readFileSync(new URL("../fixtures/training/metrics.json", import.meta.url), "utf8")) as {
  regression: { pred: number[]; target: number[]; k: number; rmse: number; mae: number; pearson: number };
  classification: { logits: number[]; target: number[]; C: number; accuracy: number; macroF1: number; logLoss: number };
  multilabel: { logits: number[]; target: number[]; C: number; microF1: number; macroF1: number };
};

describe("metrics vs reference", () => {
  it("regression: rmse, mae, pearson (mean over k outputs) within 1e-12", () => {
    const r = m.regression;
    const got = computeMetrics("regression", r.pred, r.target, r.k);
    expectClose([got.rmse!, got.mae!, got.pearson!], [r.rmse, r.mae, r.pearson], 1e-12, "regression metrics");
    expectClose([rmse(r.pred, r.target), mae(r.pred, r.target)], [r.rmse, r.mae], 1e-12, "rmse/mae");
  });
  it("classification: accuracy, macro-F1 (over occurring classes), log-loss within 1e-12", () => {
    const c = m.classification;
    const got = computeMetrics("classification", c.logits, c.target, c.C);
    expectClose([got.accuracy!, got.macroF1!, got.logLoss!], [c.accuracy, c.macroF1, c.logLoss], 1e-12, "classification metrics");
  });
  it("multi-label: micro- and macro-F1 within 1e-12", () => {
    const c = m.multilabel;
    const got = multilabelF1(c.logits, c.target, c.C);
    expectClose([got.microF1, got.macroF1], [c.microF1, c.macroF1], 1e-12, "multilabel F1");
  });
});

describe("metric edge cases", () => {
  it("perfect predictions", () => {
    expect(accuracy([0, 1, 2], [0, 1, 2])).toBe(1);
    expect(macroF1([0, 1, 2], [0, 1, 2], 3)).toBe(1);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 14);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
  });
  it("pearson of a constant prediction is NaN", () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
  it("log-loss survives logits of ±1000", () => {
    expect(logLoss([1000, -1000, -1000, 1000], [0, 1], 2)).toBe(0);
    expect(logLoss([1000, -1000], [1], 2)).toBe(2000);
  });
  it("directions", () => {
    expect(higherIsBetter("macroF1")).toBe(true);
    expect(higherIsBetter("rmse")).toBe(false);
    expect(higherIsBetter("logLoss")).toBe(false);
  });
  it("rejects mismatched or empty inputs", () => {
    expect(() => rmse([1, 2], [1])).toThrow(/equally long and non-empty/);
    expect(() => accuracy([], [])).toThrow(/non-empty/);
  });
});

describe("majorityBaseline", () => {
  it("classification predicts the most frequent training class", () => {
    const got = majorityBaseline("classification", [1, 1, 0, 1], [1, 0, 1, 1], 2);
    expect(got.accuracy).toBe(0.75);
    // macro-F1 over the classes occurring: class 1 F1 = 2·3/(2·3+1) = 6/7, class 0 F1 = 0
    expectClose([got.macroF1!], [3 / 7], 1e-15, "baseline macroF1");
    // log-loss of the training frequencies: −(3·log 0.75 + log 0.25)/4
    expectClose([got.logLoss!], [-(3 * Math.log(0.75) + Math.log(0.25)) / 4], 1e-12, "baseline logLoss");
  });
  it("regression predicts the training mean", () => {
    const got = majorityBaseline("regression", [1, 3], [0, 4], 1);
    expect(got.rmse).toBe(2);
    expect(got.mae).toBe(2);
    expect(got.pearson).toBeNaN();
  });
  it("multi-label turns on the labels on in most training examples", () => {
    const got = majorityBaseline("multilabel", [1, 0, 1, 1, 0, 0], [1, 0, 0, 1], 2);
    // training frequencies [2/3, 1/3]: predicts [1,0] for both rows
    // label 0: tp 1, fp 1, fn 0 -> 2/3; label 1: tp 0, fp 0, fn 1 -> 0; micro: tp 1, fp 1, fn 1 -> 1/2
    expectClose([got.microF1!, got.macroF1!], [0.5, 1 / 3], 1e-15, "multilabel baseline");
  });
});
