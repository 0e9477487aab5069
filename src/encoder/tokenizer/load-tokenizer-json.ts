// Loader for Hugging Face's one-file tokenizer.json, restricted to what GPT-2/RoBERTa use: a BPE model
// with byte-level pre-tokenisation. Merges may be stored as "a b" strings (tokenizers < 0.20) or as
// ["a", "b"] pairs (newer files). Anything else is refused as "not supported" rather than approximated.

import { NotSupportedError, TokenizerError } from "../../errors.js";
import type { AddedToken } from "./added-tokens.js";
import { addVocabEntry, checkUniqueIds, isObject, parseJsonText, type MergeRule, type TokenizerSpec } from "./spec.js";

/** Parses tokenizer.json text into a TokenizerSpec; `source` names the file in errors. */
export function specFromTokenizerJson(text: string, source: string): TokenizerSpec {
  const json = parseJsonText(text, source);
  if (!isObject(json)) throw new TokenizerError(`${source}: expected a JSON object`);
  const model = json["model"];
  if (!isObject(model)) throw new TokenizerError(`${source}: model: expected an object`);
  checkModel(model, source);
  const vocab = parseModelVocab(model["vocab"], source);
  const merges = parseModelMerges(model["merges"], source);
  checkPipeline(json, source);
  const addedTokens = parseAddedTokens(json["added_tokens"], source);
  const [bosToken, eosToken] = specialsFromPostProcessor(json["post_processor"], source);
  const preTokenizer = json["pre_tokenizer"] as Record<string, unknown>;
  return {
    vocab,
    merges,
    addedTokens,
    bosToken,
    eosToken,
    padToken: "<pad>",
    unkToken: typeof model["unk_token"] === "string" ? model["unk_token"] : "<unk>",
    addPrefixSpace: preTokenizer["add_prefix_space"] === true,
    vocabSource: `${source} model.vocab`,
  };
}

function checkModel(model: Record<string, unknown>, source: string): void {
  if (model["type"] !== undefined && model["type"] !== "BPE") throw new NotSupportedError(`${source}: model.type ${JSON.stringify(model["type"])} (only BPE)`);
  if (model["dropout"] !== undefined && model["dropout"] !== null) throw new NotSupportedError(`${source}: model.dropout (BPE dropout)`);
  for (const field of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    const value = model[field];
    if (value !== undefined && value !== null && value !== "") throw new NotSupportedError(`${source}: model.${field} ${JSON.stringify(value)}`);
  }
  for (const field of ["byte_fallback", "ignore_merges"]) {
    if (model[field] === true) throw new NotSupportedError(`${source}: model.${field}`);
  }
}

function parseModelVocab(value: unknown, source: string): Map<string, number> {
  if (!isObject(value)) throw new TokenizerError(`${source}: model.vocab: expected an object mapping tokens to ids`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) addVocabEntry(vocab, token, id, `${source} model.vocab`);
  if (vocab.size === 0) throw new TokenizerError(`${source}: model.vocab is empty`);
  checkUniqueIds(vocab, `${source} model.vocab`);
  return vocab;
}

function parseModelMerges(value: unknown, source: string): MergeRule[] {
  if (!Array.isArray(value)) throw new TokenizerError(`${source}: model.merges: expected an array`);
  return value.map((entry: unknown, i) => {
    const where = `${source} model.merges[${i}]`;
    let parts: unknown[] | null = null;
    if (typeof entry === "string") parts = entry.split(" ");
    else if (Array.isArray(entry)) parts = entry;
    const [left, right] = parts ?? [];
    if (parts === null || parts.length !== 2 || typeof left !== "string" || typeof right !== "string" || left === "" || right === "") {
      throw new TokenizerError(`${where}: expected "left right" or ["left", "right"], got ${JSON.stringify(entry)}`);
    }
    return { left, right, where };
  });
}

/** The normalizer, pre-tokenizer and decoder must be those of a byte-level BPE without normalisation. */
function checkPipeline(json: Record<string, unknown>, source: string): void {
  const normalizer = json["normalizer"];
  if (normalizer !== null && normalizer !== undefined) {
    throw new NotSupportedError(`${source}: normalizer ${JSON.stringify(isObject(normalizer) ? normalizer["type"] : normalizer)}`);
  }
  const pre = json["pre_tokenizer"];
  if (!isObject(pre) || pre["type"] !== "ByteLevel") {
    throw new NotSupportedError(`${source}: pre_tokenizer ${JSON.stringify(isObject(pre) ? pre["type"] : pre)} (only ByteLevel)`);
  }
  if (pre["use_regex"] === false) throw new NotSupportedError(`${source}: pre_tokenizer.use_regex false`);
  const decoder = json["decoder"];
  if (decoder !== null && decoder !== undefined && (!isObject(decoder) || decoder["type"] !== "ByteLevel")) {
    throw new NotSupportedError(`${source}: decoder ${JSON.stringify(isObject(decoder) ? decoder["type"] : decoder)} (only ByteLevel)`);
  }
}

function parseAddedTokens(value: unknown, source: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TokenizerError(`${source}: added_tokens: expected an array`);
  return value.map((entry: unknown, i) => {
    const where = `${source} added_tokens[${i}]`;
    if (!isObject(entry)) throw new TokenizerError(`${where}: expected an object`);
    const { id, content } = entry;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) throw new TokenizerError(`${where}: id must be a non-negative integer, got ${JSON.stringify(id)}`);
    if (typeof content !== "string" || content === "") throw new TokenizerError(`${where}: content must be a non-empty string, got ${JSON.stringify(content)}`);
    return {
      id,
      content,
      special: entry["special"] === true,
      lstrip: entry["lstrip"] === true,
      rstrip: entry["rstrip"] === true,
      singleWord: entry["single_word"] === true,
    };
  });
}

/** [cls, sep] token strings: from RobertaProcessing, or <s> and </s> when there is no post-processor. */
function specialsFromPostProcessor(value: unknown, source: string): [string, string] {
  if (value === null || value === undefined) return ["<s>", "</s>"];
  if (!isObject(value)) throw new TokenizerError(`${source}: post_processor: expected an object`);
  if (value["type"] === "ByteLevel") return ["<s>", "</s>"];
  if (value["type"] !== "RobertaProcessing") {
    throw new NotSupportedError(`${source}: post_processor ${JSON.stringify(value["type"])} (only RobertaProcessing)`);
  }
  const tokenOf = (field: "cls" | "sep"): string => {
    const pair = value[field];
    if (!Array.isArray(pair) || typeof pair[0] !== "string") throw new TokenizerError(`${source}: post_processor.${field}: expected ["token", id]`);
    return pair[0];
  };
  return [tokenOf("cls"), tokenOf("sep")];
}
