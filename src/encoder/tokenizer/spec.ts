// What a loader hands to the Tokenizer: the vocabulary, the merges with where each came from (for
// error messages), the added tokens and the defaults read from the files.

import { describeValue, TokenizerError } from "../../errors.js";
import type { AddedToken } from "./added-tokens.js";
import { BYTE_TO_CHAR } from "./byte-unicode.js";
import type { MergeTable } from "./bpe.js";

/** One merge rule `left right`, with `where` naming its file and line or entry. */
export interface MergeRule {
  left: string;
  right: string;
  where: string;
}

export interface TokenizerSpec {
  /** Token string -> id, as in vocab.json or tokenizer.json's model.vocab. */
  vocab: Map<string, number>;
  /** Merge rules in rank order. */
  merges: MergeRule[];
  addedTokens: AddedToken[];
  /** Tokens put around each text: <s> (bos/cls) and </s> (eos/sep). */
  bosToken: string;
  eosToken: string;
  padToken: string;
  unkToken: string;
  /** Default of the encode option `addPrefixSpace`. */
  addPrefixSpace: boolean;
  /** Names the vocabulary in error messages, e.g. "roberta-base/vocab.json". */
  vocabSource: string;
}

/**
 * Settings of a model folder's tokenizer_config.json / special_tokens_map.json that change how a text
 * is encoded, applied over what the tokenizer files say (as Hugging Face's from_pretrained does).
 */
export interface TokenizerOverrides {
  /** Encode the first word like a later one ("Hello" -> "ĠHello"). */
  addPrefixSpace?: boolean;
  /** Put before each text (cls_token; RoBERTa's <s>). */
  clsToken?: string;
  /** Put after each text (sep_token; RoBERTa's </s>). */
  sepToken?: string;
  padToken?: string;
  unkToken?: string;
}

/** The spec with `overrides` applied; an absent field keeps the files' value. */
export function applyOverrides(spec: TokenizerSpec, overrides: TokenizerOverrides): TokenizerSpec {
  return {
    ...spec,
    addPrefixSpace: overrides.addPrefixSpace ?? spec.addPrefixSpace,
    bosToken: overrides.clsToken ?? spec.bosToken,
    eosToken: overrides.sepToken ?? spec.eosToken,
    padToken: overrides.padToken ?? spec.padToken,
    unkToken: overrides.unkToken ?? spec.unkToken,
  };
}

/** Largest id we accept; the BPE pair keys need ids below 2^24. */
export const MAX_TOKEN_ID = 2 ** 24 - 1;

/**
 * How far ids may run past the number of tokens: the tokenizer keeps a table indexed by id, so a few
 * bytes claiming id 16,000,000 must not buy a 16-million-entry table. Hugging Face numbers the tokens
 * densely from 0; a gap this large means a damaged file.
 */
export const MAX_UNUSED_IDS = 65_536;

/** Checks one vocabulary entry and adds it to `vocab`; `where` names the file and field. */
export function addVocabEntry(vocab: Map<string, number>, token: string, id: unknown, where: string): void {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
    const code = typeof id === "number" && id > MAX_TOKEN_ID ? "EP_LIMIT" : undefined;
    throw new TokenizerError(`${where}: entry ${describeValue(token)}: id must be an integer in [0, ${MAX_TOKEN_ID}], got ${describeValue(id)}`, { code });
  }
  vocab.set(token, id);
}

/** Ids must be unique: two tokens with one id could not be decoded. */
export function checkUniqueIds(vocab: Map<string, number>, where: string): void {
  const tokenOfId = new Map<number, string>();
  for (const [token, id] of vocab) {
    const other = tokenOfId.get(id);
    if (other !== undefined) {
      throw new TokenizerError(`${where}: entries ${describeValue(other)} and ${describeValue(token)} share id ${id}`);
    }
    tokenOfId.set(id, token);
  }
}

/**
 * Every id of the vocabulary and the added tokens must be below the number of distinct tokens plus
 * MAX_UNUSED_IDS; checked before the tokenizer sizes its tables by the largest id.
 */
export function checkIdRange(spec: TokenizerSpec): void {
  const tokens = new Set(spec.vocab.keys());
  for (const token of spec.addedTokens) tokens.add(token.content);
  const limit = tokens.size + MAX_UNUSED_IDS;
  const tooLarge = (id: number): boolean => id >= limit;
  for (const [token, id] of spec.vocab) {
    if (tooLarge(id)) throw idRangeError(spec.vocabSource, `entry ${describeValue(token)}`, id, tokens.size, limit);
  }
  for (const token of spec.addedTokens) {
    if (tooLarge(token.id)) throw idRangeError(spec.vocabSource, `added token ${describeValue(token.content)}`, token.id, tokens.size, limit);
  }
}

function idRangeError(source: string, what: string, id: number, count: number, limit: number): TokenizerError {
  return new TokenizerError(
    `${source}: ${what} has id ${id}, but ${count} tokens allow ids up to ${limit - 1} (tokens + ${MAX_UNUSED_IDS}): the ids are not dense`,
    { code: "EP_LIMIT" },
  );
}

/** Resolves merge rules to ids; every symbol and every merged result must be in the vocabulary. */
export function buildMergeTable(spec: TokenizerSpec): MergeTable {
  const { vocab, merges } = spec;
  const byteIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = vocab.get(BYTE_TO_CHAR[b]!);
    if (id === undefined) {
      throw new TokenizerError(
        `${spec.vocabSource}: byte 0x${b.toString(16).padStart(2, "0")} has no token ${describeValue(BYTE_TO_CHAR[b])}; a byte-level BPE vocabulary needs all 256`,
      );
    }
    byteIds[b] = id;
  }
  const left = new Int32Array(merges.length);
  const right = new Int32Array(merges.length);
  const result = new Int32Array(merges.length);
  merges.forEach((merge, rank) => {
    const lookup = (symbol: string): number => {
      const id = vocab.get(symbol);
      if (id === undefined) throw new TokenizerError(`${merge.where}: ${describeValue(symbol)} is not in the vocabulary (${spec.vocabSource})`);
      return id;
    };
    left[rank] = lookup(merge.left);
    right[rank] = lookup(merge.right);
    result[rank] = lookup(merge.left + merge.right);
  });
  return { byteIds, left, right, result };
}

/** A JSON value is a plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
