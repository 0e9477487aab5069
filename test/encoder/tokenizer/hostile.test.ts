// Hostile tokenizer files and texts (issue 10): added tokens with regex characters, added tokens that
// claim another token's id, ids that would size tables in gigabytes, and a 50 MB single-word line
// with a small maxLength.
import { describe, expect, it } from "vitest";
import { TokenizerError } from "../../../src/errors.js";
import { Tokenizer } from "../../../src/encoder/tokenizer/index.js";
import { MAX_UNUSED_IDS } from "../../../src/encoder/tokenizer/spec.js";
import { readFixture } from "./shared-files.js";

const vocabText = readFixture("tiny-vocab.json");
const mergesText = readFixture("tiny-merges.txt");
const vocab = JSON.parse(vocabText) as Record<string, number>;
const tiny = Tokenizer.fromVocabAndMerges(vocabText, mergesText);

interface Added {
  id: unknown;
  content: unknown;
  special?: boolean;
}

function tokenizerJson(added: Added[], vocabOverride: Record<string, unknown> = vocab): string {
  return JSON.stringify({
    added_tokens: [{ id: 0, content: "<s>", special: true }, { id: 1, content: "<pad>", special: true }, { id: 2, content: "</s>", special: true }, ...added],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0] },
    decoder: { type: "ByteLevel" },
    model: { vocab: vocabOverride, merges: mergesText.split("\n").slice(1).filter((l) => l !== "") },
  });
}

function loadError(text: string): TokenizerError {
  try {
    Tokenizer.fromTokenizerJson(text, { source: "m/tokenizer.json" });
  } catch (err) {
    expect(err).toBeInstanceOf(TokenizerError);
    return err as TokenizerError;
  }
  throw new Error("expected the tokenizer to be refused");
}

describe("added tokens with regular-expression characters", () => {
  it("<|im-start|> loads and is found whole (it failed with 'Invalid regular expression: Invalid escape')", () => {
    const tok = Tokenizer.fromTokenizerJson(tokenizerJson([{ id: 397, content: "<|im-start|>", special: true }]));
    const { tokens, inputIds } = tok.encode("the<|im-start|>end");
    expect(tokens).toContain("<|im-start|>");
    expect(inputIds).toContain(397);
    expect(tok.decode(inputIds, { skipSpecialTokens: true })).toBe("theend");
  });

  it("every syntax character is matched literally", () => {
    const contents = ["[a-z]+", "(?:x)", "\\d", "$^", "a|b", "{2,3}", ".*", "/-/", "-x-"];
    const tok = Tokenizer.fromTokenizerJson(tokenizerJson(contents.map((content, i) => ({ id: 397 + i, content }))));
    for (const [i, content] of contents.entries()) {
      expect(tok.encode(`the ${content} end`, { addSpecialTokens: false }).inputIds).toContain(397 + i);
    }
    expect(tok.encode("abc", { addSpecialTokens: false }).inputIds).not.toContain(397 + 4); // "a|b" is not an alternation
  });
});

describe("added tokens must own their ids (Hugging Face renumbers such files; we refuse them plainly)", () => {
  it("an added token reusing a vocabulary id is refused ('hello world' came out as <s> <dup> ll …)", () => {
    const error = loadError(tokenizerJson([{ id: vocab["he"], content: "<dup>" }]));
    expect(error.message).toBe(`m/tokenizer.json added_tokens[3]: "<dup>" has id ${vocab["he"]}, which model.vocab gives to "he"; an added token needs an id of its own`);
  });

  it("a vocabulary token listed as added with another id is refused", () => {
    expect(loadError(tokenizerJson([{ id: 397, content: "he" }])).message).toBe(
      `m/tokenizer.json added_tokens[3]: "he" has id 397, but model.vocab gives it id ${vocab["he"]}`,
    );
  });

  it("two added tokens sharing an id, or one token listed with two ids, are refused", () => {
    expect(loadError(tokenizerJson([{ id: 397, content: "<a>" }, { id: 397, content: "<b>" }])).message).toMatch(/added_tokens\[4\]: "<b>" has id 397, like the added token "<a>"/);
    expect(loadError(tokenizerJson([{ id: 397, content: "<a>" }, { id: 398, content: "<a>" }])).message).toMatch(/added_tokens\[4\]: "<a>" is listed twice, with ids 397 and 398/);
  });

  it("the vocabulary's own special tokens listed again with their ids are fine", () => {
    const tok = Tokenizer.fromTokenizerJson(tokenizerJson([{ id: vocab["<unk>"], content: "<unk>", special: true }]));
    expect(tok.unkTokenId).toBe(vocab["<unk>"]);
  });
});

