// The whole pipeline, text -> tokenizer -> RoBERTa -> pooler -> vector, against the PyTorch golden
// values of test/fixtures/make_pipeline_fixtures.py (a tiny model folder with our own BPE files).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, PoolingError, TokenizerError } from "../../src/errors.js";
import { loadModel } from "../../src/io/load-model.js";
import { loadModelFromBuffers, type EncoderModel } from "../../src/pipeline/model.js";
import { cosineSimilarity, similarityMatrix, TopK } from "../../src/pipeline/similarity.js";
import type { Backend } from "../../src/tensor/backend.js";
import { jsBackend } from "../../src/tensor/js-backend.js";
import { Rng } from "../../src/tensor/random.js";
import { expectClose } from "../helpers.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "pipeline");
const TINY = join(FIXTURES, "tiny");
const POOLINGS = ["cls", "mean", "max", "mean-max"] as const;
// float32 through two layers of a 16-wide encoder; the golden values are float32 PyTorch rounded to 1e-8
const ATOL = 1e-5;

interface Row {
  name: string;
  text: string;
  ids: number[];
  truncated: boolean;
  pooled: Record<string, number[]>;
  normalized: Record<string, number[]>;
}
const expected = JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as { max_length: number; rows: Row[] };
const rows = expected.rows;
const texts = rows.map((r) => r.text);
const longIndex = rows.findIndex((r) => r.truncated);

const work = mkdtempSync(join(tmpdir(), "model-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModel(TINY);
});

function file(name: string): string {
  return readFileSync(join(TINY, name), "utf8");
}

/** Hugging Face's tokenizer.json for the same vocabulary and merges as the two-file form. */
function tokenizerJson(): string {
  const vocab = JSON.parse(file("vocab.json")) as Record<string, number>;
  const merges = file("merges.txt").split("\n").slice(1).filter((line) => line !== "");
  const added = (content: string, lstrip = false) => ({ id: vocab[content], content, single_word: false, lstrip, rstrip: false, normalized: false, special: true });
  return JSON.stringify({
    version: "1.0",
    added_tokens: [added("<s>"), added("<pad>"), added("</s>"), added("<unk>"), added("<mask>", true)],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", vocab["</s>"]], cls: ["<s>", vocab["<s>"]], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, vocab, merges },
  });
}

/** Checks every pooling, raw and normalised, of `m` against the golden vectors. */
async function expectGolden(m: EncoderModel, label: string): Promise<void> {
  for (const pooling of POOLINGS) {
    for (const normalize of [false, true]) {
      const { vectors, dim } = await m.embed(texts, { pooling, normalize });
      expect(dim, `${label} ${pooling} dim`).toBe(rows[0]!.pooled[pooling]!.length);
      rows.forEach((row, i) => {
        const golden = (normalize ? row.normalized : row.pooled)[pooling]!;
        expectClose(vectors[i]!, golden, ATOL, `${label} ${pooling}${normalize ? " normalized" : ""} "${row.name}"`);
      });
    }
  }
}

