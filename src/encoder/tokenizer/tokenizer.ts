// The GPT-2/RoBERTa byte-level BPE tokenizer: added tokens -> GPT-2 words -> UTF-8 bytes -> BPE by
// merge rank -> ids, with <s> … </s> around each text, truncation, batch padding and character offsets.

import { InputError, TokenizerError } from "../../errors.js";
import { AddedTokenMatcher, type AddedToken } from "./added-tokens.js";
import { BpeModel, type MergeTable } from "./bpe.js";
import { ByteDecoder } from "./decode.js";
import { robertaSpecFromFiles } from "./load-vocab-merges.js";
import { specFromTokenizerJson } from "./load-tokenizer-json.js";
import { tokenOffsets } from "./offsets.js";
import { forEachWord } from "./pre-tokenize.js";
import { applyOverrides, buildMergeTable, type TokenizerOverrides, type TokenizerSpec } from "./spec.js";
import { ByteSpans, replaceLoneSurrogates } from "./text.js";

export interface EncodeOptions {
  /** Put <s> before and </s> after the text (default true). */
  addSpecialTokens?: boolean;
  /** Prepend a space when the text does not start with one, so the first word is encoded like a later
   *  one ("Hello" -> "ĠHello"). Default: the file's setting (false for roberta-base). */
  addPrefixSpace?: boolean;
  /** Longest result in tokens, <s> and </s> included. Default: no limit. */
  maxLength?: number;
  /** When longer than maxLength: cut the text tokens (true, default) or throw an InputError (false). */
  truncation?: boolean;
}

/** Where tokenizer files came from (for errors) and the folder settings that apply over them. */
export interface TokenizerLoadOptions {
  source?: string;
  /** From tokenizer_config.json / special_tokens_map.json (see parseFolderSettings). */
  overrides?: TokenizerOverrides;
}

/** One encoded text. */
export interface Encoding {
  inputIds: number[];
  tokens: string[];
  /** [start, end) in UTF-16 code units of the input text; [0, 0] for the <s> and </s> added around it. */
  offsets: [number, number][];
  /** Text tokens were cut to respect maxLength. */
  truncated: boolean;
  /** The input had lone surrogates, which were encoded as U+FFFD (offsets still index the input). */
  replacedInvalid: boolean;
}

/** Several texts padded on the right to the longest. */
export interface BatchEncoding {
  /** [B,T] row-major, padded with padTokenId. */
  inputIds: Int32Array;
  /** [B,T]: 1 = real token, 0 = padding. */
  attentionMask: Int32Array;
  batchSize: number;
  seqLen: number;
  encodings: Encoding[];
}

// Words up to this many code units are cached with their BPE ids; the cache stops growing when full.
// 100,000 words (roughly 10–15 MB) cover over 99% of the words of the Brown corpus; with 20,000 the
// bench ran at 5 MB/s instead of 20.
const CACHE_WORD_LENGTH = 64;
const CACHE_CAPACITY = 100_000;

/**
 * A byte-level BPE tokenizer, loaded from vocab.json + merges.txt or from tokenizer.json.
 * @example
 * const tok = Tokenizer.fromVocabAndMerges(vocabText, mergesText);
 * tok.encode("Hello world").inputIds // [0, 31414, 232, 2] with roberta-base
 */
export class Tokenizer {
  /** Number of ids: one more than the largest id of the vocabulary and the added tokens. */
  readonly vocabSize: number;
  readonly padTokenId: number;
  /** <s>, put before each text (RoBERTa's cls token). */
  readonly bosTokenId: number;
  /** </s>, put after each text (RoBERTa's sep token). */
  readonly eosTokenId: number;
  readonly unkTokenId: number | null;
  readonly addPrefixSpace: boolean;

  private readonly tokenOfId: (string | undefined)[];
  private readonly idOfToken: Map<string, number>;
  /** Bytes each vocabulary token stands for (its length: one table character per byte). */
  private readonly tokenBytes: Int32Array;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly matcher: AddedTokenMatcher;
  private readonly bpe: BpeModel;
  private readonly cache = new Map<string, number[]>();
  private readonly spans = new ByteSpans();

