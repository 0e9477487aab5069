import { describe, expect, it } from "vitest";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { initRobertaWeights } from "../../src/encoder/init.js";
import { RobertaModel } from "../../src/encoder/roberta.js";
import { robertaWeightShapes } from "../../src/encoder/weights.js";
import { Rng } from "../../src/tensor/random.js";

const config = parseRobertaConfig(
  { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, hidden_act: "gelu", layer_norm_eps: 1e-5,
    max_position_embeddings: 40, type_vocab_size: 1, pad_token_id: 1, vocab_size: 300 },
  "config",
);

describe("initRobertaWeights", () => {
  it("makes every parameter with its HF name and shape; pooler only when asked", () => {
    const without = initRobertaWeights(config, new Rng(1), { pooler: false });
    expect([...without.keys()]).toEqual([...robertaWeightShapes(config, false).keys()]);
    for (const [name, shape] of robertaWeightShapes(config, false)) expect(without.get(name)!.shape, name).toEqual(shape);
    expect(without.has("pooler.dense.weight")).toBe(false);
    expect(initRobertaWeights(config, new Rng(1), { pooler: true }).has("pooler.dense.weight")).toBe(true);
  });
  it("follows HF's init: N(0, 0.02) matrices, zero biases, LayerNorm 1/0, zero padding rows", () => {
    const w = initRobertaWeights(config, new Rng(2), { pooler: false });
    const word = w.get("embeddings.word_embeddings.weight")!.data;
    let sum = 0;
    let sq = 0;
    for (const v of word) {
      sum += v;
      sq += v * v;
    }
    const n = word.length - 32; // the padding row is zero
    const std = Math.sqrt(sq / n - (sum / n) ** 2);
    expect(Math.abs(std - 0.02)).toBeLessThan(0.001);
    expect(Math.abs(sum / n)).toBeLessThan(0.001);
    expect(word.subarray(32, 64).every((v) => v === 0)).toBe(true);
    expect(w.get("embeddings.position_embeddings.weight")!.data.subarray(32, 64).every((v) => v === 0)).toBe(true);
    expect(w.get("encoder.layer.0.attention.self.query.bias")!.data.every((v) => v === 0)).toBe(true);
    expect(w.get("encoder.layer.1.output.LayerNorm.weight")!.data.every((v) => v === 1)).toBe(true);
    expect(w.get("embeddings.LayerNorm.bias")!.data.every((v) => v === 0)).toBe(true);
  });
  it("repeats from its seed and gives a working model", () => {
    const a = initRobertaWeights(config, new Rng(3), { pooler: true });
    const b = initRobertaWeights(config, new Rng(3), { pooler: true });
    expect(Array.from(a.get("encoder.layer.1.intermediate.dense.weight")!.data)).toEqual(Array.from(b.get("encoder.layer.1.intermediate.dense.weight")!.data));
    const out = RobertaModel.fromTensors(config, a).forward({
      inputIds: new Int32Array([0, 5, 6, 2, 0, 7, 2, 1]),
      attentionMask: new Int32Array([1, 1, 1, 1, 1, 1, 1, 0]),
      batchSize: 2,
      seqLen: 4,
    });
    expect(out.hiddenStates.length).toBe(3);
    expect(out.poolerOutput!.shape).toEqual([2, 32]);
    expect(out.lastHiddenState.data.every(Number.isFinite)).toBe(true);
  });
});