describe("text -> vector against PyTorch (tiny model, our BPE files)", () => {
  it("tokenizes each text to the ids of the Python GPT-2 reference, truncating the long one", () => {
    expect(model.maxLength).toBe(expected.max_length);
    const warnings: [string, number][] = [];
    const encodings = model.tokenize(texts, { onWarning: (message, i) => warnings.push([message, i]) });
    rows.forEach((row, i) => {
      expect(encodings[i]!.inputIds, row.name).toEqual(row.ids);
      expect(encodings[i]!.truncated, row.name).toBe(row.truncated);
    });
    expect(warnings).toEqual([[`truncated to ${expected.max_length} tokens`, longIndex]]);
  });

  it("a smaller maxLength keeps <s>, the first text tokens and </s>", () => {
    const ids = rows[longIndex]!.ids;
    const [encoding] = model.tokenize([texts[longIndex]!], { maxLength: 10 });
    expect(encoding!.inputIds).toEqual([...ids.slice(0, 9), ids[ids.length - 1]!]);
  });

  it(`embeds with cls, mean, max and mean-max, raw and L2-normalised, within ${ATOL} (loadModel)`, async () => {
    await expectGolden(model, "loadModel");
  });

  it("loadModelFromBuffers with vocab.json + merges.txt gives the same vectors", async () => {
    const m = await loadModelFromBuffers({
      config: file("config.json"),
      weights: new Uint8Array(readFileSync(join(TINY, "model.safetensors"))),
      vocab: file("vocab.json"),
      merges: file("merges.txt"),
    });
    await expectGolden(m, "buffers vocab+merges");
  });

  it("loadModelFromBuffers with an equivalent tokenizer.json (and config object, weights ArrayBuffer) gives the same ids and vectors", async () => {
    const bytes = readFileSync(join(TINY, "model.safetensors"));
    const m = await loadModelFromBuffers({
      config: JSON.parse(file("config.json")) as object,
      weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      tokenizerJson: tokenizerJson(),
    });
    m.tokenize(texts).forEach((e, i) => expect(e.inputIds, rows[i]!.name).toEqual(rows[i]!.ids));
    await expectGolden(m, "buffers tokenizer.json");
  });
});

describe("batching does not change the vectors", () => {
  // mixed lengths (1 to 38 tokens) in a seeded random order, so batches of 3 mix short and long texts
  const pool = [...texts, "a", "the sea", "The children waited on the pier for the ferry.", "1887", "Zürich 👍🏽", "the keeper  and  the lamp"];
  const rng = new Rng(7);
  const shuffled = pool
    .map((text) => ({ text, key: rng.next() }))
    .sort((a, b) => a.key - b.key)
    .map((p) => p.text);

  it("the padded, length-sorted batches really hold texts of different lengths", () => {
    const encodings = model.tokenize(shuffled);
    const padded = [...model.batches(encodings, 3)].filter((b) => b.indices.some((i) => encodings[i]!.inputIds.length < b.seqLen));
    expect(padded.length).toBeGreaterThan(0);
  });

  for (const pooling of POOLINGS) {
    it(`${pooling}: each text alone equals the same text in a batch of 3 (atol ${ATOL}), in input order`, async () => {
      const batched = await model.embed(shuffled, { pooling, batchSize: 3 });
      expect(batched.count).toBe(shuffled.length);
      for (let i = 0; i < shuffled.length; i++) {
        const alone = await model.embed([shuffled[i]!], { pooling });
        expectClose(batched.vectors[i]!, alone.vectors[0]!, ATOL, `${pooling} "${shuffled[i]}" (position ${i})`);
      }
    });
  }
});

describe("normalize", () => {
  it("gives unit vectors for every pooling, the empty text included (atol 1e-6)", async () => {
    for (const pooling of POOLINGS) {
      const { vectors } = await model.embed(texts, { pooling, normalize: true });
      vectors.forEach((v, i) => {
        let sumSq = 0;
        for (const x of v) sumSq += x * x;
        expectClose([Math.sqrt(sumSq)], [1], 1e-6, `${pooling} "${rows[i]!.name}" norm`);
      });
    }
  });
});