  private constructor(spec: TokenizerSpec, table: MergeTable) {
    this.idOfToken = new Map(spec.vocab);
    for (const token of spec.addedTokens) {
      this.idOfToken.set(token.content, token.id);
      this.addedById.set(token.id, token);
    }
    let maxId = -1;
    for (const id of this.idOfToken.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.tokenOfId = new Array<string | undefined>(this.vocabSize);
    this.tokenBytes = new Int32Array(this.vocabSize);
    for (const [token, id] of spec.vocab) {
      this.tokenOfId[id] = token;
      this.tokenBytes[id] = token.length;
    }
    for (const token of spec.addedTokens) this.tokenOfId[token.id] = token.content;
    const required = (token: string, role: string): number => {
      const id = this.idOfToken.get(token);
      if (id === undefined) throw new TokenizerError(`${spec.vocabSource}: no id for the ${role} token ${token}`);
      return id;
    };
    this.bosTokenId = required(spec.bosToken, "bos/cls");
    this.eosTokenId = required(spec.eosToken, "eos/sep");
    this.padTokenId = required(spec.padToken, "padding");
    this.unkTokenId = this.idOfToken.get(spec.unkToken) ?? null;
    this.addPrefixSpace = spec.addPrefixSpace;
    this.matcher = new AddedTokenMatcher(spec.addedTokens);
    this.bpe = new BpeModel(table);
  }

  /**
   * Loads the two-file form. `source` names where the files came from (e.g. the model folder); errors
   * then name `<source>/vocab.json` and `<source>/merges.txt` with the entry or line at fault.
   */
  static fromVocabAndMerges(vocabJson: string, mergesTxt: string, options: TokenizerLoadOptions = {}): Tokenizer {
    const prefix = options.source === undefined ? "" : `${options.source}/`;
    const spec = robertaSpecFromFiles(vocabJson, mergesTxt, `${prefix}vocab.json`, `${prefix}merges.txt`);
    return new Tokenizer(applyOverrides(spec, options.overrides ?? {}), buildMergeTable(spec));
  }

  /** Loads Hugging Face's tokenizer.json; `source` is the file name used in errors (default "tokenizer.json"). */
  static fromTokenizerJson(json: string, options: TokenizerLoadOptions = {}): Tokenizer {
    const spec = specFromTokenizerJson(json, options.source ?? "tokenizer.json");
    return new Tokenizer(applyOverrides(spec, options.overrides ?? {}), buildMergeTable(spec));
  }

  /** The token string of `id`, or undefined outside the vocabulary. */
  idToToken(id: number): string | undefined {
    return this.tokenOfId[id];
  }

  /** The id of a token string (vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.idOfToken.get(token);
  }

  /** Encodes one text. See EncodeOptions for the defaults. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== "string") throw new InputError(`encode: expected a string, got ${typeof text}`);
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const addPrefixSpace = options.addPrefixSpace ?? this.addPrefixSpace;
    const { text: clean, replaced } = replaceLoneSurrogates(text);
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    for (const segment of this.matcher.split(clean)) {
      if (segment.token !== null) {
        ids.push(segment.token.id);
        offsets.push([segment.start, segment.end]);
      } else {
        this.encodeSegment(clean, segment.start, segment.end, addPrefixSpace, ids, offsets);
      }
    }
    const truncated = this.truncate(ids, offsets, addSpecialTokens ? 2 : 0, options);
    if (addSpecialTokens) {
      ids.unshift(this.bosTokenId);
      ids.push(this.eosTokenId);
      offsets.unshift([0, 0]);
      offsets.push([0, 0]);
    }
    const tokens = ids.map((id) => this.tokenOfId[id]!);
    return { inputIds: ids, tokens, offsets, truncated, replacedInvalid: replaced };
  }

  /** Encodes several texts and pads them on the right with padTokenId to the longest. */
  encodeBatch(texts: string[], options: EncodeOptions = {}): BatchEncoding {
    if (texts.length === 0) throw new InputError("encodeBatch: empty batch");
    const encodings = texts.map((text) => this.encode(text, options));
    let seqLen = 0;
    for (const e of encodings) seqLen = Math.max(seqLen, e.inputIds.length);
    const batchSize = encodings.length;
    // inputIds, attentionMask: [B,T]
    const inputIds = new Int32Array(batchSize * seqLen).fill(this.padTokenId);
    const attentionMask = new Int32Array(batchSize * seqLen);
    encodings.forEach((e, b) => {
      inputIds.set(e.inputIds, b * seqLen);
      attentionMask.fill(1, b * seqLen, b * seqLen + e.inputIds.length);
    });
    return { inputIds, attentionMask, batchSize, seqLen, encodings };
  }

  /** Text of `ids`. Added tokens appear as written (<s>) unless skipSpecialTokens drops the special ones. */
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    const parts: string[] = [];
    const bytes = new ByteDecoder();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const token = Number.isInteger(id) ? this.tokenOfId[id] : undefined;
      if (token === undefined) throw new InputError(`decode: ids[${i}] = ${id} is not in the vocabulary (${this.vocabSize} ids)`);
      const added = this.addedById.get(id);
      if (added === undefined) {
        bytes.pushToken(token);
      } else if (!(added.special && options.skipSpecialTokens === true)) {
        parts.push(bytes.flush(), added.content);
      }
    }
    parts.push(bytes.flush());
    return parts.join("");
  }

  /** Cuts the text tokens to maxLength minus the `reserved` specials; returns whether it cut. */
  private truncate(ids: number[], offsets: [number, number][], reserved: number, options: EncodeOptions): boolean {
    const maxLength = options.maxLength;
    if (maxLength === undefined) return false;
    if (!Number.isInteger(maxLength) || maxLength < reserved || maxLength < 1) {
      throw new InputError(`encode: maxLength must be an integer >= ${Math.max(reserved, 1)}, got ${maxLength}`);
    }
    const room = maxLength - reserved;
    if (ids.length <= room) return false;
    if (options.truncation === false) {
      throw new InputError(`encode: text is ${ids.length + reserved} tokens long, more than maxLength ${maxLength} (truncation is off)`);
    }
    ids.length = room;
    offsets.length = room;
    return true;
  }

  /** Encodes text[start, end), which holds no added token, appending to ids and offsets. */
  private encodeSegment(text: string, start: number, end: number, addPrefixSpace: boolean, ids: number[], offsets: [number, number][]): void {
    if (start === end) return;
    // Like Hugging Face's ByteLevel pre-tokenizer, the prefix space goes in front of each segment that
    // does not already start with a space.
    if (addPrefixSpace && text.charCodeAt(start) !== 0x20) {
      const work = " " + text.slice(start, end);
      forEachWord(work, 0, work.length, (ws, we) => {
        this.spans.clear();
        if (ws === 0) this.spans.pushSyntheticSpace(start);
        this.spans.pushUtf8(work, Math.max(ws, 1), we, start - 1);
        this.encodeWord(work, ws, we, ids, offsets);
      });
    } else {
      forEachWord(text, start, end, (ws, we) => {
        this.spans.clear();
        this.spans.pushUtf8(text, ws, we, 0);
        this.encodeWord(text, ws, we, ids, offsets);
      });
    }
  }

  /** BPE on the word text[ws, we), whose bytes are in this.spans. */
  private encodeWord(text: string, ws: number, we: number, ids: number[], offsets: [number, number][]): void {
    const spans = this.spans;
    let wordIds: number[] | undefined;
    const cacheable = we - ws <= CACHE_WORD_LENGTH;
    const key = cacheable ? text.slice(ws, we) : "";
    if (cacheable) wordIds = this.cache.get(key);
    if (wordIds === undefined) {
      wordIds = this.bpe.encode(spans.bytes, spans.length);
      if (cacheable && this.cache.size < CACHE_CAPACITY) this.cache.set(key, wordIds);
    }
    let b = 0;
    for (const id of wordIds) {
      const next = b + this.tokenBytes[id]!;
      ids.push(id);
      offsets.push(tokenOffsets(spans, b, next));
      b = next;
    }
  }
}
