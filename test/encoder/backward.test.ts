// The encoder's backward: golden gradients of every parameter from PyTorch autograd
// (test/fixtures/make_encoder_backward_fixtures.py) on every backend, the trainable scope, the tape's
// memory, and central finite differences in Float64 (dropout on and off) on a tiny model.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseRobertaConfig, type RobertaConfig } from "../../src/encoder/config.js";
import { initRobertaWeights } from "../../src/encoder/init.js";
import type { RobertaInputs } from "../../src/encoder/roberta.js";
import { parseSafetensors, toFloat32Array, toInt32Array } from "../../src/encoder/safetensors.js";
import { TrainableRoberta } from "../../src/encoder/trainable.js";
import { tapeBytesPerToken, type TrainableScope } from "../../src/encoder/training.js";
import type { Backend } from "../../src/tensor/backend.js";
import { JsBackend } from "../../src/tensor/js-backend.js";
import { Rng } from "../../src/tensor/random.js";
import { tensor, type Tensor } from "../../src/tensor/tensor.js";
import { expectClose } from "../helpers.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

const DIR = fileURLToPath(new URL("../fixtures/encoder-backward/", import.meta.url));
const CASES = ["pooler-padded", "no-pooler-pad0"] as const;

interface GradCase {
  configText: string;
  modelBytes: Uint8Array;
  inputs: RobertaInputs;
  dHiddenStates: Tensor[];
  dPoolerOutput: Tensor | null;
  expected: Map<string, Float32Array>;
}

function readGradCase(name: string): GradCase {
  const dir = `${DIR}${name}`;
  const read = (file: string): Map<string, Tensor> => {
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(`${dir}/${file}`)), `${dir}/${file}`);
    return new Map([...tensors].filter(([, t]) => t.dtype.startsWith("F")).map(([k, t]) => [k, tensor(t.shape, toFloat32Array(t, file, k))]));
  };
  const raw = parseSafetensors(new Uint8Array(readFileSync(`${dir}/inputs.safetensors`)), "inputs").tensors;
  const ids = raw.get("input_ids")!;
  const inputs = read("inputs.safetensors");
  const dHiddenStates = [...inputs].filter(([k]) => k.startsWith("d_hidden_states.")).map(([, t]) => t);
  return {
    configText: readFileSync(`${dir}/config.json`, "utf8"),
    modelBytes: new Uint8Array(readFileSync(`${dir}/model.safetensors`)),
    inputs: {
      inputIds: toInt32Array(ids, "inputs", "input_ids"),
      attentionMask: toInt32Array(raw.get("attention_mask")!, "inputs", "attention_mask"),
      batchSize: ids.shape[0]!,
      seqLen: ids.shape[1]!,
    },
    dHiddenStates,
    dPoolerOutput: inputs.get("d_pooler_output") ?? null,
    expected: new Map([...read("expected.safetensors")].map(([k, t]) => [k, t.data])),
  };
}

/**
 * max |actual − expected| ≤ rtol · max(max |expected|, floor), naming the tensor and the worst element. The
 * floor (0.01) serves gradients that are exactly zero in exact arithmetic, such as the key bias's (softmax
 * ignores a constant added to a row of scores): there PyTorch's float64 gives 1e-16 and Float32 gives 1e-7.
 */
function expectRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, label: string): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  scale = Math.max(scale, 0.01);
  expectClose(actual, expected, rtol * scale, label);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst / scale;
}

