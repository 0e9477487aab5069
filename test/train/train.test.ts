// The training core: step parity with PyTorch, the feature cache, the loop (seeding, early stopping,
// NaN, interruption), k-fold, and bad input.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createPooler } from "../../src/pooling/index.js";
import type { Pooler, PoolerInput, PoolingDims } from "../../src/pooling/pooler.js";
import { createHead } from "../../src/train/heads/index.js";
import { AdamW } from "../../src/train/optim.js";
import { majorityBaseline } from "../../src/train/metrics.js";
import {
  appendToCache, assembleBatch, createFeatureCache, crossValidate, parseFeatureCache, serializeFeatureCache, evaluateSplit, kFoldSplits, LabelEncoder, toOriginalUnits,
  checkEncoderDims, holdoutSplit, predictLogits, splitStateDict, trainableParameters, trainingStep, trainPooler, type FeatureCache, type TrainData,
} from "../../src/train/index.js";
import { TrainingError } from "../../src/errors.js";
import { Rng } from "../../src/tensor/random.js";
import { parseSafetensors, serializeSafetensors } from "../../src/encoder/safetensors.js";
import type { FloatArray, Tensor } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";

type TJson = { shape: number[]; data: number[] };
interface StepFixture {
  spec: object;
  dims: PoolingDims;
  numClasses: number;
  hiddenStates: number[][];
  shape: [number, number, number];
  attentionMask: number[];
  labels: number[];
  lr: number;
  weightDecay: number;
  maxGradNorm: number;
  initial: Record<string, TJson>;
  steps: { loss: number; gradNorm: number; parameters: Record<string, number[]> }[];
}

