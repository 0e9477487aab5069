import { describe, expect, it } from "vitest";
import { SafetensorsError, WeightsError } from "../../src/errors.js";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { RobertaModel } from "../../src/encoder/roberta.js";
import { parseSafetensors, serializeSafetensors, type SafeTensor } from "../../src/encoder/safetensors.js";
import { resolveRobertaTensors, robertaWeightShapes } from "../../src/encoder/weights.js";
import { jsBackend } from "../../src/tensor/js-backend.js";
import { readCase } from "./fixtures.js";

const c = readCase("f32-pooler"); // H 32, I 64, L 2, V 64, max positions 20, with pooler
const config = parseRobertaConfig(c.configText, "config.json");
const stored = (): Map<string, SafeTensor> => parseSafetensors(c.modelBytes, "model.safetensors").tensors;
const SRC = "m/model.safetensors";

function refused(tensors: Map<string, SafeTensor>): string {
  try {
    resolveRobertaTensors(config, tensors, SRC);
  } catch (err) {
    expect(err).toBeInstanceOf(WeightsError);
    return (err as Error).message;
  }
  throw new Error("expected resolveRobertaTensors to throw");
}

describe("resolveRobertaTensors and loading", () => {
  it("knows every parameter of the fixture; the model arranges it by layer with q, k, v fused", () => {
    const shapes = robertaWeightShapes(config, true);
    expect([...shapes.keys()].sort()).toEqual([...stored().keys()].sort());
    expect(shapes.get("encoder.layer.1.intermediate.dense.weight")).toEqual([64, 32]);
    expect(resolveRobertaTensors(config, stored(), SRC).get("pooler.dense.bias")).toBe("pooler.dense.bias");
    const w = RobertaModel.load(c.configText, c.modelBytes, { backend: jsBackend }).weights;
    expect(w.layers.length).toBe(2);
    expect([w.layers[0]!.qkv.weight.rows, w.layers[0]!.qkv.weight.cols, w.layers[0]!.qkv.bias.length]).toEqual([96, 32, 96]);
    expect([w.layers[1]!.output.weight.rows, w.layers[1]!.output.weight.cols]).toEqual([32, 64]);
    expect([w.pooler!.weight.rows, w.pooler!.weight.cols]).toEqual([32, 32]);
    expect([w.wordEmbeddings.rows, w.wordEmbeddings.cols, w.wordEmbeddings.dtype]).toEqual([64, 32, "f32"]);
  });
  it("a missing tensor is named with its shape", () => {
    const t = stored();
    t.delete("encoder.layer.1.attention.self.key.bias");
    expect(refused(t)).toBe(`${SRC}: missing tensors: encoder.layer.1.attention.self.key.bias [32]`);
  });
  it("a shape mismatch names the key and both shapes", () => {
    const t = stored();
    t.set("encoder.layer.0.output.dense.weight", { dtype: "F32", shape: [32, 32], data: new Float32Array(32 * 32) });
    expect(refused(t)).toBe(`${SRC}: encoder.layer.0.output.dense.weight: expected [32,64], got [32,32]`);
  });
  it("a vocabulary that disagrees with config.json is a shape mismatch", () => {
    const t = stored();
    t.set("embeddings.word_embeddings.weight", { dtype: "F32", shape: [63, 32], data: new Float32Array(63 * 32) });
    expect(refused(t)).toMatch(/embeddings\.word_embeddings\.weight: expected \[64,32\], got \[63,32\]/);
  });
  it("unexpected tensors are listed; other heads' tensors are ignored and logged", () => {
    const extra = stored();
    extra.set("encoder.layer.2.output.dense.bias", { dtype: "F32", shape: [32], data: new Float32Array(32) });
    extra.set("qa_outputs.weight", { dtype: "F32", shape: [2, 32], data: new Float32Array(64) });
    expect(refused(extra)).toBe(`${SRC}: unexpected tensors (not part of a RobertaModel): encoder.layer.2.output.dense.bias, qa_outputs.weight`);

    const heads = stored();
    heads.set("classifier.out_proj.weight", { dtype: "F32", shape: [2, 32], data: new Float32Array(64) });
    heads.set("lm_head.bias", { dtype: "F32", shape: [64], data: new Float32Array(64) });
    const logs: string[] = [];
    expect(resolveRobertaTensors(config, heads, SRC, (m) => logs.push(m)).size).toBe(robertaWeightShapes(config, true).size);
    expect(logs).toEqual([`${SRC}: ignoring 2 tensors not used by the encoder: classifier.out_proj.weight, lm_head.bias`]);
  });
  it("one pooler tensor without the other is a missing tensor, not a silent pooler-less model", () => {
    const t = stored();
    t.delete("pooler.dense.bias");
    expect(refused(t)).toMatch(/missing tensors: pooler\.dense\.bias \[32\]/);
  });
  it("the same tensor with and without the roberta. prefix is refused", () => {
    const t = stored();
    t.set("roberta.embeddings.LayerNorm.bias", t.get("embeddings.LayerNorm.bias")!);
    expect(refused(t)).toMatch(/embeddings\.LayerNorm\.bias appears both with and without the "roberta\." prefix/);
  });
  it("integer weights are refused", () => {
    const t = stored();
    t.set("embeddings.LayerNorm.bias", { dtype: "I32", shape: [32], data: new Int32Array(32) });
    expect(refused(t)).toMatch(/embeddings\.LayerNorm\.bias: expected floating-point weights \(F32, F16, BF16\), got I32/);
  });
  it("a refused checkpoint allocates nothing in the backend", () => {
    const t = stored();
    t.delete("pooler.dense.bias");
    const before = jsBackend.memoryInUse();
    expect(() => RobertaModel.load(c.configText, serializeSafetensors(t), { backend: jsBackend })).toThrow(WeightsError);
    expect(jsBackend.memoryInUse()).toBe(before);
  });
  it("RobertaModel.load names the folder's files in errors", () => {
    const t = stored();
    t.delete("embeddings.LayerNorm.weight");
    expect(() => RobertaModel.load(c.configText, serializeSafetensors(t), { source: "dir" })).toThrow(
      "dir/model.safetensors: missing tensors: embeddings.LayerNorm.weight [32]",
    );
    expect(() => RobertaModel.load(c.configText, c.modelBytes.subarray(0, 1000), { source: "dir" })).toThrow(SafetensorsError);
    expect(() => RobertaModel.load("{", c.modelBytes, { source: "dir" })).toThrow("dir/config.json: not valid JSON");
  });
});
