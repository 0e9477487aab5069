// A trained head saved and loaded again: parameters by name through safetensors, the head folder's
// files in memory (headFiles / loadHeadFiles), and the refusal of a head from another model.
import { describe, expect, it } from "vitest";
import { parseSafetensors, serializeSafetensors } from "../../src/encoder/safetensors.js";
import { TrainingError } from "../../src/errors.js";
import { createPooler } from "../../src/pooling/index.js";
import { predictLogits } from "../../src/train/evaluate.js";
import { checkEncoderDims, headFiles, loadHeadFiles, splitStateDict, type HeadConfig } from "../../src/train/head-folder.js";
import { createHead } from "../../src/train/heads/index.js";
import { trainPooler } from "../../src/train/loop.js";
import { trainableParameters } from "../../src/train/step.js";
import { expectClose } from "../helpers.js";
import { classificationData, dims } from "./synthetic.js";

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
  it("a head directory from another model (hidden size or layer count differs), or a foreign tensor, is refused", () => {
    expect(() => checkEncoderDims({ numLayers: 2, hiddenSize: 4 }, { numLayers: 12, hiddenSize: 4 }, "run/pooling.json")).toThrow(
      /run\/pooling.json: trained for an encoder with 2 layers and hidden size 4, but this model has 12 layers and hidden size 4/,
    );
    expect(() => checkEncoderDims(dims, { numLayers: 2, hiddenSize: 8 }, "x")).toThrow(TrainingError);
    expect(() => checkEncoderDims(dims, { ...dims }, "x")).not.toThrow();
    expect(() => splitStateDict(new Map([["classifier.weight", 1]]), "head.safetensors")).toThrow(/"classifier.weight" is neither pooler.\* nor head.\*/);
  });
});

describe("a head folder in memory (headFiles / loadHeadFiles)", () => {
  const pooler = createPooler({ type: "lstm", hiddenSize: 3 }, dims, { seed: 2 });
  const { train, valid, encoder } = classificationData(pooler);
  const head = createHead("classification", 3, 2, { seed: 2, dropout: 0.1 });
  trainPooler(pooler, head, train, valid, { epochs: 1, batchSize: 32 });
  const config: HeadConfig = {
    format: "encoder-pooling head 1", pooling: pooler.spec, head: { kind: "classification", inputSize: 3, outputSize: 2, dropout: 0.1 },
    task: "classification", labels: encoder.toJSON(), encoder: dims, model: "default", maxLength: 24, textField: "text", labelField: "label",
  };
  const folder = headFiles(config, trainableParameters(pooler, head), { epochs: 1 });

  it("holds the three files; loading gives a pooler and head that predict exactly the same, and the classes", () => {
    expect(Object.keys(folder).sort()).toEqual(["head.safetensors", "pooling.json", "training.json"]);
    expect(JSON.parse(folder["pooling.json"])).toEqual({ ...config, files: { "head.safetensors": expect.any(Object), "training.json": expect.any(Object) } });
    expect(JSON.parse(folder["training.json"])).toEqual({ epochs: 1 });
    const loaded = loadHeadFiles(folder, dims, { dir: "run", model: "tiny" });
    expect(loaded.config).toEqual({ ...config, files: expect.any(Object) });
    expect(loaded.labels.classes).toEqual(encoder.classes);
    expect(loaded.head.dropout).toBe(0.1);
    expect([...predictLogits(loaded.pooler, loaded.head, valid.features)]).toEqual([...predictLogits(pooler, head, valid.features)]);
  });

  it("refuses another encoder shape and names a broken field of pooling.json", () => {
    expect(() => loadHeadFiles(folder, { numLayers: 3, hiddenSize: 4 }, { dir: "run", model: "deeper" })).toThrow(
      /run \(with the model deeper\): trained for an encoder with 2 layers and hidden size 4, but this model has 3 layers/,
    );
    const broken = { ...folder, "pooling.json": folder["pooling.json"].replace('"kind": "classification"', '"kind": "mlp"') };
    expect(() => loadHeadFiles(broken, dims, { dir: "run", model: "tiny" })).toThrow(/run\/pooling\.json: field "head\.kind" must be linear \| classification, got "mlp"/);
  });
});

