// Behaviour of the Tokenizer beyond the golden tables: the heap BPE against GPT-2's naive loop,
// tokenizer.json with both merge formats, truncation, batches, decode, lone surrogates, long words.
import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/errors.js";
import { BYTE_TO_CHAR, Tokenizer } from "../../../src/encoder/tokenizer/index.js";
import { readFixture } from "./shared-files.js";

const vocabText = readFixture("tiny-vocab.json");
const mergesText = readFixture("tiny-merges.txt");
const tiny = Tokenizer.fromVocabAndMerges(vocabText, mergesText);
const mergeRules = mergesText.split("\n").slice(1).filter((l) => l !== "").map((l) => l.split(" ") as [string, string]);

/** GPT-2's encoder.py loop: find the lowest-ranked pair, merge it everywhere, rebuild the word. */
function naiveBpe(word: string[]): string[] {
  const rank = new Map(mergeRules.map(([a, b], i) => [`${a} ${b}`, i]));
  for (;;) {
    let best = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = rank.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && (best < 0 || r < best)) best = r;
    }
    if (best < 0) return word;
    const [a, b] = mergeRules[best]!;
    const next: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
        next.push(a + b);
        i++;
      } else next.push(word[i]!);
    }
    word = next;
  }
}

function tinyTokenizerJson(mergeFormat: "string" | "pair"): string {
  return JSON.stringify({
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<s>", special: true, lstrip: false, rstrip: false, single_word: false, normalized: true },
      { id: 1, content: "<pad>", special: true, lstrip: false, rstrip: false, single_word: false, normalized: true },
      { id: 2, content: "</s>", special: true, lstrip: false, rstrip: false, single_word: false, normalized: true },
      { id: 3, content: "<unk>", special: true, lstrip: false, rstrip: false, single_word: false, normalized: true },
      { id: 396, content: "<mask>", special: true, lstrip: true, rstrip: false, single_word: false, normalized: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true },
    model: {
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      vocab: JSON.parse(vocabText),
      merges: mergeRules.map(([a, b]) => (mergeFormat === "string" ? `${a} ${b}` : [a, b])),
    },
  });
}

describe("BPE by merge rank", () => {
  it("matches GPT-2's naive loop on words of the corpus and on odd ones", () => {
    const words = [...readFixture("tiny-corpus.txt").split(/\s+/), "aaaaaaa", "thethethe", "000000000", "eeeeeeeeeeer", "ordordord"];
    for (const word of words) {
      const bytes = Array.from(new TextEncoder().encode(word), (b) => BYTE_TO_CHAR[b]!);
      const expected = naiveBpe(bytes);
      expect(tiny.encode(word, { addSpecialTokens: false }).tokens, word).toEqual(expected);
    }
  });

  it("is not quadratic: 50,000 × 'a' encodes within a few seconds and decodes back", () => {
    const text = "a".repeat(50_000);
    const start = performance.now();
    const encoding = tiny.encode(text);
    const ms = performance.now() - start;
    expect(ms, `took ${ms.toFixed(0)} ms`).toBeLessThan(5_000);
    expect(tiny.decode(encoding.inputIds, { skipSpecialTokens: true })).toBe(text);
    // the tiny vocabulary has no "aa": one token per letter, each with its own offsets
    expect(encoding.inputIds.length).toBe(50_002);
    expect(encoding.offsets.at(-2)).toEqual([49_999, 50_000]);
  });
});

describe("tokenizer.json", () => {
  for (const format of ["string", "pair"] as const) {
    it(`with merges as ${format === "string" ? '"a b" strings' : '["a","b"] pairs'} encodes like vocab.json + merges.txt`, () => {
      const fromJson = Tokenizer.fromTokenizerJson(tinyTokenizerJson(format));
      const text = "It's the end of the text, <mask> and </s> 東京 👍🏽!";
      expect(fromJson.encode(text)).toEqual(tiny.encode(text));
      expect(fromJson.vocabSize).toBe(tiny.vocabSize);
    });
  }
});

describe("special token ids", () => {
  it("come from the vocabulary", () => {
    expect([tiny.bosTokenId, tiny.padTokenId, tiny.eosTokenId, tiny.unkTokenId]).toEqual([0, 1, 2, 3]);
    expect(tiny.tokenToId("<mask>")).toBe(396);
    expect(tiny.idToToken(396)).toBe("<mask>");
    expect(tiny.idToToken(10_000)).toBeUndefined();
    expect(tiny.vocabSize).toBe(397);
  });
});