describe("ids are bounded before tables are sized by them", () => {
  it("added-token ids of 2e9 and 1e15 are refused at once (8 GB Int32Array, 'Invalid array length')", () => {
    for (const id of [2e9, 1e15]) {
      const error = loadError(tokenizerJson([{ id, content: "<big>" }]));
      expect(error.code).toBe("EP_LIMIT");
      expect(error.message).toMatch(/added_tokens\[3\]: id must be a non-negative integer up to 16777215/);
    }
  });

  it("ids far past the number of tokens are refused: the ids are not dense", () => {
    const far = 400 + MAX_UNUSED_IDS + 10;
    const error = loadError(tokenizerJson([{ id: far, content: "<far>" }]));
    expect(error.code).toBe("EP_LIMIT");
    expect(error.message).toMatch(/added token "<far>" has id \d+, but \d+ tokens allow ids up to \d+ \(tokens \+ 65536\): the ids are not dense/);
    const vocabError = (() => {
      try {
        Tokenizer.fromVocabAndMerges(JSON.stringify({ ...vocab, far: 16_000_000 }), mergesText);
      } catch (err) {
        return err as TokenizerError;
      }
      throw new Error("expected an error");
    })();
    expect(vocabError.code).toBe("EP_LIMIT");
    expect(vocabError.message).toMatch(/^vocab\.json: entry "far" has id 16000000/);
  });

  it("a small gap is fine", () => {
    expect(Tokenizer.fromTokenizerJson(tokenizerJson([{ id: 1000, content: "<gap>" }])).vocabSize).toBe(1001);
  });
});

describe("the tokenizer stops once maxLength tokens are produced", () => {
  it("a 50 MB single-word line with maxLength 16 gives its first 14 text tokens (it ran out of memory at 6.3 GB)", () => {
    const word = "thetexttoken".repeat(4_200_000); // 50.4 MB, one GPT-2 word
    const prefix = word.slice(0, 2000);
    const expected = tiny.encode(prefix).inputIds.slice(1, 15);
    const { inputIds, truncated, offsets } = tiny.encode(word, { maxLength: 16 });
    expect(inputIds).toEqual([0, ...expected, 2]);
    expect(truncated).toBe(true);
    expect(offsets.at(-2)![1]).toBeLessThan(200);
  });

  it("also with add_prefix_space and with millions of added tokens", () => {
    const word = "digits".repeat(5_000_000);
    expect(tiny.encode(word, { maxLength: 8, addPrefixSpace: true }).inputIds).toEqual(tiny.encode(word.slice(0, 600), { maxLength: 8, addPrefixSpace: true }).inputIds);
    const specials = "<s>".repeat(10_000_000);
    expect(tiny.encode(specials, { maxLength: 5 }).inputIds).toEqual([0, 0, 0, 0, 2]);
  });

  it("the first tokens of a long word are those of the whole word", () => {
    // words whose BPE depends on merges across the whole prefix: repeated pieces and mixed letters
    const words = ["aaaaaaaaaa", "thethe", "digitsdigit", "ersersers", "xyz", "oken"].map((w) => w.repeat(700));
    for (const word of words) {
      const full = tiny.encode(word).inputIds;
      for (const maxLength of [3, 10, 40]) {
        const cut = tiny.encode(word, { maxLength }).inputIds;
        expect(cut).toEqual([...full.slice(0, maxLength - 1), 2]);
      }
    }
  });
});
