// Loader for Hugging Face's one-file tokenizer.json, restricted to what GPT-2/RoBERTa use: a BPE model
// with byte-level pre-tokenisation. Merges may be stored as "a b" strings (tokenizers < 0.20) or as
// ["a", "b"] pairs (newer files). Anything else is refused as "not supported" rather than approximated.

import { describeValue, NotSupportedError, TokenizerError } from "../../errors.js";
import { parseJson } from "../json.js";
import type { AddedToken } from "./added-tokens.js";
import { addVocabEntry, checkUniqueIds, isObject, MAX_TOKEN_ID, type MergeRule, type TokenizerSpec } from "./spec.js";

/** Parses tokenizer.json text into a TokenizerSpec; `source` names the file in errors. */
export function specFromTokenizerJson(text: string, source: string): TokenizerSpec {
  const json = parseJson(text, source, TokenizerError);
  if (!isObject(json)) throw new TokenizerError(`${source}: expected a JSON object`);
  const model = json["model"];
  if (!isObject(model)) throw new TokenizerError(`${source}: model: expected an object`);
  checkModel(model, source);
  const vocab = parseModelVocab(model["vocab"], source);
  const merges = parseModelMerges(model["merges"], source);
  checkPipeline(json, source);
  const addedTokens = parseAddedTokens(json["added_tokens"], vocab, source);
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
  if (model["type"] !== undefined && model["type"] !== "BPE") throw new NotSupportedError(`${source}: model.type ${describeValue(model["type"])} (only BPE)`);
  if (model["dropout"] !== undefined && model["dropout"] !== null) throw new NotSupportedError(`${source}: model.dropout (BPE dropout)`);
  for (const field of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    const value = model[field];
    if (value !== undefined && value !== null && value !== "") throw new NotSupportedError(`${source}: model.${field} ${describeValue(value)}`);
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
      throw new TokenizerError(`${where}: expected "left right" or ["left", "right"], got ${describeValue(entry)}`);
    }
    return { left, right, where };
  });
}

/** The normalizer, pre-tokenizer and decoder must be those of a byte-level BPE without normalisation. */
function checkPipeline(json: Record<string, unknown>, source: string): void {
  const normalizer = json["normalizer"];
  if (normalizer !== null && normalizer !== undefined) {
    throw new NotSupportedError(`${source}: normalizer ${describeValue(isObject(normalizer) ? normalizer["type"] : normalizer)}`);
  }
  const pre = json["pre_tokenizer"];
  if (!isObject(pre) || pre["type"] !== "ByteLevel") {
    throw new NotSupportedError(`${source}: pre_tokenizer ${describeValue(isObject(pre) ? pre["type"] : pre)} (only ByteLevel)`);
  }
  if (pre["use_regex"] === false) throw new NotSupportedError(`${source}: pre_tokenizer.use_regex false`);
  const decoder = json["decoder"];
  if (decoder !== null && decoder !== undefined && (!isObject(decoder) || decoder["type"] !== "ByteLevel")) {
    throw new NotSupportedError(`${source}: decoder ${describeValue(isObject(decoder) ? decoder["type"] : decoder)} (only ByteLevel)`);
  }
}

/**
 * The added tokens, each with an id of its own. Hugging Face does not trust the ids written here: it
 * gives a token that is in model.vocab its vocabulary id and numbers the others after the vocabulary,
 * warning when that differs from the file. Files it wrote always agree; one that does not (an added
 * token claiming the id of another token, one token listed with two ids) is refused plainly, instead
 * of being renumbered behind the user's back or silently corrupting tokenization.
 */
function parseAddedTokens(value: unknown, vocab: Map<string, number>, source: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TokenizerError(`${source}: added_tokens: expected an array`);
  const tokenOfVocabId = new Map<number, string>();
  for (const [token, id] of vocab) tokenOfVocabId.set(id, token);
  const byId = new Map<number, string>();
  const byContent = new Map<string, number>();
  return value.map((entry: unknown, i) => {
    const where = `${source} added_tokens[${i}]`;
    if (!isObject(entry)) throw new TokenizerError(`${where}: expected an object`);
    const { id, content } = entry;
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
      const code = typeof id === "number" && id > MAX_TOKEN_ID ? "EP_LIMIT" : undefined;
      throw new TokenizerError(`${where}: id must be a non-negative integer up to ${MAX_TOKEN_ID}, got ${describeValue(id)}`, { code });
    }
    if (typeof content !== "string" || content === "") throw new TokenizerError(`${where}: content must be a non-empty string, got ${describeValue(content)}`);
    const vocabId = vocab.get(content);
    if (vocabId !== undefined && vocabId !== id) {
      throw new TokenizerError(`${where}: ${describeValue(content)} has id ${id}, but model.vocab gives it id ${vocabId}`);
    }
    const owner = tokenOfVocabId.get(id);
    if (owner !== undefined && owner !== content) {
      throw new TokenizerError(`${where}: ${describeValue(content)} has id ${id}, which model.vocab gives to ${describeValue(owner)}; an added token needs an id of its own`);
    }
    const twin = byId.get(id);
    if (twin !== undefined && twin !== content) {
      throw new TokenizerError(`${where}: ${describeValue(content)} has id ${id}, like the added token ${describeValue(twin)}`);
    }
    const other = byContent.get(content);
    if (other !== undefined && other !== id) {
      throw new TokenizerError(`${where}: ${describeValue(content)} is listed twice, with ids ${other} and ${id}`);
    }
    byId.set(id, content);
    byContent.set(content, id);
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
    throw new NotSupportedError(`${source}: post_processor ${describeValue(value["type"])} (only RobertaProcessing)`);
  }
  const tokenOf = (field: "cls" | "sep"): string => {
    const pair = value[field];
    if (!Array.isArray(pair) || typeof pair[0] !== "string") throw new TokenizerError(`${source}: post_processor.${field}: expected ["token", id]`);
    return pair[0];
  };
  return [tokenOf("cls"), tokenOf("sep")];
}
