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
    expect(JSON.parse(folder["pooling.json"])).toEqual(config);
    expect(JSON.parse(folder["training.json"])).toEqual({ epochs: 1 });
    const loaded = loadHeadFiles(folder, dims, { dir: "run", model: "tiny" });
    expect(loaded.config).toEqual(config);
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
