// Fine-tuning parity with PyTorch (test/fixtures/make_finetune_fixtures.py): one and two AdamW steps of
// encoder + pooler + head (parameter groups with layer-wise decay, gradient accumulation, clipping) give
// the same parameters within 1e-5; the saved encoder has a strict RobertaModel's tensors and gives the
// fine-tuned model's outputs within 1e-4. Then the fine-tune loop on a toy task.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RobertaModel } from "../../src/encoder/roberta.js";
import { parseSafetensors, toFloat32Array } from "../../src/encoder/safetensors.js";
import { TrainableRoberta } from "../../src/encoder/trainable.js";
import { createPooler } from "../../src/pooling/index.js";
import { Rng } from "../../src/tensor/random.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { fineTune, parseFineTune, type FineTuneData } from "../../src/train/fine-tune.js";
import { encoderLrScales, fineTuneParameters, fineTuneStep, type MicroBatch } from "../../src/train/fine-tune-step.js";
import { createHead, type HeadKind } from "../../src/train/heads/index.js";
import { LabelEncoder } from "../../src/train/labels.js";
import { AdamW } from "../../src/train/optim.js";
import { expectClose } from "../helpers.js";

const DIR = fileURLToPath(new URL("../fixtures/fine-tune/", import.meta.url));

interface Fixture {
  fineTune: string;
  pooling: object;
  head: HeadKind;
  numClasses: number;
  inputIds: number[];
  attentionMask: number[];
  shape: [number, number];
  labels: number[];
  micro: number[][];
  lr: number;
  encoderLr: number;
  layerLrDecay: number;
  weightDecay: number;
  maxGradNorm: number;
  initial: Record<string, { shape: number[]; data: number[] }>;
  steps: { loss: number; gradNorm: number; lrFactor: number }[];
  strictStateDict: Record<string, number[]>;
}

function part(initial: Fixture["initial"], prefix: string): Map<string, Tensor<Float64Array>> {
  const out = new Map<string, Tensor<Float64Array>>();
  for (const [k, v] of Object.entries(initial)) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), { data: Float64Array.from(v.data), shape: v.shape });
  return out;
}

/** Rows of the fixture's padded batch, at its full length (as PyTorch indexes them). */
function rowsOf(f: Fixture, rows: number[]): MicroBatch {
  const T = f.shape[1];
  const inputIds = new Int32Array(rows.length * T), attentionMask = new Int32Array(rows.length * T);
  rows.forEach((r, b) => {
    inputIds.set(f.inputIds.slice(r * T, (r + 1) * T), b * T);
    attentionMask.set(f.attentionMask.slice(r * T, (r + 1) * T), b * T);
  });
  return { inputs: { inputIds, attentionMask, batchSize: rows.length, seqLen: T }, targets: rows.map((r) => f.labels[r]!) };
}

