// Bad tokenizer files: each error is a TokenizerError (or NotSupportedError) naming the file and the
// line, entry or field at fault.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NotSupportedError, TokenizerError } from "../../../src/errors.js";
import { Tokenizer } from "../../../src/encoder/tokenizer/index.js";
import { readFixture } from "./shared-files.js";

const vocabText = readFixture("tiny-vocab.json");
const mergesText = readFixture("tiny-merges.txt");
const vocab = JSON.parse(vocabText) as Record<string, number>;

function expectTokenizerError(load: () => unknown, message: string | RegExp): void {
  expect(load).toThrow(TokenizerError);
  expect(load).toThrow(message);
}

function tokenizerJson(change: (json: Record<string, unknown>) => void): string {
  const json: Record<string, unknown> = {
    added_tokens: [{ id: 0, content: "<s>", special: true }, { id: 1, content: "<pad>", special: true }, { id: 2, content: "</s>", special: true }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0] },
    decoder: { type: "ByteLevel" },
    model: { vocab, merges: mergesText.split("\n").slice(1, 4) },
  };
  change(json);
  return JSON.stringify(json);
}
const model = (json: Record<string, unknown>): Record<string, unknown> => json["model"] as Record<string, unknown>;

describe("vocab.json", () => {
  const load = (v: string, source?: string) => () => Tokenizer.fromVocabAndMerges(v, mergesText, source === undefined ? {} : { source });

  it("invalid JSON names the file, line and column", () => {
    expectTokenizerError(load('{"<s>": 0,\n  "x": }', "models/tiny"), /^models\/tiny\/vocab\.json: not valid JSON at line 2, column 8/);
  });
  it("a JSON value that is not an object", () => {
    expectTokenizerError(load("[1, 2]"), "vocab.json: expected a JSON object mapping tokens to ids");
  });
  it("an id that is not a non-negative integer names the entry", () => {
    expectTokenizerError(load(JSON.stringify({ ...vocab, weird: -1 })), 'vocab.json: entry "weird": id must be an integer');
    expectTokenizerError(load(JSON.stringify({ ...vocab, weird: "7" })), 'entry "weird"');
  });
  it("two tokens with the same id", () => {
    expectTokenizerError(load(JSON.stringify({ ...vocab, twin: 5 })), /vocab\.json: entries ".+" and "twin" share id 5/);
  });
  it("an empty vocabulary, a missing byte symbol, a missing special token", () => {
    expectTokenizerError(load("{}"), "vocab.json: the vocabulary is empty");
    const withoutByte = { ...vocab };
    delete withoutByte["Ā"];
    expectTokenizerError(load(JSON.stringify(withoutByte)), 'vocab.json: byte 0x00 has no token "Ā"');
    const withoutBos = { ...vocab };
    delete withoutBos["<s>"];
    expectTokenizerError(load(JSON.stringify(withoutBos)), "vocab.json: special token <s> is missing");
  });
});

describe("merges.txt", () => {
  const load = (m: string) => () => Tokenizer.fromVocabAndMerges(vocabText, m, { source: "dir" });

  it("a line that is not two symbols names the line", () => {
    expectTokenizerError(load("#version: 0.2\nĠ t\nh  e\n"), 'dir/merges.txt line 3: expected two symbols separated by one space, got "h  e"');
    expectTokenizerError(load("#version: 0.2\nĠ t\nhe\n"), "dir/merges.txt line 3");
  });
  it("a symbol outside the vocabulary names the line", () => {
    expectTokenizerError(load("#version: 0.2\nĠ t\nh Ω\n"), 'dir/merges.txt line 3: "Ω" is not in the vocabulary (dir/vocab.json)');
  });
  it("a merge whose result is not in the vocabulary", () => {
    expectTokenizerError(load("Ġ t\nq z\n"), 'dir/merges.txt line 2: "qz" is not in the vocabulary');
  });
  it("CRLF line ends and a missing #version line are accepted", () => {
    const crlf = mergesText.replace(/\n/g, "\r\n");
    const text = "The end of the text.";
    const expected = Tokenizer.fromVocabAndMerges(vocabText, mergesText).encode(text);
    expect(Tokenizer.fromVocabAndMerges(vocabText, crlf).encode(text)).toEqual(expected);
    expect(Tokenizer.fromVocabAndMerges(vocabText, mergesText.split("\n").slice(1).join("\n")).encode(text)).toEqual(expected);
  });
});

