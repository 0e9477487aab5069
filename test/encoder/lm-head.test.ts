// The tied LM head of RobertaForMaskedLM against PyTorch autograd (test/fixtures/make_lm_head_fixture.py)
// on every backend, and its backward against Float64 finite differences of the naive reference.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRobertaConfig, type RobertaConfig } from "../../src/encoder/config.js";
import {
  allocLmHeadGrads, downloadLmHeadGrads, freeLmHead, freeLmHeadCache, freeLmHeadGrads, initLmHead, lmHeadBackward, lmHeadForward,
  lmHeadReference, lmHeadShapes, uploadLmHead, TIED_DECODER_WEIGHT,
} from "../../src/encoder/lm-head.js";
import type { Backend } from "../../src/tensor/backend.js";
import { Rng } from "../../src/tensor/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { crossEntropyLoss } from "../../src/train/losses.js";
import { maskedLmLoss } from "../../src/train/mlm.js";
import { expectClose, numericGradient } from "../helpers.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

type TJson = { shape: number[]; data: number[] };
interface Case {
  H: number; V: number; M: number; eps: number;
  parameters: Record<string, TJson>;
  x: number[]; labels: number[]; logits: number[]; loss: number; dx: number[];
  dParameters: Record<string, number[]>;
}
const c = JSON.parse(readFileSync(new URL("../fixtures/pretrain/lm-head.json", import.meta.url), "utf8")) as Case;

function configOf(H: number, V: number, eps: number): RobertaConfig {
  return parseRobertaConfig({
    model_type: "roberta", hidden_size: H, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 2 * H, hidden_act: "gelu",
    layer_norm_eps: eps, max_position_embeddings: 16, type_vocab_size: 1, pad_token_id: 1, vocab_size: V,
  }, "test config");
}

/** Runs forward, the MLM loss and backward on `be`; returns the host results. */
function runHead(be: Backend, config: RobertaConfig, params: Map<string, Tensor>, xHost: Float32Array, labels: Int32Array) {
  const M = labels.length;
  const w = uploadLmHead(be, config, params);
  const x = be.upload(xHost);
  const { logits, cache } = lmHeadForward(be, w, x, M, config);
  const logitsHost = be.download(logits);
  const loss = maskedLmLoss(logitsHost, labels, config.vocabSize);
  const g = allocLmHeadGrads(be, config);
  const dx = be.alloc(M * config.hiddenSize);
  const dLogits = be.upload(loss.dLogits);
  lmHeadBackward(be, w, cache, dLogits, g, dx, config);
  const result = { logits: logitsHost, loss: loss.loss, dx: be.download(dx), grads: downloadLmHeadGrads(be, g) };
  freeLmHeadCache(be, cache);
  freeLmHeadGrads(be, g);
  freeLmHead(be, w);
  for (const a of [x, logits, dx, dLogits]) be.free(a);
  return result;
}

describe("LM head vs PyTorch (RobertaLMHead with the decoder tied to the word embeddings)", () => {
  const config = configOf(c.H, c.V, c.eps);
  const params = new Map(Object.entries(c.parameters).map(([k, v]) => [k, { data: Float32Array.from(v.data), shape: v.shape }]));
  for (const { label, backend, reason } of TEST_BACKENDS) {
    it.skipIf(backend === null)(`${label}${reason ? ` (skipped: ${reason})` : ""}: logits, loss, dx and every parameter gradient within 2e-5`, () => {
      const r = runHead(backend!, config, params, Float32Array.from(c.x), Int32Array.from(c.labels));
      expectClose(r.logits, c.logits, 2e-5, "logits");
      expect(Math.abs(r.loss - c.loss)).toBeLessThan(2e-6);
      expectClose(r.dx, c.dx, 2e-5, "dx");
      expect([...r.grads.keys()].sort()).toEqual(Object.keys(c.dParameters).sort());
      for (const [name, expected] of Object.entries(c.dParameters)) expectClose(r.grads.get(name)!, expected, 2e-5, name);
      expect(backend!.memoryInUse()).toBeGreaterThanOrEqual(0);
    });
  }

  it("the naive Float64 reference gives PyTorch's logits within 1e-10 (our erf is accurate to ~1e-11)", () => {
    const p64 = new Map(Object.entries(c.parameters).map(([k, v]) => [k, { data: Float64Array.from(v.data), shape: v.shape }]));
    expectClose(lmHeadReference(p64, Float64Array.from(c.x), c.M, config), c.logits, 1e-10, "logits f64");
  });
});

describe("LM head backward vs Float64 finite differences", () => {
  const H = 6;
  const V = 11;
  const M = 4;
  const config = configOf(H, V, 1e-5);
  const rng = new Rng(3);
  const p32 = initLmHead(config, rng, 0.5);
  p32.set(TIED_DECODER_WEIGHT, { data: rng.fillNormal(new Float32Array(V * H), 0.5), shape: [V, H] });
  for (const name of ["lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"]) {
    const t = p32.get(name)!;
    for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + 0.3 * rng.normal();
  }
  const x32 = rng.fillNormal(new Float32Array(M * H), 1);
  const labels = Int32Array.from([3, 0, 10, 3]);
  const p64 = new Map([...p32].map(([k, t]) => [k, { data: Float64Array.from(t.data), shape: t.shape }]));
  const x64 = Float64Array.from(x32);
  const loss = (): number => crossEntropyLoss({ data: lmHeadReference(p64, x64, M, config), shape: [M, V] }, labels).loss;
  const analytic = runHead(TEST_BACKENDS[0]!.backend!, config, p32, x32, labels);

  it("has the head's parameters in Hugging Face's order", () => {
    expect([...lmHeadShapes(config).keys()]).toEqual(["lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias", "lm_head.bias"]);
  });
  it("d loss / d x within 1e-5", () => {
    expectClose(analytic.dx, numericGradient(loss, x64), 1e-5, "dx");
  });
  for (const name of [...lmHeadShapes(config).keys(), TIED_DECODER_WEIGHT]) {
    it(`d loss / d ${name} within 1e-5`, () => {
      expectClose(analytic.grads.get(name)!, numericGradient(loss, p64.get(name)!.data), 1e-5, name);
    });
  }
});