describe("fine-tuning steps against PyTorch", () => {
  for (const name of ["all-attention", "last1-mean-accum"]) {
    it(`${name}: one and two AdamW steps within 1e-5; the saved encoder loads as a strict RobertaModel and gives its outputs within 1e-4`, () => {
      const dir = `${DIR}${name}`;
      const f = JSON.parse(readFileSync(`${dir}/fixture.json`, "utf8")) as Fixture;
      const configText = readFileSync(`${dir}/config.json`, "utf8");
      const expected = parseSafetensors(new Uint8Array(readFileSync(`${dir}/expected.safetensors`)), "expected").tensors;
      const L = 2;
      const encoder = TrainableRoberta.load(configText, new Uint8Array(readFileSync(`${dir}/model.safetensors`)), { scope: parseFineTune(f.fineTune, L)! });
      const dims = { numLayers: L, hiddenSize: encoder.config.hiddenSize };
      // pooler and head in float64, as PyTorch's reference: attention pooling's last bias has a gradient of
      // exactly 0 (softmax ignores a shift), which Float32 rounding turns into Adam steps of the full rate
      const dtype = "float64";
      const pooler = createPooler(f.pooling, dims, { dtype, parameters: part(f.initial, "pooler.") });
      const head = createHead(f.head, pooler.outputSize, f.numClasses, { dtype, parameters: part(f.initial, "head.") });
      const params = fineTuneParameters(encoder, pooler, head);
      const optimizer = new AdamW(params, { lr: f.lr, weightDecay: f.weightDecay, lrScales: encoderLrScales(encoder, f.lr, f.encoderLr, f.layerLrDecay) });
      const micro = f.micro.map((rows) => rowsOf(f, rows));
      f.steps.forEach((s, i) => {
        const { loss, gradNorm } = fineTuneStep(encoder, pooler, head, optimizer, "classification", micro, {
          lr: f.lr * s.lrFactor, maxGradNorm: f.maxGradNorm, hiddenDropout: 0, attentionDropout: 0, rng: new Rng(0),
        });
        expect(Math.abs(loss - s.loss), `step ${i + 1} loss ${loss} vs ${s.loss}`).toBeLessThan(1e-5);
        expect(Math.abs(gradNorm - s.gradNorm) / s.gradNorm, `step ${i + 1} grad norm ${gradNorm} vs ${s.gradNorm}`).toBeLessThan(1e-5);
        const names = [...expected.keys()].filter((k) => k.startsWith(`step${i + 1}.`)).map((k) => k.slice(`step${i + 1}.`.length));
        expect([...params.keys()].sort()).toEqual(names.sort());
        for (const n of names) expectClose(params.get(n)!.data, toFloat32Array(expected.get(`step${i + 1}.${n}`)!, "expected", n), 1e-5, `${name} step ${i + 1} ${n}`);
      });
      // the saved encoder: exactly the tensors (names, shapes) of a strict RobertaModel state_dict, F32
      const bytes = encoder.toSafetensors();
      const saved = parseSafetensors(bytes, "saved").tensors;
      expect(Object.fromEntries([...saved].map(([k, t]) => [k, t.shape]))).toEqual(f.strictStateDict);
      expect([...saved.values()].every((t) => t.dtype === "F32")).toBe(true);
      const reloaded = RobertaModel.load(configText, bytes);
      const out = reloaded.forward(rowsOf(f, f.labels.map((_, r) => r)).inputs);
      out.hiddenStates.forEach((h, l) => expectClose(h.data, toFloat32Array(expected.get(`final.hidden_states.${l}`)!, "expected", "final"), 1e-4, `${name} fine-tuned hidden_states.${l}`));
    });
  }

  it("parses --fine-tune values and refuses others", () => {
    expect(parseFineTune("frozen", 12)).toBeNull();
    expect(parseFineTune("all", 12)).toEqual({ embeddings: true, fromLayer: 0 });
    expect(parseFineTune("last:2", 12)).toEqual({ embeddings: false, fromLayer: 10 });
    for (const bad of ["last:0", "last:13", "some", "last:x"]) expect(() => parseFineTune(bad, 12), bad).toThrow(/frozen, all or last:N with N in 1..12/);
  });
});

describe("fine-tune loop", () => {
  it("learns a toy task (is token 7 in the text?) through the <s> vector: training loss falls, validation macro-F1 above 0.7", async () => {
    const dir = `${DIR}all-attention`;
    const configText = readFileSync(`${dir}/config.json`, "utf8");
    const encoder = TrainableRoberta.load(configText, new Uint8Array(readFileSync(`${dir}/model.safetensors`)));
    // class = whether token 7 occurs in the text; <s> = 0 first, </s> = 2 last
    const gen = new Rng(4);
    const make = (n: number): { ids: number[][]; labels: string[] } => {
      const ids: number[][] = [];
      const labels: string[] = [];
      for (let i = 0; i < n; i++) {
        const body = Array.from({ length: 3 + gen.int(4) }, () => 3 + gen.int(20));
        const positive = i % 2 === 0;
        const filtered = body.map((t) => (t === 7 ? 8 : t));
        if (positive) filtered[gen.int(filtered.length)] = 7;
        ids.push([0, ...filtered, 2]);
        labels.push(positive ? "yes" : "no");
      }
      return { ids, labels };
    };
    const encoder2 = LabelEncoder.fit("classification", ["no", "yes"]);
    const labelsOf = (l: string[]) => encoder2.encode(l, "toy");
    const train = make(48), valid = make(16);
    const data: FineTuneData = { inputIds: train.ids, labels: labelsOf(train.labels) };
    const validData: FineTuneData = { inputIds: valid.ids, labels: labelsOf(valid.labels) };
    const pooler = createPooler("cls", { numLayers: 2, hiddenSize: 16 });
    const head = createHead("linear", 16, 2, { seed: 1 });
    const epochs: number[] = [];
    const result = await fineTune(encoder, pooler, head, data, validData, {
      epochs: 6, batchSize: 8, gradAccum: 2, lr: 3e-2, encoderLr: 3e-3, layerLrDecay: 0.9, seed: 3, patience: null,
      hiddenDropout: 0, attentionDropout: 0, onEpoch: (r) => epochs.push(r.trainLoss),
    });
    expect(result.history).toHaveLength(6);
    expect(epochs[5]!).toBeLessThan(epochs[0]!);
    expect(result.bestMetric!).toBeGreaterThan(0.7);
  });
});