describe("hostile head folders (issue 10)", () => {
  const pooler = createPooler("mean", dims);
  const head = createHead("classification", dims.hiddenSize, 2, { seed: 1 });
  const base: HeadConfig = {
    format: "encoder-pooling head 1", pooling: pooler.spec, head: { kind: "classification", inputSize: dims.hiddenSize, outputSize: 2, dropout: 0 },
    task: "classification", labels: { task: "classification", numOutputs: 2, classes: ["neg", "pos"] }, encoder: dims, model: "default",
    maxLength: 24, textField: "text", labelField: "label",
  };
  const folder = headFiles(base, trainableParameters(pooler, head), { run: 1 });
  const load = (f: typeof folder | { "pooling.json": string; "head.safetensors": Uint8Array }) => () => loadHeadFiles(f, dims, { dir: "run", model: "tiny" });

  it("a folder mixed by a failed `train --force` (new head.safetensors, old pooling.json) is refused", () => {
    const other = headFiles(base, trainableParameters(pooler, createHead("classification", dims.hiddenSize, 2, { seed: 2 })), { run: 2 });
    expect(load({ ...folder, "head.safetensors": other["head.safetensors"] })).toThrow(/run: head\.safetensors \(\d+ bytes, crc32 [0-9a-f]{8}\) was not written with pooling\.json .*a mixed folder/);
    expect(load({ ...folder, "training.json": other["training.json"] })).toThrow(/run: training\.json .* a mixed folder/);
    expect(load(folder)).not.toThrow();
    const legacy = JSON.parse(folder["pooling.json"]) as Record<string, unknown>;
    delete legacy["files"];
    expect(load({ ...folder, "pooling.json": JSON.stringify(legacy) })).not.toThrow();
  });

  it("labels.classes shorter than the head's outputs is refused (predict wrote rows with no label)", () => {
    const short = folder["pooling.json"].replace('"classes": [\n      "neg",\n      "pos"\n    ]', '"classes": ["neg"]');
    expect(short).not.toBe(folder["pooling.json"]);
    expect(load({ ...folder, "pooling.json": short })).toThrow(/run\/pooling\.json: labels\.classes lists 1 names, expected one class per output \(labels\.numOutputs = 2\)/);
  });

  it("a 60-byte pooling spec asking for gigabytes is refused before head.safetensors is read", () => {
    const huge = folder["pooling.json"].replace('"type": "mean"', '"type": "lstm", "hiddenSize": 16777215');
    const garbage = new Uint8Array([1, 2, 3]);
    let error: TrainingError | undefined;
    try {
      loadHeadFiles({ "pooling.json": huge, "head.safetensors": garbage }, dims, { dir: "run", model: "tiny" });
    } catch (err) {
      error = err as TrainingError;
    }
    expect(error).toBeInstanceOf(TrainingError);
    expect(error!.code).toBe("EP_LIMIT");
    expect(error!.message).toBe("run/pooling.json: pooling spec: lstm.hiddenSize is 16777215, above the limit of 2048");
  });

  it("deep JSON and a deep field value end in a short TrainingError", () => {
    expect(load({ ...folder, "pooling.json": "[".repeat(8192) })).toThrow(/JSON nested deeper than 64 levels/);
    const deep = folder["pooling.json"].replace('"maxLength": 24', `"maxLength": ${"[".repeat(60)}${"]".repeat(60)}`);
    expect(load({ ...folder, "pooling.json": deep })).toThrow(/field "maxLength" must be a positive integer, got \[\[…\]\]$/);
  });

  it("NaN head weights are refused naming the tensor", () => {
    const state = trainableParameters(pooler, head);
    const weight = [...state.keys()].find((k) => k.startsWith("head."))!;
    const nan = new Map([...state].map(([k, t]) => [k, k === weight ? { ...t, data: Float32Array.from(t.data, () => NaN) } : t]));
    const bad = headFiles(base, nan, {});
    let error: TrainingError | undefined;
    try {
      loadHeadFiles(bad, dims, { dir: "run", model: "tiny" });
    } catch (err) {
      error = err as TrainingError;
    }
    expect(error?.code).toBe("EP_NONFINITE");
    expect(error?.message).toMatch(new RegExp(`tensor "${weight.slice("head.".length)}": element 0 is NaN`));
  });
});