describe("encoder backward against PyTorch autograd", () => {
  for (const name of CASES) {
    for (const { label, backend, reason } of TEST_BACKENDS) {
      it.skipIf(backend === null)(`${name} on ${label}${backend === null ? ` (skipped: ${reason})` : ""}: every parameter within 1e-4 relative`, () => {
        const c = readGradCase(name);
        const model = TrainableRoberta.load(c.configText, c.modelBytes, { backend: backend! });
        const before = backend!.memoryInUse();
        const out = model.forward(c.inputs);
        out.hiddenStates.forEach((h, l) => expectClose(h.data, c.expected.get(`hidden_states.${l}`)!, 2e-5, `${name} hidden_states.${l}`));
        if (c.dPoolerOutput !== null) expectClose(out.poolerOutput!.data, c.expected.get("pooler_output")!, 2e-5, `${name} pooler_output`);
        expect(backend!.memoryInUse() - before).toBe(out.tape.bytes);
        const grads = model.backward(out.tape, { dHiddenStates: c.dHiddenStates, dPoolerOutput: c.dPoolerOutput });
        expect(backend!.memoryInUse()).toBe(before);
        const names = [...c.expected.keys()].filter((k) => k.startsWith("grad.")).map((k) => k.slice(5));
        expect([...grads.keys()].sort()).toEqual(names.sort());
        let worst = 0;
        for (const n of names) worst = Math.max(worst, expectRelative(grads.get(n)!.data, c.expected.get(`grad.${n}`)!, 1e-4, `${name} ${label} grad ${n}`));
        expect(worst).toBeLessThan(1e-4);
        model.dispose();
      });
    }
  }

  it("a scope of the last layer gives the same gradients for what trains, and none for the rest", () => {
    const c = readGradCase("pooler-padded");
    const full = TrainableRoberta.load(c.configText, c.modelBytes);
    const all = full.backward(full.forward(c.inputs).tape, { dHiddenStates: c.dHiddenStates, dPoolerOutput: c.dPoolerOutput });
    const last = TrainableRoberta.load(c.configText, c.modelBytes, { scope: { embeddings: false, fromLayer: 1 } });
    const out = last.forward(c.inputs);
    expect(out.tape.bytes).toBeLessThan(full.forward(c.inputs).tape.bytes);
    const some = last.backward(out.tape, { dHiddenStates: c.dHiddenStates, dPoolerOutput: c.dPoolerOutput });
    expect([...some.keys()].sort()).toEqual(last.trainableNames().sort());
    expect(some.has("encoder.layer.0.attention.self.query.weight") || some.has("embeddings.LayerNorm.weight")).toBe(false);
    for (const [n, g] of some) expect(g.data, n).toEqual(all.get(n)!.data);
  });

  it("without dPoolerOutput the pooler gets no gradient; the tape's size is the formula's", () => {
    const c = readGradCase("pooler-padded");
    const model = TrainableRoberta.load(c.configText, c.modelBytes);
    const out = model.forward(c.inputs, { hiddenDropout: 0.1, attentionDropout: 0.1, rng: new Rng(1) });
    const { batchSize: B, seqLen: T } = c.inputs;
    expect(out.tape.bytes).toBe(B * T * tapeBytesPerToken(model.config, T, model.scope, true, true));
    const grads = model.backward(out.tape, { dHiddenStates: c.dHiddenStates });
    expect(grads.has("pooler.dense.weight")).toBe(false);
    expect(grads.has("embeddings.word_embeddings.weight")).toBe(true);
  });

  it("refuses a gradient of the wrong shape and dropout without an rng", () => {
    const c = readGradCase("pooler-padded");
    const model = TrainableRoberta.load(c.configText, c.modelBytes);
    expect(() => model.forward(c.inputs, { hiddenDropout: 0.1 })).toThrow(/rng/);
    const out = model.forward(c.inputs);
    expect(() => model.backward(out.tape, { dPoolerOutput: tensor([1, 2]) })).toThrow(/dPoolerOutput is \[1,2\], expected \[3,32\]/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Finite differences in Float64: the float64 js backend keeps every activation in Float64; the weights
// stay Float32, perturbed by a power of two so that p ± eps is exact.

const TINY: RobertaConfig = parseRobertaConfig(JSON.stringify({
  model_type: "roberta", hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 12,
  hidden_act: "gelu", layer_norm_eps: 1e-5, max_position_embeddings: 10, type_vocab_size: 1, pad_token_id: 1, vocab_size: 12,
}), "tiny");

/** A backend that also keeps the Float64 values of everything downloaded (the outputs, in order). */
function recording(be: JsBackend): { backend: Backend; seen: Float64Array[] } {
  const seen: Float64Array[] = [];
  const backend = new Proxy(be, {
    get(target, key) {
      if (key === "download") return (a: Parameters<Backend["download"]>[0]) => (seen.push(target.downloadFloat64(a)), target.download(a));
      const v = Reflect.get(target, key) as unknown;
      return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { backend, seen };
}

describe("encoder backward by finite differences (Float64)", () => {
  const inputs: RobertaInputs = {
    // row 0 full, row 1 padded on the right (pad id 1), row 2 a single token
    inputIds: Int32Array.from([0, 5, 7, 3, 2, 0, 9, 2, 1, 1, 0, 1, 1, 1, 1]),
    attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0]),
    batchSize: 3,
    seqLen: 5,
  };
  const cases: { label: string; scope: TrainableScope; dropout: number }[] = [
    { label: "everything, dropout off", scope: { embeddings: true, fromLayer: 0 }, dropout: 0 },
    { label: "everything, dropout 0.2 (hidden and attention)", scope: { embeddings: true, fromLayer: 0 }, dropout: 0.2 },
    { label: "the last layer and the pooler", scope: { embeddings: false, fromLayer: 1 }, dropout: 0.1 },
  ];
  for (const { label, scope, dropout } of cases) {
    it(label, () => {
      const { backend, seen } = recording(new JsBackend({ float64: true }));
      const weights = initRobertaWeights(TINY, new Rng(3), { pooler: true, std: 0.5 });
      for (const [n, t] of weights) if (n.includes("LayerNorm") || n.endsWith(".bias")) new Rng(n.length).fillNormal(t.data, 0.3).forEach((v, i) => (t.data[i] = (n.endsWith("weight") ? 1 : 0) + v));
      const model = TrainableRoberta.fromTensors(TINY, weights, { backend, scope });
      const L = TINY.numHiddenLayers;
      const gen = new Rng(9);
      const dHidden = Array.from({ length: L + 1 }, () => tensor([3, 5, 8], gen.fillNormal(new Float32Array(120), 1)));
      const dPooled = tensor([3, 8], gen.fillNormal(new Float32Array(24), 1));
      const options = () => ({ hiddenDropout: dropout, attentionDropout: dropout, rng: new Rng(42) });
      // loss = Σ_l <dHidden[l], hiddenStates[l]> + <dPooled, poolerOutput>, from the Float64 outputs
      const loss = (): number => {
        seen.length = 0;
        model.sync();
        model.forward(inputs, options()).tape.free();
        let sum = 0;
        for (let l = 0; l <= L; l++) for (let i = 0; i < 120; i++) sum += dHidden[l]!.data[i]! * seen[l]![i]!;
        for (let i = 0; i < 24; i++) sum += dPooled.data[i]! * seen[L + 1]![i]!;
        return sum;
      };
      model.sync();
      const grads = model.backward(model.forward(inputs, options()).tape, { dHiddenStates: dHidden, dPoolerOutput: dPooled });
      expect([...grads.keys()].sort()).toEqual(model.trainableNames().sort());
      const eps = 2 ** -16;
      const pick = new Rng(5);
      let checked = 0;
      for (const name of model.trainableNames()) {
        const p = model.parameters.get(name)!.data;
        // a few elements of each tensor; for the tables, rows that ids and positions use and the padding row
        const rows = name === "embeddings.word_embeddings.weight" ? [5, 1] : name === "embeddings.position_embeddings.weight" ? [2, 1] : [];
        const indices = rows.length > 0 ? rows.map((r) => r * 8 + pick.int(8)) : Array.from({ length: 3 }, () => pick.int(p.length));
        for (const i of indices) {
          if (rows.length > 0 && Math.floor(i / 8) === TINY.padTokenId) {
            // the padding row gets no gradient, by nn.Embedding(padding_idx)'s convention (not the derivative)
            expect(grads.get(name)!.data[i], `${name}[${i}] (padding row)`).toBe(0);
            continue;
          }
          const saved = p[i]!;
          expect(Math.fround(saved + eps)).toBe(saved + eps);
          p[i] = saved + eps;
          const plus = loss();
          p[i] = saved - eps;
          const minus = loss();
          p[i] = saved;
          const numeric = (plus - minus) / (2 * eps);
          const analytic = grads.get(name)!.data[i]!;
          expect(Math.abs(numeric - analytic), `${name}[${i}]: numeric ${numeric}, analytic ${analytic}`).toBeLessThan(1e-6 + 2e-5 * Math.abs(analytic));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    });
  }
});
