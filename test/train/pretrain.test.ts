// MlmPretrainer: learning, and stopping + resuming from checkpoint files continuing bit for bit.
// The encoder here is a stand-in with one trainable parameter (each token's vector plus, rotated, its
// left neighbour's: hidden[t] = E[ids[t]] + R·E[ids[t−1]]), so the
// tied weight gets gradients from both ends, as in the real model; test/cli/pretrain.test.ts runs the
// real encoder.
import { describe, expect, it } from "vitest";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { initLmHead, TIED_DECODER_WEIGHT } from "../../src/encoder/lm-head.js";
import { jsBackend } from "../../src/tensor/js-backend.js";
import { Rng } from "../../src/tensor/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { packDocuments, unigramBaseline, type MlmVocab } from "../../src/train/mlm.js";
import { MlmPretrainer, type MlmEncoder, type PretrainOptions } from "../../src/train/pretrain.js";
import { checkpointFiles, parseCheckpoint, type Checkpoint } from "../../src/train/pretrain-checkpoint.js";

const H = 8;
const V = 30;
const config = parseRobertaConfig({
  model_type: "roberta", hidden_size: H, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, hidden_act: "gelu",
  layer_norm_eps: 1e-5, max_position_embeddings: 40, type_vocab_size: 1, pad_token_id: 1, vocab_size: V,
}, "test config");
const vocab: MlmVocab = { vocabSize: V, bosTokenId: 0, padTokenId: 1, eosTokenId: 2, maskTokenId: V - 1, specialIds: [0, 1, 2, 3, V - 1] };

/** hidden[n,:] = (E[ids[n],:] + roll(E[ids[n−1],:])) · dropout; backward adds dHidden back to both rows. */
const lookupEncoder = (params: Map<string, Tensor>): MlmEncoder => ({
  config,
  backend: jsBackend,
  trainable: [TIED_DECODER_WEIGHT],
  parametersChanged() {},
  forward(inputIds, B, T, { rng }) {
    const E = params.get(TIED_DECODER_WEIGHT)!.data;
    const hidden = new Float32Array(B * T * H);
    const keep = new Float32Array(B * T).fill(1);
    if (rng !== null) for (let n = 0; n < B * T; n++) keep[n] = rng.next() < 0.1 ? 0 : 1 / 0.9;
    const left = (n: number): number => (n % T === 0 ? 0 : inputIds[n - 1]!);
    for (let n = 0; n < B * T; n++) {
      for (let j = 0; j < H; j++) hidden[n * H + j] = (E[inputIds[n]! * H + j]! + E[left(n) * H + ((j + 1) % H)]!) * keep[n]!;
    }
    return {
      hidden,
      backward(dHidden, grads) {
        const dE = grads.get(TIED_DECODER_WEIGHT)!;
        for (let n = 0; n < B * T; n++) {
          for (let j = 0; j < H; j++) {
            dE[inputIds[n]! * H + j]! += dHidden[n * H + j]! * keep[n]!;
            dE[left(n) * H + ((j + 1) % H)]! += dHidden[n * H + j]! * keep[n]!;
          }
        }
      },
      free() {},
    };
  },
});

/** A corpus with structure to learn: each document counts up from a random start, wrapping round. */
function corpus(docs: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: docs }, () => {
    const start = rng.int(25);
    return Array.from({ length: 6 + rng.int(10) }, (_, i) => 4 + ((start + i) % 25));
  });
}
const T = 12;
const train = packDocuments(corpus(200, 1), T, vocab);
const held = packDocuments(corpus(20, 2), T, vocab);
const options: PretrainOptions = {
  batchSize: 8, totalSteps: 60, warmupSteps: 5, schedule: "linear", lr: 3e-2, weightDecay: 0.01, betas: [0.9, 0.98], eps: 1e-6,
  maxGradNorm: 1, maskProbability: 0.15, seed: 5,
};

function freshParams(): Map<string, Tensor> {
  const rng = new Rng(11);
  const params = initLmHead(config, rng, 0.2);
  params.set(TIED_DECODER_WEIGHT, { data: rng.fillNormal(new Float32Array(V * H), 0.5), shape: [V, H] });
  return params;
}

