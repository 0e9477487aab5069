// A sentence-transformers folder is read as sentence-transformers reads it: modules.json, the Pooling
// module's pooling_mode_* (each mode and combinations), Normalize, sentence_bert_config.json
// (max_seq_length, do_lower_case), tokenizer_config.json (model_max_length, add_prefix_space). The
// expected ids and vectors come from a reference of those modules in PyTorch
// (test/fixtures/make_sentence_transformers_fixture.py). Anything present but not understood is a warning.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/io/load-model.js";
import { parseFolderSettings } from "../../src/pipeline/folder-settings.js";
import { expectClose } from "../helpers.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "sentence-transformers");
const FOLDER = join(FIXTURE, "tiny-st");
const expected = JSON.parse(readFileSync(join(FIXTURE, "expected.json"), "utf8")) as {
  texts: string[];
  cases: { name: string; modes: string[]; files: Record<string, unknown>; remove: string[]; ids: number[][]; vectors: number[][] }[];
};
// float32 forward and pooling against PyTorch's float32 on the same weights
const ATOL = 1e-5;

const work = mkdtempSync(join(tmpdir(), "st-folder-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let copies = 0;

/** A copy of the fixture folder with some files replaced or removed. */
function variant(files: Record<string, unknown>, remove: string[] = []): string {
  const dir = join(work, `v${++copies}`);
  cpSync(FOLDER, dir, { recursive: true });
  for (const [path, value] of Object.entries(files)) writeFileSync(join(dir, path), typeof value === "string" ? value : JSON.stringify(value));
  for (const path of remove) rmSync(join(dir, path));
  return dir;
}

describe("a sentence-transformers folder gives the vectors of its modules (PyTorch reference)", () => {
  for (const c of expected.cases) {
    it(`${c.name}: ids and vectors of the batch (atol ${ATOL})`, async () => {
      const warnings: string[] = [];
      const model = await loadModel(variant(c.files, c.remove), { onWarning: (w) => warnings.push(w) });
      expect(warnings).toEqual([]);
      expect(model.tokenize(expected.texts).map((e) => e.inputIds)).toEqual(c.ids);
      const { data, dim } = await model.embed(expected.texts);
      expect(dim).toBe(c.vectors[0]!.length);
      expectClose(data, c.vectors.flat(), ATOL, c.name);
    });
  }

  it("the folder's own settings are what it says, and options override them", async () => {
    const model = await loadModel(FOLDER);
    expect(model.folder).toMatchObject({
      pooling: { type: "combine", parts: ["cls", "max"] }, normalize: true, maxLength: 12, lowercase: true,
      sources: { pooling: "1_Pooling/config.json", normalize: "2_Normalize", maxLength: "sentence_bert_config.json max_seq_length" },
    });
    expect(model.defaultMaxLength).toBe(12);
    const own = await model.embed(expected.texts);
    const plain = await model.embed(expected.texts, { pooling: "cls", normalize: false, maxLength: 38 });
    expect(plain.dim).toBe(16);
    expect(plain.count).toBe(own.count);
    expect(Math.hypot(...own.vectors[1]!)).toBeCloseTo(1, 5);
    expect(Math.hypot(...plain.vectors[1]!)).not.toBeCloseTo(1, 2);
    expect(model.tokenize(["ONE winter a storm broke the lamp of the lighthouse"], { maxLength: 38 })[0]!.inputIds.length).toBeGreaterThan(12);
  });
});

describe("what a folder has but encoder-pooling does not understand is a warning naming the file", () => {
  it("an unsupported module, an unknown key, prompts", async () => {
    const modules = JSON.parse(readFileSync(join(FOLDER, "modules.json"), "utf8")) as object[];
    const dir = variant({
      "modules.json": [...modules, { idx: 3, name: "3", path: "3_Dense", type: "sentence_transformers.models.Dense" }],
      "sentence_bert_config.json": { max_seq_length: 12, do_lower_case: true, sparse: true },
      "config_sentence_transformers.json": { prompts: { query: "query: " }, default_prompt_name: "query" },
    });
    const warnings: string[] = [];
    const model = await loadModel(dir, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^${dir}/modules.json: module 3 "3_Dense" \\(Dense\\) is not supported and is skipped`)),
      `${dir}/sentence_bert_config.json: "sparse": true is not understood and is ignored`,
      `${dir}/config_sentence_transformers.json: prompts query are not applied: prepend the one you want to your texts`,
      `${dir}/config_sentence_transformers.json: default_prompt_name "query": sentence-transformers prepends that prompt to every text, encoder-pooling does not`,
    ]);
    expect(model.folder.warnings).toEqual(warnings);
  });

  it("a pooling config that disagrees with the model, or a broken modules.json, is an error naming the file", async () => {
    await expect(loadModel(variant({ "1_Pooling/config.json": { word_embedding_dimension: 768, pooling_mode_mean_tokens: true } }))).rejects.toThrow(
      /1_Pooling\/config.json: word_embedding_dimension is 768 but the model's hidden size is 16/,
    );
    await expect(loadModel(variant({ "modules.json": "[{" }))).rejects.toThrow(/modules.json: not valid JSON/);
    await expect(loadModel(variant({}, ["1_Pooling/config.json"]))).rejects.toThrow(/1_Pooling\/config.json: missing \(modules.json lists the Pooling module "1"\)/);
  });

  it("an older folder keeps its model in 0_Transformer/", async () => {
    const dir = join(work, "old-layout");
    cpSync(FOLDER, dir, { recursive: true });
    const inner = join(dir, "0_Transformer");
    cpSync(FOLDER, inner, { recursive: true, filter: (src) => !/modules.json|_Pooling|_Normalize|config_sentence/.test(src) });
    for (const f of ["config.json", "model.safetensors", "vocab.json", "merges.txt", "sentence_bert_config.json", "tokenizer_config.json", "special_tokens_map.json"]) rmSync(join(dir, f));
    const modules = JSON.parse(readFileSync(join(FOLDER, "modules.json"), "utf8")) as { path: string }[];
    modules[0]!.path = "0_Transformer";
    writeFileSync(join(dir, "modules.json"), JSON.stringify(modules));
    const { data } = await (await loadModel(dir)).embed(expected.texts);
    expectClose(data, expected.cases[0]!.vectors.flat(), ATOL, "0_Transformer layout");
  });

  it("tokenizer_config.json's special tokens and Hugging Face's 'no limit' model_max_length", () => {
    const settings = parseFolderSettings({
      "tokenizer_config.json": JSON.stringify({ model_max_length: 1e30, cls_token: "<cls>", pad_token: { content: "<p>" }, add_prefix_space: false }),
      "special_tokens_map.json": JSON.stringify({ cls_token: "<s>" }),
    }, "m");
    expect(settings.maxLength).toBeNull();
    expect(settings.tokenizer).toEqual({ addPrefixSpace: false, clsToken: "<s>", padToken: "<p>" });
    expect(settings.warnings).toEqual([]);
  });
});
