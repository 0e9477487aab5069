// The training loop: learning the synthetic task, seeding, early stopping, regression and multi-label,
// progress and interruption, a diverging loss, and data that does not fit the pooler or the head.
import { describe, expect, it } from "vitest";
import { TrainingError } from "../../src/errors.js";
import { createPooler } from "../../src/pooling/index.js";
import { evaluateSplit, predictLogits } from "../../src/train/evaluate.js";
import { createHead } from "../../src/train/heads/index.js";
import { LabelEncoder, toOriginalUnits } from "../../src/train/labels.js";
import { trainPooler } from "../../src/train/loop.js";
import { majorityBaseline } from "../../src/train/metrics.js";
import { trainableParameters } from "../../src/train/step.js";
import { cacheFor, classificationData, classify, dims, trainSet, validSet } from "./synthetic.js";

describe("trainPooler", () => {
  it("attention pooling + linear head learns the synthetic task and beats the majority baseline", () => {
    const pooler = createPooler({ type: "attention", hiddenSize: 4 }, dims, { seed: 1 });
    const { train, valid } = classificationData(pooler);
    const head = createHead("linear", pooler.outputSize, 2, { seed: 1 });
    const result = trainPooler(pooler, head, train, valid, { epochs: 15, batchSize: 16, lr: 0.03, seed: 1, patience: null });
    expect(result.history).toHaveLength(15);
    expect(result.history[14]!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
    const { metrics } = evaluateSplit(pooler, head, valid);
    const baseline = majorityBaseline("classification", train.labels.values, valid.labels.values, 2);
    expect(metrics.accuracy!).toBeGreaterThan(0.85);
    expect(metrics.accuracy!).toBeGreaterThan(baseline.accuracy! + 0.2);
    expect(metrics.macroF1).toBe(result.bestMetric);
  });

  it("the same seed repeats a run exactly; another seed does not", () => {
    const run = (seed: number) => {
      const pooler = createPooler({ type: "lstm", hiddenSize: 3 }, dims, { seed: 2 });
      const { train, valid } = classificationData(pooler);
      const head = createHead("classification", 3, 2, { seed: 2, dropout: 0.2 });
      const r = trainPooler(pooler, head, train, valid, { epochs: 3, batchSize: 10, lr: 0.01, seed });
      return { history: r.history, params: [...trainableParameters(pooler, head).values()].map((t) => [...t.data]) };
    };
    const a = run(7);
    const b = run(7);
    const c = run(8);
    expect(b).toEqual(a);
    expect(c.params).not.toEqual(a.params);
  });

  it("early stopping: keeps the best epoch's weights and stops `patience` epochs later", () => {
    const pooler = createPooler("mean", dims);
    const encoder = LabelEncoder.fit("classification", classify(trainSet.signal));
    // validation labels flipped: the better the model fits training, the worse validation gets
    const flipped = classify(validSet.signal).map((c) => (c === "pos" ? "neg" : "pos"));
    const train = { features: cacheFor(pooler, trainSet), labels: encoder.encode(classify(trainSet.signal), "train") };
    const valid = { features: cacheFor(pooler, validSet), labels: encoder.encode(flipped, "validation") };
    const head = createHead("linear", 4, 2, { seed: 3 });
    const result = trainPooler(pooler, head, train, valid, { epochs: 30, batchSize: 16, lr: 0.05, metric: "loss", patience: 2, seed: 3 });
    expect(result.history.length).toBe(result.bestEpoch + 2);
    expect(result.history.length).toBeLessThan(30);
    const best = result.history[result.bestEpoch - 1]!;
    expect(best.validLoss).toBe(Math.min(...result.history.map((h) => h.validLoss!)));
    // the restored weights give exactly the best epoch's validation loss
    expect(evaluateSplit(pooler, head, valid).loss).toBe(best.validLoss);
    expect(evaluateSplit(pooler, head, valid).loss).toBeLessThan(result.history.at(-1)!.validLoss!);
  });

  it("parameter-free poolers still train the head; regression with MSE, in the targets' own units", () => {
    // targets far from 0 with a large spread, like years: learnable only because they are standardised
    const year = (s: number) => 1900 + 60 * s;
    const pooler = createPooler("mean", dims);
    const encoder = LabelEncoder.fit("regression", trainSet.signal.map(year));
    const train = { features: cacheFor(pooler, trainSet), labels: encoder.encode(trainSet.signal.map(year), "train") };
    const valid = { features: cacheFor(pooler, validSet), labels: encoder.encode(validSet.signal.map((s) => String(year(s))), "validation") };
    const head = createHead("linear", 4, 1, { seed: 4 });
    const before = [...head.parameters.get("weight")!.data];
    const result = trainPooler(pooler, head, train, valid, { epochs: 40, batchSize: 16, lr: 0.05, schedule: "cosine", seed: 4 });
    expect([...head.parameters.get("weight")!.data]).not.toEqual(before);
    const scale = train.labels.targetScale!;
    const baseline = majorityBaseline("regression", toOriginalUnits(train.labels.values, scale), toOriginalUnits(valid.labels.values, scale), 1);
    const metrics = result.history[result.bestEpoch - 1]!.validMetrics!;
    expect(metrics.rmse!).toBeLessThan(baseline.rmse! / 3);
    expect(metrics.pearson!).toBeGreaterThan(0.95);
    // predictions come back in years
    const predicted = encoder.decode(predictLogits(pooler, head, valid.features)).map((p) => (p as { value: number }).value);
    const actual = validSet.signal.map(year);
    const rmse = Math.sqrt(predicted.reduce((sum, p, i) => sum + (p - actual[i]!) ** 2, 0) / actual.length);
    expect(rmse).toBeCloseTo(metrics.rmse!, 3);
  });

  it("multi-label with BCE; predictLogits returns [N,k] in evaluation mode", () => {
    const pooler = createPooler("mean", dims);
    const labels = (signal: number[]) => signal.map((s) => (s > 0 ? ["pos", "big"] : s < -0.5 ? ["low"] : []).filter((l) => l !== "big" || s > 0.5));
    const encoder = LabelEncoder.fit("multilabel", labels(trainSet.signal));
    expect(encoder.classes).toEqual(["big", "low", "pos"]);
    const train = { features: cacheFor(pooler, trainSet), labels: encoder.encode(labels(trainSet.signal), "train") };
    const valid = { features: cacheFor(pooler, validSet), labels: encoder.encode(labels(validSet.signal), "validation") };
    const head = createHead("linear", 4, 3, { seed: 5 });
    const result = trainPooler(pooler, head, train, valid, { epochs: 30, batchSize: 16, lr: 0.05, seed: 5 });
    expect(result.metric).toBe("microF1");
    expect(result.bestMetric!).toBeGreaterThan(0.8);
    expect(predictLogits(pooler, head, valid.features)).toHaveLength(40 * 3);
  });

  it("reports progress every step and stops when asked, keeping the best weights so far", () => {
    const pooler = createPooler("mean", dims);
    const { train, valid } = classificationData(pooler);
    const head = createHead("linear", 4, 2);
    const steps: number[] = [];
    const r1 = trainPooler(pooler, head, train, valid, { epochs: 2, batchSize: 32, onProgress: (p) => steps.push(p.step) });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r1.interrupted).toBe(false);
    let calls = 0;
    const r2 = trainPooler(pooler, head, train, valid, { epochs: 5, batchSize: 32, shouldStop: () => ++calls === 5 });
    expect(r2.interrupted).toBe(true);
    expect(r2.history).toHaveLength(1);
    expect(r2.bestEpoch).toBe(1);
    expect(evaluateSplit(pooler, head, valid).metrics.macroF1).toBe(r2.history[0]!.validMetric);
  });

  it("a stop asked for on an epoch's last step keeps that epoch, validated", () => {
    const pooler = createPooler("mean", dims);
    const { train, valid } = classificationData(pooler);
    const head = createHead("linear", 4, 2);
    let lastStep = 0;
    const result = trainPooler(pooler, head, train, valid, {
      epochs: 5, batchSize: 32, onProgress: (p) => (lastStep = p.step), shouldStop: () => lastStep === 3,
    });
    expect(result.interrupted).toBe(true);
    expect(result.history).toHaveLength(1);
    expect(result.history[0]!.validMetric).not.toBeNull();
    expect(result.bestEpoch).toBe(1);
  });

  it("NaN loss stops with a TrainingError naming the epoch and suggesting a lower learning rate", () => {
    const pooler = createPooler("mean", dims);
    const encoder = LabelEncoder.fit("regression", trainSet.signal);
    const train = { features: cacheFor(pooler, trainSet), labels: encoder.encode(trainSet.signal, "train") };
    const head = createHead("linear", 4, 1);
    expect(() => trainPooler(pooler, head, train, null, { lr: 1e300, warmupRatio: 0, maxGradNorm: null })).toThrow(TrainingError);
    const head2 = createHead("linear", 4, 1);
    expect(() => trainPooler(pooler, head2, train, null, { lr: 1e300, warmupRatio: 0 })).toThrow(
      /training diverged in epoch 1 \(step \d+\).*try a lower learning rate than 1e\+300/,
    );
  });
});

describe("bad input", () => {
  it("an empty split", () => {
    expect(() => LabelEncoder.fit("classification", [])).toThrow(/train split is empty/);
    const pooler = createPooler("mean", dims);
    const { train, valid } = classificationData(pooler);
    const head = createHead("linear", 4, 2);
    const empty = { features: { ...valid.features, examples: [] }, labels: { ...valid.labels, values: new Float64Array(0) } };
    expect(() => trainPooler(pooler, head, train, empty)).toThrow(/validation split is empty/);
    expect(() => trainPooler(pooler, head, empty, valid)).toThrow(/train split is empty/);
  });
  it("a head for another pooler or label set", () => {
    const pooler = createPooler("mean", dims);
    const { train, valid } = classificationData(pooler);
    expect(() => trainPooler(pooler, createHead("linear", 8, 2), train, valid)).toThrow(/head input size 8 does not match the pooler's output size 4/);
    expect(() => trainPooler(pooler, createHead("linear", 4, 3), train, valid)).toThrow(/head has 3 outputs, the train labels need 2/);
  });
});