describe("tokenizer.json", () => {
  const load = (text: string) => () => Tokenizer.fromTokenizerJson(text, { source: "m/tokenizer.json" });

  it("loads the minimal valid file", () => {
    expect(load(tokenizerJson(() => {}))().vocabSize).toBe(397);
  });
  it("invalid JSON and a missing model", () => {
    expectTokenizerError(load('{"model": '), /^m\/tokenizer\.json: not valid JSON/);
    expectTokenizerError(load(tokenizerJson((j) => delete j["model"])), "m/tokenizer.json: model: expected an object");
  });
  it("bad vocabulary and merge entries name the field and index", () => {
    expectTokenizerError(load(tokenizerJson((j) => (model(j)["vocab"] = { ...vocab, x: 1.5 }))), 'm/tokenizer.json model.vocab: entry "x"');
    expectTokenizerError(load(tokenizerJson((j) => (model(j)["merges"] = ["Ġ t", ["h"], "e r"]))), 'm/tokenizer.json model.merges[1]: expected "left right" or ["left", "right"], got ["h"]');
    expectTokenizerError(load(tokenizerJson((j) => (model(j)["merges"] = ["Ġ t", 7]))), "model.merges[1]");
    expectTokenizerError(load(tokenizerJson((j) => (model(j)["merges"] = ["Ġ t", "Ġ Ω"]))), 'm/tokenizer.json model.merges[1]: "Ω" is not in the vocabulary');
  });
  it("bad added tokens name the index", () => {
    expectTokenizerError(load(tokenizerJson((j) => (j["added_tokens"] = [{ id: 0, content: "" }]))), "m/tokenizer.json added_tokens[0]: content must be a non-empty string");
    expectTokenizerError(load(tokenizerJson((j) => (j["added_tokens"] = [{ id: "0", content: "<s>" }]))), "added_tokens[0]: id must be a non-negative integer");
  });
  it("pipelines other than byte-level BPE are refused as not supported", () => {
    const refused = (change: (j: Record<string, unknown>) => void, message: string) => {
      expect(load(tokenizerJson(change))).toThrow(NotSupportedError);
      expect(load(tokenizerJson(change))).toThrow(message);
    };
    refused((j) => (j["normalizer"] = { type: "Lowercase" }), 'm/tokenizer.json: normalizer "Lowercase"');
    refused((j) => (j["pre_tokenizer"] = { type: "Whitespace" }), 'pre_tokenizer "Whitespace" (only ByteLevel)');
    refused((j) => (model(j)["type"] = "WordPiece"), 'model.type "WordPiece" (only BPE)');
    refused((j) => (model(j)["dropout"] = 0.1), "model.dropout");
    refused((j) => (j["post_processor"] = { type: "BertProcessing" }), 'post_processor "BertProcessing"');
  });
});

describe("missing tokenizer files", () => {
  it("loadModel names the folder and the files it expected", async () => {
    const { loadModel } = await import("../../../src/io/load-model.js");
    const dir = mkdtempSync(join(tmpdir(), "tokenizer-missing-"));
    try {
      writeFileSync(join(dir, "config.json"), "{}");
      writeFileSync(join(dir, "vocab.json"), vocabText);
      await expect(loadModel(dir)).rejects.toThrow(TokenizerError);
      await expect(loadModel(dir)).rejects.toThrow(`${dir}: no tokenizer files: expected tokenizer.json, or vocab.json and merges.txt`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("jsonErrorIndex", () => {
  it("finds the first bad character, or -1 for valid JSON", async () => {
    const { jsonErrorIndex } = await import("../../../src/encoder/json.js");
    expect(jsonErrorIndex('{"a": [1, 2.5e3, "x\\u00e9", true, null]}')).toBe(-1);
    expect(jsonErrorIndex('{"a": 1,}')).toBe(8);
    expect(jsonErrorIndex('{"a": tru}')).toBe(6);
    expect(jsonErrorIndex('{"a": "b"')).toBe(9);
    expect(jsonErrorIndex('{"a": "b"} x')).toBe(11);
    expect(jsonErrorIndex('["\\q"]')).toBe(3);
  });
});
