// The hard-strings table of test/fixtures/make_tokenizer_fixtures.py (Python reference: GPT-2's
// encoder with the `regex` module): ids, tokens, offsets, decoded text and the lone-surrogate flag,
// with the tiny fixture vocabulary (always) and with roberta-base (when the shared folder exists).
import { describe, expect, it } from "vitest";
import { Tokenizer } from "../../../src/encoder/tokenizer/index.js";
import { describeWithShared, readFixture, readShared } from "./shared-files.js";

interface HardRow {
  name: string;
  text: string;
  options: { add_special_tokens?: boolean; add_prefix_space?: boolean };
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  decoded: string;
  replaced_invalid: boolean;
}

function checkRows(tokenizer: Tokenizer, rows: HardRow[]): void {
  for (const row of rows) {
    it(row.name, () => {
      const encoding = tokenizer.encode(row.text, {
        addSpecialTokens: row.options.add_special_tokens ?? true,
        addPrefixSpace: row.options.add_prefix_space ?? false,
      });
      expect(encoding.inputIds, "ids").toEqual(row.ids);
      expect(encoding.tokens, "tokens").toEqual(row.tokens);
      expect(encoding.offsets, "offsets").toEqual(row.offsets);
      expect(encoding.replacedInvalid, "replacedInvalid").toBe(row.replaced_invalid);
      expect(encoding.truncated).toBe(false);
      expect(tokenizer.decode(encoding.inputIds), "decoded").toBe(row.decoded);
    });
  }
}

describe("hard strings, tiny fixture vocabulary", () => {
  const rows = (JSON.parse(readFixture("golden-tiny.json")) as { rows: HardRow[] }).rows;
  const tokenizer = Tokenizer.fromVocabAndMerges(readFixture("tiny-vocab.json"), readFixture("tiny-merges.txt"));
  checkRows(tokenizer, rows);
});

describeWithShared("hard strings, roberta-base", () => {
  const rows = (JSON.parse(readFixture("golden-roberta.json")) as { rows: HardRow[] }).rows;
  describe("vocab.json + merges.txt", () => {
    checkRows(Tokenizer.fromVocabAndMerges(readShared("vocab.json"), readShared("merges.txt")), rows);
  });
  describe("tokenizer.json", () => {
    checkRows(Tokenizer.fromTokenizerJson(readShared("tokenizer.json")), rows);
  });
});
