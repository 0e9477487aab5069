// One MLM batch through the whole RobertaForMaskedLM (encoder + tied LM head) against PyTorch autograd
// (test/fixtures/make_mlm_step_fixture.py): the loss and the gradient of every parameter, the word
// embeddings' being the sum of the input lookup's and the decoder's, on every backend.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { parseSafetensors, toInt32Array } from "../../src/encoder/safetensors.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { MlmPretrainer, type PretrainOptions } from "../../src/train/pretrain.js";
import { createMlmEncoder } from "../../src/train/pretrain-encoder.js";
import { expectClose } from "../helpers.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

const dir = new URL("../fixtures/pretrain/mlm-step/", import.meta.url).pathname;
const read = (file: string) => parseSafetensors(new Uint8Array(readFileSync(`${dir}${file}`)), file).tensors;
const config = parseRobertaConfig(readFileSync(`${dir}config.json`, "utf8"), "mlm-step/config.json");
const inputs = read("inputs.safetensors");
const expected = read("expected.safetensors");
const ids = toInt32Array(inputs.get("input_ids")!, "inputs", "input_ids");
const positions = toInt32Array(inputs.get("positions")!, "inputs", "positions");
const labels = toInt32Array(inputs.get("labels")!, "inputs", "labels");
const [B, T] = inputs.get("input_ids")!.shape as [number, number];
const V = config.vocabSize;
const vocab = { vocabSize: V, bosTokenId: 0, padTokenId: 1, eosTokenId: 2, maskTokenId: V - 1, specialIds: [0, 1, 2, 3, V - 1] };
const options: PretrainOptions = {
  batchSize: B, totalSteps: 1, warmupSteps: 0, schedule: "linear", lr: 1e-3, weightDecay: 0.01, betas: [0.9, 0.98], eps: 1e-6,
  maxGradNorm: 1, maskProbability: 0.15, seed: 0,
};

/** max |a − e| ≤ rtol · max(max |e|, 0.01) */
function expectRelative(actual: ArrayLike<number>, want: ArrayLike<number>, rtol: number, label: string): void {
  let scale = 0.01;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  expectClose(actual, want, rtol * scale, label);
}

describe("MLM loss and gradients of RobertaForMaskedLM vs PyTorch", () => {
  for (const { label, backend, reason } of TEST_BACKENDS) {
    it.skipIf(backend === null)(`${label}${reason ? ` (skipped: ${reason})` : ""}: loss and every parameter's gradient within 1e-4 relative`, () => {
      const params = new Map<string, Tensor>();
      for (const [name, t] of read("model.safetensors")) params.set(name, { data: t.data as Float32Array, shape: t.shape });
      const encoder = createMlmEncoder(config, backend!, params, 0);
      const rows = { data: ids, count: B, T };
      const trainer = new MlmPretrainer(encoder, params, vocab, rows, options);
      const { loss, grads } = trainer.lossAndGradients({ inputIds: ids, positions, labels }, B, T);
      const want = Number(expected.get("loss")!.data[0]!);
      expect(Math.abs(loss - want) / want).toBeLessThan(1e-5);
      const names = [...expected.keys()].filter((k) => k.startsWith("grad.")).map((k) => k.slice(5));
      expect([...grads.keys()].sort()).toEqual(names.sort());
      for (const name of names) expectRelative(grads.get(name)!, expected.get(`grad.${name}`)!.data as Float32Array, 1e-4, name);
    });
  }
});
