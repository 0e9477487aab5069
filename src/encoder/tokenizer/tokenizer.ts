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
import { applyOverrides, buildMergeTable, checkIdRange, type TokenizerOverrides, type TokenizerSpec } from "./spec.js";
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

// With maxLength, a word longer than needed is encoded from a prefix: room for the tokens still
// wanted, plus this many more tokens' worth of bytes so that merges near the cut cannot reach them.
// The prefix is then doubled until its first tokens stop changing, so the result is the whole word's.
const WINDOW_MARGIN_TOKENS = 64;

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
  /** Bytes of the longest vocabulary token: a word of n tokens spans at most n times this. */
  private readonly maxTokenBytes: number;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly matcher: AddedTokenMatcher;
  private readonly bpe: BpeModel;
  private readonly cache = new Map<string, number[]>();
  private readonly spans = new ByteSpans();

  private constructor(spec: TokenizerSpec, table: MergeTable) {
    checkIdRange(spec);
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
    let maxTokenBytes = 1;
    for (const [token, id] of spec.vocab) {
      this.tokenOfId[id] = token;
      this.tokenBytes[id] = token.length;
      maxTokenBytes = Math.max(maxTokenBytes, token.length);
    }
    this.maxTokenBytes = maxTokenBytes;
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

  /**
   * Encodes one text. See EncodeOptions for the defaults. With maxLength, encoding stops once one
   * token more than fits is known, so a 50 MB line costs what its first tokens cost.
   */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    if (typeof text !== "string") throw new InputError(`encode: expected a string, got ${typeof text}`);
    const addSpecialTokens = options.addSpecialTokens ?? true;
    const addPrefixSpace = options.addPrefixSpace ?? this.addPrefixSpace;
    const reserved = addSpecialTokens ? 2 : 0;
    const maxLength = options.maxLength;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < reserved || maxLength < 1)) {
      throw new InputError(`encode: maxLength must be an integer >= ${Math.max(reserved, 1)}, got ${maxLength}`);
    }
    // Words are encoded independently, so the tokens of a prefix are the first tokens of the whole.
    const limit = maxLength === undefined ? Infinity : maxLength - reserved + 1;
    const { text: clean, replaced } = replaceLoneSurrogates(text);
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    for (const segment of this.matcher.segments(clean)) {
      if (ids.length >= limit) break;
      if (segment.token !== null) {
        ids.push(segment.token.id);
        offsets.push([segment.start, segment.end]);
      } else {
        this.encodeSegment(clean, segment.start, segment.end, addPrefixSpace, ids, offsets, limit);
      }
    }
    const truncated = maxLength !== undefined && this.truncate(ids, offsets, maxLength - reserved, options);
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

  /** Cuts the text tokens to `room` (maxLength minus the specials); returns whether it cut. */
  private truncate(ids: number[], offsets: [number, number][], room: number, options: EncodeOptions): boolean {
    if (ids.length <= room) return false;
    if (options.truncation === false) {
      throw new InputError(`encode: text is longer than maxLength ${options.maxLength} tokens (truncation is off)`);
    }
    ids.length = room;
    offsets.length = room;
    return true;
  }

  /**
   * Encodes text[start, end), which holds no added token, appending to ids and offsets; stops once
   * ids holds `limit` tokens.
   */
  private encodeSegment(
    text: string, start: number, end: number, addPrefixSpace: boolean, ids: number[], offsets: [number, number][], limit: number,
  ): void {
    if (start === end) return;
    // Like Hugging Face's ByteLevel pre-tokenizer, the prefix space goes in front of each segment that
    // does not already start with a space; it maps to the empty span [start, start).
    if (addPrefixSpace && text.charCodeAt(start) !== 0x20) {
      const work = " " + text.slice(start, end);
      forEachWord(work, 0, work.length, (ws, we) => {
        this.encodeWord({ text: work, start: ws, end: we, origin: start - 1, syntheticSpace: ws === 0 }, ids, offsets, limit);
        return ids.length < limit;
      });
    } else {
      forEachWord(text, start, end, (ws, we) => {
        this.encodeWord({ text, start: ws, end: we, origin: 0, syntheticSpace: false }, ids, offsets, limit);
        return ids.length < limit;
      });
    }
  }

  /** BPE on one word; appends at most `limit - ids.length` of its tokens. */
  private encodeWord(word: Word, ids: number[], offsets: [number, number][], limit: number): void {
    const room = limit - ids.length;
    const length = word.end - word.start;
    const cacheable = length <= CACHE_WORD_LENGTH;
    const key = cacheable ? word.text.slice(word.start, word.end) : "";
    let wordIds = cacheable ? this.cache.get(key) : undefined;
    if (wordIds === undefined) {
      let window = (room + WINDOW_MARGIN_TOKENS) * this.maxTokenBytes;
      let cut = this.prefixEnd(word, window);
      wordIds = this.bpeOf(word, cut);
      while (cut < word.end) {
        window *= 2;
        const wider = this.prefixEnd(word, window);
        const check = this.bpeOf(word, wider);
        const stable = samePrefix(wordIds, check, room);
        wordIds = check;
        cut = wider;
        if (stable) break;
      }
      if (cacheable && this.cache.size < CACHE_CAPACITY) this.cache.set(key, wordIds);
    } else {
      this.fillSpans(word, word.end);
    }
    const spans = this.spans;
    let b = 0;
    const count = Math.min(wordIds.length, room);
    for (let k = 0; k < count; k++) {
      const id = wordIds[k]!;
      const next = b + this.tokenBytes[id]!;
      ids.push(id);
      offsets.push(tokenOffsets(spans, b, next));
      b = next;
    }
  }

  /** End of the first `chars` code units of the word (never inside a surrogate pair), or its end. */
  private prefixEnd(word: Word, chars: number): number {
    if (word.end - word.start <= chars) return word.end;
    let cut = word.start + chars;
    const c = word.text.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut++;
    return cut;
  }

  /** The BPE ids of word text [start, cut); its bytes are left in this.spans. */
  private bpeOf(word: Word, cut: number): number[] {
    this.fillSpans(word, cut);
    return this.bpe.encode(this.spans.bytes, this.spans.length);
  }

  private fillSpans(word: Word, cut: number): void {
    this.spans.clear();
    if (word.syntheticSpace) this.spans.pushSyntheticSpace(word.origin + 1);
    this.spans.pushUtf8(word.text, word.syntheticSpace ? word.start + 1 : word.start, cut, word.origin);
  }
}

/** The first n ids of a and b exist and are equal. */
function samePrefix(a: number[], b: number[], n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A pre-tokenised word: text[start, end), where text[0] is at `origin` in the input. */
interface Word {
  text: string;
  start: number;
  end: number;
  origin: number;
  /** text[start] is a space we added (add_prefix_space); it is no character of the input. */
  syntheticSpace: boolean;
}