function trainer(params = freshParams(), from?: Checkpoint): MlmPretrainer {
  const t = new MlmPretrainer(lookupEncoder(params), params, vocab, { data: train.rows, count: train.count, T }, options, from?.trainer.state, 0.1);
  if (from !== undefined) t.restoreOptimizer(from.optimizer);
  return t;
}

function save(t: MlmPretrainer): Checkpoint {
  const files = checkpointFiles({
    params: t.params, optimizer: t.optimizerState(),
    trainer: { format: "encoder-pooling pretrain 1", options, dropout: 0.1, state: t.state, log: { history: [], evals: [], seconds: 0, sessions: [] }, data: {} },
  });
  const bytes = (name: string) => files.get(name) as Uint8Array;
  return parseCheckpoint({ model: bytes("model.safetensors"), optimizer: bytes("optimizer.safetensors"), trainer: files.get("trainer_state.json") as string }, "ckpt");
}

describe("MlmPretrainer", () => {
  it("learns: held-out loss falls and accuracy rises well above the unigram baseline", () => {
    const t = trainer();
    const before = t.evaluate({ data: held.rows, count: held.count, T });
    for (let i = 0; i < options.totalSteps; i++) t.step();
    const after = t.evaluate({ data: held.rows, count: held.count, T });
    expect(after.loss).toBeLessThan(before.loss - 0.5);
    expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.2);
    const baseline = unigramBaseline(train.rows, t.heldOutLabels({ data: held.rows, count: held.count, T }), vocab);
    expect(after.accuracy).toBeGreaterThan(baseline.accuracy + 0.2);
    expect(t.state.step).toBe(60);
    expect(t.state.epoch).toBeGreaterThan(0); // 60 steps of 8 rows pass the ~120 rows several times
    expect(t.state.tokensSeen).toBe(60 * 8 * T);
  });

  it("N steps equal k steps, a checkpoint written and read back, then N − k steps, bit for bit", () => {
    const straight = trainer();
    const losses: number[] = [];
    for (let i = 0; i < 25; i++) losses.push(straight.step().loss);

    const first = trainer();
    const resumedLosses: number[] = [];
    for (let i = 0; i < 17; i++) resumedLosses.push(first.step().loss);
    const checkpoint = save(first);
    const second = trainer(checkpoint.params, checkpoint);
    for (let i = 17; i < 25; i++) resumedLosses.push(second.step().loss);

    expect(resumedLosses).toEqual(losses);
    expect(second.state).toEqual(straight.state);
    for (const [name, p] of straight.params) {
      expect(Buffer.from(second.params.get(name)!.data.buffer).equals(Buffer.from(p.data.buffer)), name).toBe(true);
    }
    const a = straight.optimizerState();
    const b = second.optimizerState();
    expect(b.stepCount).toBe(a.stepCount);
    for (const [name, m] of a.moments) {
      expect(Buffer.from(b.moments.get(name)!.expAvgSq.buffer).equals(Buffer.from(m.expAvgSq.buffer)), name).toBe(true);
      expect(Buffer.from(b.moments.get(name)!.expAvg.buffer).equals(Buffer.from(m.expAvg.buffer)), name).toBe(true);
    }
  });

  it("a checkpoint whose optimizer step disagrees with its state is refused", () => {
    const t = trainer();
    t.step();
    const files = checkpointFiles({
      params: t.params, optimizer: { ...t.optimizerState(), stepCount: 7 },
      trainer: { format: "encoder-pooling pretrain 1", options, dropout: 0, state: t.state, log: { history: [], evals: [], seconds: 0, sessions: [] }, data: {} },
    });
    expect(() => parseCheckpoint({ model: files.get("model.safetensors") as Uint8Array, optimizer: files.get("optimizer.safetensors") as Uint8Array, trainer: files.get("trainer_state.json") as string }, "ckpt")).toThrow(/step 7 does not match/);
  });
});
