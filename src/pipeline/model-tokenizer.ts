// A tokenizer with its model folder's settings: the token limit (the position table's, and the folder's
// default), lowercasing (sentence_bert_config.json's do_lower_case), and warnings per text. EncoderModel
// tokenizes through it; `tokenize` uses it alone on a folder that has tokenizer files but no model.
import { InputError } from "../errors.js";
import type { Encoding, Tokenizer } from "../encoder/tokenizer/index.js";
import { plainFolderSettings, type FolderSettings } from "./folder-settings.js";

/** How texts are tokenized: a limit, what to do past it, and where warnings go. */
export interface TokenizeOptions {
  /** Token limit per text including <s> and </s>. Default: the folder's, else the model's, else none. */
  maxLength?: number;
  /** Cut over-long texts (default, with a warning) or refuse them (false). */
  truncation?: boolean;
  /** Names text i in error messages (the CLI gives `file.txt:7`). Default `text ${i + 1}`. */
  describeText?: (textIndex: number) => string;
  /** Called with each warning and the index of the text it is about, e.g. ("truncated to 512 tokens", 3). */
  onWarning?: (message: string, textIndex: number) => void;
}

export class ModelTokenizer {
  /** Token limit used when none is asked for (null: none). */
  readonly defaultMaxLength: number | null;

  constructor(
    readonly tokenizer: Tokenizer,
    readonly folder: FolderSettings = plainFolderSettings(),
    /** The most tokens a text may have (the encoder's position table), or null without an encoder. */
    readonly maxLength: number | null = null,
  ) {
    const wanted = folder.maxLength;
    this.defaultMaxLength = wanted === null ? maxLength : maxLength === null ? wanted : Math.min(wanted, maxLength);
  }

  /** Tokenizes texts with this folder's settings; warnings (truncation, replaced characters) go to `onWarning`. */
  tokenize(texts: string[], options: TokenizeOptions = {}): Encoding[] {
    const maxLength = this.resolveMaxLength(options.maxLength);
    const describe = options.describeText ?? ((i: number) => `text ${i + 1}`);
    return texts.map((text, i) => {
      const encoding = this.tokenizer.encode(this.folder.lowercase ? text.toLowerCase() : text, { ...(maxLength === null ? {} : { maxLength }), truncation: true });
      if (encoding.truncated && options.truncation === false) {
        throw new InputError(`${describe(i)}: longer than ${maxLength} tokens (and truncation is off)`);
      }
      if (encoding.replacedInvalid) options.onWarning?.("lone surrogates replaced by U+FFFD", i);
      if (encoding.truncated) options.onWarning?.(`truncated to ${maxLength} tokens`, i);
      return encoding;
    });
  }

  private resolveMaxLength(maxLength: number | undefined): number | null {
    if (maxLength === undefined) return this.defaultMaxLength;
    const top = this.maxLength ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > top) {
      const range = this.maxLength === null ? "an integer >= 2" : `an integer from 2 to ${this.maxLength} (the position table's limit)`;
      throw new InputError(`maxLength must be ${range}, got ${maxLength}`);
    }
    return maxLength;
  }
}

/**
 * Encodings padded on the right into one batch, in the order given: input_ids [B,T] (padded with
 * `padTokenId`) and attention_mask [B,T].
 * @example padEncodings(model.tokenize(["a", "a b c"]), model.tokenizer.padTokenId) // seqLen 5
 */
export function padEncodings(encodings: readonly Encoding[], padTokenId: number): { inputIds: Int32Array; attentionMask: Int32Array; batchSize: number; seqLen: number } {
  if (encodings.length === 0) throw new InputError("padEncodings: no texts");
  const batchSize = encodings.length;
  const seqLen = Math.max(...encodings.map((e) => e.inputIds.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padTokenId);
  const attentionMask = new Int32Array(batchSize * seqLen);
  encodings.forEach((e, b) => {
    inputIds.set(e.inputIds, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + e.inputIds.length);
  });
  return { inputIds, attentionMask, batchSize, seqLen };
}