function loadStep(name: string): StepFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/training/step_${name}.json`, import.meta.url), "utf8")) as StepFixture;
}

function toArray(values: number[], dtype: "float32" | "float64"): Float32Array | Float64Array {
  return dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values);
}

function withPrefix(params: Record<string, TJson>, prefix: string, dtype: "float32" | "float64"): Map<string, Tensor<FloatArray>> {
  return new Map(
    Object.entries(params)
      .filter(([n]) => n.startsWith(prefix))
      .map(([n, t]) => [n.slice(prefix.length), { data: toArray(t.data, dtype), shape: t.shape }]),
  );
}

/** Runs the fixture's two steps in `dtype`; calls `check` with the parameters after each step. */
function replaySteps(f: StepFixture, dtype: "float32" | "float64", check: (step: number, loss: number, gradNorm: number, params: Map<string, Tensor<FloatArray>>) => void): void {
  const pooler = createPooler(f.spec, f.dims, { dtype, parameters: withPrefix(f.initial, "pooler.", dtype) });
  const head = createHead("linear", pooler.outputSize, f.numClasses, { dtype, parameters: withPrefix(f.initial, "head.", dtype) });
  const params = trainableParameters(pooler, head);
  expect([...params.keys()].sort()).toEqual(Object.keys(f.initial).sort());
  const optimizer = new AdamW(params, { lr: f.lr, weightDecay: f.weightDecay });
  const input: PoolerInput = {
    hiddenStates: f.hiddenStates.map((h) => ({ data: toArray(h, dtype), shape: f.shape })),
    attentionMask: Int32Array.from(f.attentionMask),
  };
  f.steps.forEach((_, s) => {
    const { loss, gradNorm } = trainingStep(pooler, head, optimizer, "classification", input, f.labels, { lr: f.lr, maxGradNorm: f.maxGradNorm });
    check(s, loss, gradNorm, params);
  });
}

describe("training-step parity with PyTorch (pooler + linear head, cross-entropy, clipping, AdamW)", () => {
  for (const name of ["lstm", "weighted-layer", "attention", "gem", "layer-attention"]) {
    it(`${name}: loss, gradient norm and every parameter after each of two steps, atol 1e-5 (Float64)`, () => {
      const f = loadStep(name);
      // clipping is active in these fixtures: the norm exceeds maxGradNorm
      expect(f.steps[0]!.gradNorm).toBeGreaterThan(f.maxGradNorm);
      replaySteps(f, "float64", (s, loss, gradNorm, params) => {
        const expected = f.steps[s]!;
        expectClose([loss, gradNorm], [expected.loss, expected.gradNorm], 1e-5, `${name} step ${s + 1} loss, norm`);
        for (const [param, values] of Object.entries(expected.parameters)) {
          expectClose(params.get(param)!.data, values, 1e-5, `${name} step ${s + 1} ${param}`);
        }
      });
    });

    it(`${name}: the same in Float32, atol 1e-5`, () => {
      const f = loadStep(name);
      replaySteps(f, "float32", (s, loss, _gradNorm, params) => {
        const expected = f.steps[s]!;
        expectClose([loss], [expected.loss], 1e-5, `${name} f32 step ${s + 1} loss`);
        for (const [param, values] of Object.entries(expected.parameters)) {
          // attention.2.bias shifts every score equally, so its true gradient is 0 and in Float32 it is
          // rounding noise, which Adam normalises to a step of up to lr (PyTorch in float32 does the same).
          // It has no effect on the output; we only check that drift bound.
          const atol = param === "pooler.attention.2.bias" ? (s + 1) * f.lr : 1e-5;
          expectClose(params.get(param)!.data, values, atol, `${name} f32 step ${s + 1} ${param}`);
        }
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// A synthetic task: texts of 1..5 tokens; the class is the sign of the mean of feature 0 of the last
// layer, the regression target 3·that mean + 1. L = 2, H = 4.
const dims: PoolingDims = { numLayers: 2, hiddenSize: 4 };

interface Synthetic {
  batches: PoolerInput[];
  signal: number[];
}

function synthetic(n: number, seed: number): Synthetic {
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

function cacheFor(pooler: Pooler, data: Synthetic): FeatureCache {
  const cache = createFeatureCache(pooler.reads, dims);
  for (const b of data.batches) appendToCache(cache, b);
  return cache;
}

function classify(signal: number[]): string[] {
  return signal.map((s) => (s > 0 ? "pos" : "neg"));
}

const trainSet = synthetic(96, 1);
const validSet = synthetic(40, 2);

function classificationData(pooler: Pooler): { train: TrainData; valid: TrainData; encoder: LabelEncoder } {
  const encoder = LabelEncoder.fit("classification", classify(trainSet.signal));
  return {
    encoder,
    train: { features: cacheFor(pooler, trainSet), labels: encoder.encode(classify(trainSet.signal), "train") },
    valid: { features: cacheFor(pooler, validSet), labels: encoder.encode(classify(validSet.signal), "validation") },
  };
}

describe("feature cache", () => {
  it("keeps only what the pooler reads: the first token of layers 1..L for lstm, the last layer's real tokens for attention", () => {
    const lstm = createPooler({ type: "lstm", hiddenSize: 3 }, dims);
    const c1 = cacheFor(lstm, trainSet);
    expect(c1.layers).toEqual([1, 2]);
    expect(c1.examples.every((e) => e.length === 1 && e.states.length === 2 && e.states[0]!.length === 4)).toBe(true);
    const att = createPooler("attention", dims);
    const c2 = cacheFor(att, trainSet);
    expect(c2.layers).toEqual([2]);
    expect(c2.examples.map((e) => e.length)).toEqual(
      trainSet.batches.flatMap((b) => Array.from({ length: b.attentionMask.length / 5 }, (_, r) => b.attentionMask.slice(r * 5, r * 5 + 5).reduce((s, v) => s + v, 0))),
    );
  });

  for (const spec of ["mean", "attention", "gem", "lstm", "layer-attention", "max"]) {
    it(`${spec}: pooling a batch rebuilt from the cache equals pooling the encoder batch (exact)`, () => {
      const pooler = createPooler(spec, dims, { seed: 3 });
      const cache = cacheFor(pooler, trainSet);
      const direct = pooler.forward(trainSet.batches[0]!).pooled.data;
      const rebuilt = pooler.forward(assembleBatch(cache, [0, 1, 2, 3, 4, 5, 6, 7], "float32")).pooled.data;
      expectClose(rebuilt, direct, 0, `${spec} cache round trip`);
    });
  }

  it("left- and right-padded encoder batches give the same cache entries", () => {
    const H = 4, T = 3;
    const right = synthetic(1, 5).batches[0]!;
    const cacheRight = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    appendToCache(cacheRight, right);
    const len = right.attentionMask.slice(0, 5).reduce((s, v) => s + v, 0);
    // move the real tokens of row 0 to the end of a T=3+len row
    const Tl = T + len;
    const states = Array.from({ length: 3 }, () => ({ data: new Float32Array(Tl * H), shape: [1, Tl, H] }));
    states[2]!.data.set(right.hiddenStates[2]!.data.subarray(0, len * H), T * H);
    const mask = new Int32Array(Tl).fill(1, T);
    const cacheLeft = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    appendToCache(cacheLeft, { hiddenStates: states, attentionMask: mask });
    expect([...cacheLeft.examples[0]!.states[0]!]).toEqual([...cacheRight.examples[0]!.states[0]!]);
  });

  it("round-trips through safetensors bytes with the caller's metadata", () => {
    const cache = cacheFor(createPooler("attention", dims), trainSet);
    const bytes = serializeFeatureCache(cache, { model: "tiny", texts: "sha:abc" });
    const { cache: back, metadata } = parseFeatureCache(bytes, "cache.safetensors");
    expect(metadata).toEqual({ model: "tiny", texts: "sha:abc" });
    expect(back.dims).toEqual(cache.dims);
    expect(back.layers).toEqual(cache.layers);
    expect(back.firstTokenOnly).toBe(false);
    expect(back.examples.map((e) => [e.length, ...e.states.flatMap((s) => [...s])])).toEqual(
      cache.examples.map((e) => [e.length, ...e.states.flatMap((s) => [...s])]),
    );
    const notCache = serializeSafetensors({ x: { dtype: "F32", shape: [1], data: new Float32Array(1) } });
    expect(() => parseFeatureCache(notCache, "model.safetensors")).toThrow(/model.safetensors: not a feature cache/);
  });

  it("one cache serves several poolers; a cache lacking what a pooler reads is refused", () => {
    const lstm = createPooler({ type: "lstm", hiddenSize: 3 }, dims);
    const att = createPooler("attention", dims);
    const shared = createFeatureCache({ layers: [...lstm.reads.layers, ...att.reads.layers], firstTokenOnly: false }, dims);
    for (const b of trainSet.batches) appendToCache(shared, b);
    expectClose(predictLogits(lstm, createHead("linear", 3, 2), shared), predictLogits(lstm, createHead("linear", 3, 2), cacheFor(lstm, trainSet)), 0, "shared cache");
    const firstOnly = cacheFor(lstm, trainSet);
    expect(() => predictLogits(att, createHead("linear", 4, 2), firstOnly)).toThrow(/holds layers \[1,2\]|only first tokens/);
    const layer2 = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    expect(() => predictLogits(lstm, createHead("linear", 3, 2), layer2)).toThrow(/holds layers \[2\], the pooler also reads \[1\]/);
    const firstTokens = createFeatureCache({ layers: [2], firstTokenOnly: true }, dims);
    expect(() => predictLogits(att, createHead("linear", 4, 2), firstTokens)).toThrow(/holds only first tokens, the pooler reads every token/);
  });

  it("a row with no real token, or hidden states of the wrong size, are errors", () => {
    const cache = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    const batch = synthetic(2, 6).batches[0]!;
    expect(() => appendToCache(cache, { ...batch, attentionMask: new Int32Array(10) })).toThrow(/row 0 of the batch has no real token/);
    expect(() => appendToCache(cache, { ...batch, hiddenStates: batch.hiddenStates.slice(1) })).toThrow(/expected 3 hidden states/);
    expect(() => createFeatureCache({ layers: [3], firstTokenOnly: false }, dims)).toThrow(/layer 3 outside hiddenStates 0..2/);
  });
});

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

describe("saving and loading a trained head", () => {
  it("pooler + head parameters round-trip by name through safetensors and predict the same", () => {
    const pooler = createPooler({ type: "attention", hiddenSize: 3 }, dims, { seed: 9 });
    const { train, valid, encoder } = classificationData(pooler);
    const head = createHead("classification", 4, 2, { seed: 9 });
    trainPooler(pooler, head, train, valid, { epochs: 2, batchSize: 32, lr: 0.01 });
    const sd = new Map([...trainableParameters(pooler, head)].map(([n, t]) => [n, { dtype: "F32" as const, shape: t.shape, data: t.data }]));
    const { tensors } = parseSafetensors(serializeSafetensors(sd), "head.safetensors");
    const parts = splitStateDict(tensors, "head.safetensors");
    const toTensor = (m: Map<string, { shape: number[]; data: unknown }>) =>
      new Map([...m].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }]));
    const pooler2 = createPooler(pooler.spec, dims, { parameters: toTensor(parts.pooler) });
    const head2 = createHead("classification", 4, 2, { parameters: toTensor(parts.head) });
    expect([...predictLogits(pooler2, head2, valid.features)]).toEqual([...predictLogits(pooler, head, valid.features)]);
    const predictions = encoder.decode(predictLogits(pooler, head, valid.features));
    expect(predictions).toHaveLength(40);
    const p0 = predictions[0] as { label: string; probabilities: Record<string, number> };
    expect(["neg", "pos"]).toContain(p0.label);
    expectClose([p0.probabilities["neg"]! + p0.probabilities["pos"]!], [1], 1e-12, "probabilities sum");
    expect(p0.probabilities[p0.label]!).toBeGreaterThanOrEqual(0.5);
  });
  it("decodes regression values and multi-label sets", () => {
    // regression targets are standardised with the training mean (1.5) and std (0.5), and decoded back
    const reg = LabelEncoder.fit("regression", [1, 2]);
    expect(Array.from(reg.encode([1, 2, 2.5], "test").values)).toEqual([-1, 1, 2]);
    expect(reg.decode([-1, 1, 0])).toEqual([{ value: 1 }, { value: 2 }, { value: 1.5 }]);
    expect(LabelEncoder.fromJSON(JSON.parse(JSON.stringify(reg.toJSON()))).decode([2])).toEqual([{ value: 2.5 }]);
    const twoOutputs = LabelEncoder.fit("regression", [[1900, 5], [2000, 5]]);
    expect(twoOutputs.targetScale).toEqual({ mean: [1950, 5], std: [50, 1] });
    expect(twoOutputs.decode([1, 0])).toEqual([{ value: [2000, 5] }]);
    const ml = LabelEncoder.fit("multilabel", [["a"], ["b"]]).decode([2, -2]);
    expect(ml).toEqual([{ labels: ["a"], probabilities: { a: 1 / (1 + Math.exp(-2)), b: Math.exp(-2) / (1 + Math.exp(-2)) } }]);
  });
  it("a head directory from another model (hidden size or layer count differs), or a foreign tensor, is refused", () => {
    expect(() => checkEncoderDims({ numLayers: 2, hiddenSize: 4 }, { numLayers: 12, hiddenSize: 4 }, "run/pooling.json")).toThrow(
      /run\/pooling.json: trained for an encoder with 2 layers and hidden size 4, but this model has 12 layers and hidden size 4/,
    );
    expect(() => checkEncoderDims(dims, { numLayers: 2, hiddenSize: 8 }, "x")).toThrow(TrainingError);
    expect(() => checkEncoderDims(dims, { ...dims }, "x")).not.toThrow();
    expect(() => splitStateDict(new Map([["classifier.weight", 1]]), "head.safetensors")).toThrow(/"classifier.weight" is neither pooler.\* nor head.\*/);
  });
});

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

describe("bad input", () => {
  it("labels missing: names the split and the examples", () => {
    expect(() => LabelEncoder.fit("classification", ["a", null, "b", ""])).toThrow(/train split: labels missing for examples 1, 3/);
    const enc = LabelEncoder.fit("classification", ["a", "b"]);
    expect(() => enc.encode(["a", undefined], "validation")).toThrow(/validation split: labels missing for examples 1/);
  });
  it("non-numeric regression labels", () => {
    expect(() => LabelEncoder.fit("regression", [1, 2]).encode([1, "high"], "train")).toThrow(/train example 1: regression label "high" is not a number/);
    expect(() => LabelEncoder.fit("regression", [[1, 2]]).encode([[1]], "train")).toThrow(/expected 2 regression target\(s\), got 1/);
  });
  it("a class seen only in the validation set", () => {
    const enc = LabelEncoder.fit("classification", ["spam", "ham", "ham"]);
    expect(enc.classes).toEqual(["ham", "spam"]);
    expect(() => enc.encode(["ham", "eggs", "eggs"], "validation")).toThrow(
      /validation split has classes never seen in training: "eggs" \(examples 1, 2\); known: ham, spam/,
    );
    const ml = LabelEncoder.fit("multilabel", [["a"], ["b", "a"]]);
    expect(() => ml.encode([["c"]], "validation")).toThrow(/"c"/);
  });
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
  it("labels of the wrong kind", () => {
    expect(() => LabelEncoder.fit("classification", [["a"], ["b"]])).toThrow(/needs --task multilabel/);
    expect(() => LabelEncoder.fit("multilabel", ["a"])).toThrow(/must be lists of label names/);
    expect(() => LabelEncoder.fit("classification", ["a", "a"])).toThrow(/single class/);
    expect(() => LabelEncoder.fit("classification", [{ x: 1 }, "a"])).toThrow(/is not a class name/);
  });
  it("numeric class names sort numerically and round-trip through JSON", () => {
    const enc = LabelEncoder.fit("classification", [10, 9, "2"]);
    expect(enc.classes).toEqual(["2", "9", "10"]);
    expect([...LabelEncoder.fromJSON(JSON.parse(JSON.stringify(enc))).encode([9, "10"], "test").values]).toEqual([1, 2]);
  });
});