describe("errors", () => {
  it("a model folder without tokenizer files is a TokenizerError naming the folder", async () => {
    const dir = join(work, "no-tokenizer");
    mkdirSync(dir);
    copyFileSync(join(TINY, "config.json"), join(dir, "config.json"));
    copyFileSync(join(TINY, "model.safetensors"), join(dir, "model.safetensors"));
    await expect(loadModel(dir)).rejects.toThrow(TokenizerError);
    await expect(loadModel(dir)).rejects.toThrow(dir);
    // vocab.json without merges.txt is not enough either
    copyFileSync(join(TINY, "vocab.json"), join(dir, "vocab.json"));
    await expect(loadModel(dir)).rejects.toThrow(/merges\.txt/);
  });

  it("loadModelFromBuffers without a tokenizer is a TokenizerError", async () => {
    const files = { config: file("config.json"), weights: new Uint8Array(readFileSync(join(TINY, "model.safetensors"))), source: "mem" };
    await expect(loadModelFromBuffers(files)).rejects.toThrow(TokenizerError);
    await expect(loadModelFromBuffers({ ...files, vocab: file("vocab.json") })).rejects.toThrow(/mem: no tokenizer/);
  });

  it("an unknown pooling name is a PoolingError naming it", async () => {
    await expect(model.embed(["a"], { pooling: "average" })).rejects.toThrow(PoolingError);
    await expect(model.embed(["a"], { pooling: "average" })).rejects.toThrow(/average/);
  });

  it("maxLength outside 2..38 is an InputError stating the range", async () => {
    for (const maxLength of [0, 1, 39, 2.5, Number.NaN]) {
      await expect(model.embed(["a"], { maxLength }), String(maxLength)).rejects.toThrow(InputError);
      expect(() => model.tokenize(["a"], { maxLength }), String(maxLength)).toThrow(/from 2 to 38/);
    }
    const { count } = await model.embed(["a"], { maxLength: 2 });
    expect(count).toBe(1);
  });

  it("truncation: false refuses an over-long text, naming it", async () => {
    await expect(model.embed(texts, { truncation: false })).rejects.toThrow(InputError);
    await expect(model.embed(texts, { truncation: false })).rejects.toThrow(`text ${longIndex + 1}: longer than 38 tokens`);
    await expect(model.embed(texts, { truncation: false, describeText: (i) => `reviews.txt:${i + 10}` })).rejects.toThrow(
      `reviews.txt:${longIndex + 10}`,
    );
    // texts that fit are fine without truncation
    const fit = texts.filter((_, i) => i !== longIndex);
    expect((await model.embed(fit, { truncation: false })).count).toBe(fit.length);
  });

  it("a bad batchSize, or something other than texts, is an InputError", async () => {
    await expect(model.embed(["a"], { batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(model.embed(42 as unknown as string[])).rejects.toThrow(/expected a string or an array of strings, got number/);
    await expect(model.embed(["a", null] as unknown as string[])).rejects.toThrow(/text 2 is null, expected a string/);
  });
});

describe("the API a user expects", () => {
  it("embed takes one string as well as a list, and [] gives an empty result", async () => {
    const one = await model.embed(texts[0]!, { pooling: "mean" });
    expect(one.count).toBe(1);
    expectClose(one.vectors[0]!, rows[0]!.pooled["mean"]!, ATOL, "one string");
    const none = await model.embed([], { pooling: "mean-max" });
    expect(none).toEqual({ data: new Float32Array(0), count: 0, dim: 32, vectors: [] });
    expect(await model.embed([], { output: "token_embeddings" })).toEqual({ count: 0, dim: 16, tokens: [], lengths: [], inputIds: [] });
  });

  it('output: "token_embeddings" gives every real token of the last layer, <s> and </s> included (mean of them = mean pooling)', async () => {
    const out = await model.embed(texts, { output: "token_embeddings", batchSize: 3 });
    expect(out.lengths).toEqual(rows.map((r) => r.ids.length));
    expect(out.inputIds).toEqual(rows.map((r) => r.ids));
    out.tokens.forEach((t, i) => {
      const n = out.lengths[i]!;
      expect(t.length).toBe(n * 16);
      const mean = Array.from({ length: 16 }, (_, h) => {
        let s = 0;
        for (let k = 0; k < n; k++) s += t[k * 16 + h]!;
        return s / n;
      });
      expectClose(mean, rows[i]!.pooled["mean"]!, ATOL, `token mean ${rows[i]!.name}`);
      expectClose(t.subarray(0, 16), rows[i]!.pooled["cls"]!, ATOL, `first token ${rows[i]!.name}`);
    });
    await expect(model.embed(texts, { output: "token_embeddings", pooling: "cls" })).rejects.toThrow(/pooling does not apply/);
    await expect(model.embed(texts, { output: "sentences" as "token_embeddings" })).rejects.toThrow(/output must be "sentence_embedding" or "token_embeddings"/);
  });

  it("cosineSimilarity and similarityMatrix match the dot products of normalised vectors", async () => {
    const raw = await model.embed(texts, { pooling: "mean" });
    const unit = await model.embed(texts, { pooling: "mean", normalize: true });
    const { data, rows: n, cols } = similarityMatrix(raw);
    expect([n, cols]).toEqual([texts.length, texts.length]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < cols; j++) {
        const dot = unit.vectors[i]!.reduce((s, x, d) => s + x * unit.vectors[j]![d]!, 0);
        expect(data[i * cols + j]).toBeCloseTo(dot, 5);
        expect(cosineSimilarity(raw.vectors[i]!, raw.vectors[j]!)).toBeCloseTo(dot, 5);
      }
      expect(data[i * cols + i]).toBeCloseTo(1, 6);
    }
    const cross = similarityMatrix(raw.vectors.slice(0, 2), raw);
    expect([cross.rows, cross.cols]).toEqual([2, texts.length]);
    expect(cosineSimilarity([0, 0], [1, 2])).toBe(0);
    expect(() => cosineSimilarity([1, 2], [1, 2, 3])).toThrow(/sizes 2 and 3/);
  });

  it("TopK keeps the k best of a stream, best first, earlier rows first on ties", () => {
    const top = new TopK<string>(3);
    const scores = [0.2, 0.9, 0.5, 0.9, -1, 0.7, 0.1];
    scores.forEach((s, i) => top.push(i, s, `row ${i}`));
    expect(top.sorted().map((h) => [h.index, h.score])).toEqual([[1, 0.9], [3, 0.9], [5, 0.7]]);
    const rng = new Rng(4);
    const many = Array.from({ length: 500 }, () => rng.uniform(0, 1));
    const best = new TopK(10);
    many.forEach((s, i) => best.push(i, s, undefined));
    expect(best.sorted().map((h) => h.score)).toEqual([...many].sort((a, b) => b - a).slice(0, 10));
  });
});

// Text to vector on every backend that runs here (js, wasm on 1 and 2 threads): the encoder and the
// pooler's kernels both on it, within 1e-4 of the pure-TS path, and the same bits when embedded again.
describe("embed on every backend against the pure-TS path (the shipped model, English text)", () => {
  const english = [
    "The committee met on Tuesday to discuss the budget for the coming year.",
    "Rain.",
    "She walked slowly along the river, watching the boats drift past the old mill.",
  ];
  const poolings: (string | object)[] = ["mean", "cls", { type: "lstm", hiddenSize: 16 }, { type: "attention", hiddenSize: 24 }];
  const embedAll = async (backend: Backend): Promise<Float32Array[]> => {
    const model = await loadModel(undefined, { backend });
    const out: Float32Array[] = [];
    for (const pooling of poolings) out.push((await model.embed(english, { pooling, batchSize: 2 })).data);
    model.dispose();
    return out;
  };

  for (const { label, backend, reason } of TEST_BACKENDS.filter((b) => b.label !== "js-naive")) {
    it.skipIf(backend === null)(`${label}${backend === null ? ` (skipped: ${reason})` : ""}: every pooling within 1e-4, the same bits twice`, async () => {
      const reference = await embedAll(jsBackend);
      const [first, second] = [await embedAll(backend!), await embedAll(backend!)];
      first.forEach((v, i) => expectClose(v, reference[i]!, 1e-4, `${label} ${JSON.stringify(poolings[i])}`));
      second.forEach((v, i) => expect(v, `${label} ${JSON.stringify(poolings[i])} again`).toEqual(first[i]));
    });
  }
});
