// weights/train-bpe.ts against the tiny vocabulary trained by the Python reference
// (test/fixtures/make_tokenizer_fixtures.py: same counting, same tie-breaking, naive re-counting).
import { describe, expect, it } from "vitest";
import { Tokenizer } from "../../../src/encoder/tokenizer/index.js";
import { mergesTxtText, trainByteLevelBpe, vocabJsonText } from "../../../weights/train-bpe.js";
import { readFixture } from "./shared-files.js";

describe("trainByteLevelBpe", () => {
  const corpus = readFixture("tiny-corpus.txt");

  it("learns the same merges and vocabulary as the Python reference", () => {
    const { vocab, merges } = trainByteLevelBpe([corpus], { vocabSize: 400 });
    expect(vocab).toEqual(JSON.parse(readFixture("tiny-vocab.json")));
    expect(mergesTxtText(merges)).toBe(readFixture("tiny-merges.txt"));
  });

  it("lays the vocabulary out like roberta-base and stops at vocabSize", () => {
    const { vocab, merges } = trainByteLevelBpe([corpus, corpus], { vocabSize: 300 });
    expect(Object.keys(vocab).length).toBe(300);
    expect([vocab["<s>"], vocab["<pad>"], vocab["</s>"], vocab["<unk>"], vocab["Ā"], vocab["Ġ"], vocab["<mask>"]]).toEqual([0, 1, 2, 3, 4, 4 + 32, 299]);
    expect(merges.length).toBe(300 - 261);
  });

  it("writes files the tokenizer loads, and the result round-trips text", () => {
    const { vocab, merges } = trainByteLevelBpe([corpus], { vocabSize: 350 });
    const tokenizer = Tokenizer.fromVocabAndMerges(vocabJsonText(vocab), mergesTxtText(merges));
    expect(tokenizer.vocabSize).toBe(Object.keys(vocab).length);
    const text = "The end of the text — 東京 👍🏽 is near.";
    const encoding = tokenizer.encode(text, { addSpecialTokens: false });
    expect(tokenizer.decode(encoding.inputIds)).toBe(text);
    // merges shorten the text: fewer tokens than UTF-8 bytes
    expect(encoding.inputIds.length).toBeLessThan(new TextEncoder().encode(text).length);
  });

  it("rejects a vocabulary too small for the byte symbols", () => {
    expect(() => trainByteLevelBpe([corpus], { vocabSize: 100 })).toThrow(/vocabSize must be an integer in \[261/);
  });
});
