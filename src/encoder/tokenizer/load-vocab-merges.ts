// Loader for the two-file form of a GPT-2/RoBERTa tokenizer: vocab.json (token -> id) and merges.txt
// (one merge rule "left right" per line, by rank, after an optional "#version: 0.2" line).

import { describeValue, TokenizerError } from "../../errors.js";
import { parseJson } from "../json.js";
import type { AddedToken } from "./added-tokens.js";
import { addVocabEntry, checkUniqueIds, isObject, type MergeRule, type TokenizerSpec } from "./spec.js";

/** Parses vocab.json; `source` names the file in errors. */
export function parseVocabJson(text: string, source: string): Map<string, number> {
  const json = parseJson(text, source, TokenizerError);
  if (!isObject(json)) throw new TokenizerError(`${source}: expected a JSON object mapping tokens to ids`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) addVocabEntry(vocab, token, id, source);
  if (vocab.size === 0) throw new TokenizerError(`${source}: the vocabulary is empty`);
  checkUniqueIds(vocab, source);
  return vocab;
}

/** Parses merges.txt; each rule remembers its line number for later errors. */
export function parseMergesTxt(text: string, source: string): MergeRule[] {
  const lines = text.split("\n");
  const merges: MergeRule[] = [];
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || (index === 0 && line.startsWith("#version"))) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new TokenizerError(`${source} line ${index + 1}: expected two symbols separated by one space, got ${describeValue(line)}`);
    }
    merges.push({ left: parts[0]!, right: parts[1]!, where: `${source} line ${index + 1}` });
  });
  return merges;
}

/**
 * The added tokens of Hugging Face's RobertaTokenizer for the two-file form: ids come from vocab.json;
 * <mask> strips the whitespace on its left. <s>, </s> and <pad> must be in the vocabulary.
 */
export function robertaSpecFromFiles(vocabJson: string, mergesTxt: string, vocabSource: string, mergesSource: string): TokenizerSpec {
  const vocab = parseVocabJson(vocabJson, vocabSource);
  const merges = parseMergesTxt(mergesTxt, mergesSource);
  const addedTokens: AddedToken[] = [];
  for (const content of ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]) {
    const id = vocab.get(content);
    if (id === undefined) {
      if (content === "<unk>" || content === "<mask>") continue;
      throw new TokenizerError(`${vocabSource}: special token ${content} is missing`);
    }
    addedTokens.push({ id, content, special: true, lstrip: content === "<mask>", rstrip: false, singleWord: false });
  }
  return {
    vocab,
    merges,
    addedTokens,
    bosToken: "<s>",
    eosToken: "</s>",
    padToken: "<pad>",
    unkToken: "<unk>",
    addPrefixSpace: false,
    vocabSource,
  };
}