describe("truncation", () => {
  const text = "The end of the text is near; the end of the text is here.";
  const full = tiny.encode(text);

  it("keeps <s> and </s> and cuts the text tokens", () => {
    const cut = tiny.encode(text, { maxLength: 6 });
    expect(cut.truncated).toBe(true);
    expect(cut.inputIds).toEqual([...full.inputIds.slice(0, 5), tiny.eosTokenId]);
    expect(cut.offsets).toEqual([...full.offsets.slice(0, 5), [0, 0]]);
    expect(cut.tokens.length).toBe(6);
  });

  it("does nothing when the text fits", () => {
    const same = tiny.encode(text, { maxLength: full.inputIds.length });
    expect(same).toEqual(full);
  });

  it("without special tokens uses the whole length for text", () => {
    expect(tiny.encode(text, { maxLength: 3, addSpecialTokens: false }).inputIds).toEqual(full.inputIds.slice(1, 4));
  });

  it("with truncation off, refuses a text that is too long, naming the limit", () => {
    expect(() => tiny.encode(text, { maxLength: 6, truncation: false })).toThrow(InputError);
    expect(() => tiny.encode(text, { maxLength: 6, truncation: false })).toThrow("text is longer than maxLength 6 tokens (truncation is off)");
  });

  it("refuses a maxLength that cannot hold <s> and </s>", () => {
    expect(() => tiny.encode(text, { maxLength: 1 })).toThrow(/maxLength must be an integer >= 2, got 1/);
    expect(() => tiny.encode(text, { maxLength: 2.5 })).toThrow(InputError);
  });
});

describe("encodeBatch", () => {
  it("pads on the right with padTokenId to the longest and masks the padding", () => {
    const texts = ["a", "", "The end of the text."];
    const batch = tiny.encodeBatch(texts);
    const lengths = texts.map((t) => tiny.encode(t).inputIds.length);
    const seqLen = Math.max(...lengths);
    expect([batch.batchSize, batch.seqLen]).toEqual([3, seqLen]);
    texts.forEach((t, b) => {
      const row = Array.from(batch.inputIds.subarray(b * seqLen, (b + 1) * seqLen));
      const mask = Array.from(batch.attentionMask.subarray(b * seqLen, (b + 1) * seqLen));
      const pad = seqLen - lengths[b]!;
      expect(row).toEqual([...tiny.encode(t).inputIds, ...new Array<number>(pad).fill(tiny.padTokenId)]);
      expect(mask).toEqual([...new Array<number>(lengths[b]!).fill(1), ...new Array<number>(pad).fill(0)]);
    });
    expect(batch.encodings.map((e) => e.inputIds)).toEqual(texts.map((t) => tiny.encode(t).inputIds));
  });

  it("passes options on (maxLength) and refuses an empty batch", () => {
    expect(tiny.encodeBatch(["The end of the text is near."], { maxLength: 4 }).seqLen).toBe(4);
    expect(() => tiny.encodeBatch([])).toThrow("encodeBatch: empty batch");
  });
});

describe("decode", () => {
  it("keeps or drops special tokens", () => {
    const ids = tiny.encode("Hello <mask>!").inputIds;
    expect(tiny.decode(ids)).toBe("<s>Hello<mask>!</s>");
    expect(tiny.decode(ids, { skipSpecialTokens: true })).toBe("Hello!");
  });

  it("turns a character cut in the middle into U+FFFD", () => {
    const ids = tiny.encode("é", { addSpecialTokens: false }).inputIds; // "Ã©" is one merged token
    const [first] = Array.from(new TextEncoder().encode("é"), (b) => tiny.tokenToId(BYTE_TO_CHAR[b]!)!);
    expect(tiny.decode(ids)).toBe("é");
    expect(tiny.decode([first!])).toBe("\ufffd");
  });

  it("accepts typed arrays and refuses ids outside the vocabulary, naming the index", () => {
    expect(tiny.decode(Int32Array.from(tiny.encode("end").inputIds))).toBe("<s>end</s>");
    expect(() => tiny.decode([5, 397])).toThrow("decode: ids[1] = 397 is not in the vocabulary (397 ids)");
    expect(() => tiny.decode([-1])).toThrow(InputError);
  });
});

describe("lone surrogates", () => {
  it("are encoded as U+FFFD, reported, and offsets still index the input", () => {
    const text = "x\ud800y";
    const encoding = tiny.encode(text, { addSpecialTokens: false });
    expect(encoding.replacedInvalid).toBe(true);
    expect(encoding.inputIds).toEqual(tiny.encode("x\ufffdy", { addSpecialTokens: false }).inputIds);
    expect(encoding.offsets).toEqual([[0, 1], [1, 2], [1, 2], [1, 2], [2, 3]]);
    expect(tiny.encode("x\ud83d\ude00y").replacedInvalid).toBe(false);
  });

  it("rejects a non-string input with an InputError", () => {
    expect(() => tiny.encode(42 as unknown as string)).toThrow("encode: expected a string, got number");
  });
});
