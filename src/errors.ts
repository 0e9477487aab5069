// Typed errors. Every error the library throws on bad input is an EncoderPoolingError subclass whose
// message names the file, tensor, field or line at fault, so callers can `instanceof`-match the kind
// and users can read the message without a stack trace. Each carries a stable `code` (the CLI turns it
// into an exit status): the class's own code, or a cross-cutting one such as EP_LIMIT for a documented
// cap or EP_NONFINITE for a NaN or an infinity.
// Each class spells its `name` as a literal: minifiers rename classes, so `new.target.name` would print
// `j: config.json: …` from a bundle (test/runtimes/bundles.test.ts checks a minified build).

/** The stable kinds of failure; one per class, plus the cross-cutting EP_LIMIT, EP_NONFINITE and EP_IO. */
export type ErrorCode =
  | "EP_ERROR"
  | "EP_SAFETENSORS"
  | "EP_CONFIG"
  | "EP_WEIGHTS"
  | "EP_TOKENIZER"
  | "EP_INPUT"
  | "EP_POOLING"
  | "EP_TRAINING"
  | "EP_USAGE"
  | "EP_NOT_SUPPORTED"
  /** A documented limit (header size, nesting depth, layers, sizes, ids, line length) was exceeded. */
  | "EP_LIMIT"
  /** NaN or ±Infinity in loaded weights or parameters, or produced by a computation. */
  | "EP_NONFINITE"
  /** A file or folder cannot be read or written. */
  | "EP_IO"
  /** The caller stopped the work through an AbortSignal (or the worker doing it was terminated). */
  | "EP_ABORTED";

export interface EncoderPoolingErrorOptions {
  /** The kind of failure when it is not the class's own (EP_LIMIT, EP_NONFINITE, EP_IO). */
  code?: ErrorCode;
  cause?: unknown;
}

/** Base class of every error that encoder-pooling raises on purpose. */
export class EncoderPoolingError extends Error {
  override name = "EncoderPoolingError";
  /** What kind of failure this is; stable across releases, unlike the message. */
  readonly code: ErrorCode;

  constructor(message: string, options: EncoderPoolingErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // A method, not a field: subclass fields are set only after this constructor has run.
    this.code = options.code ?? this.defaultCode();
  }

  protected defaultCode(): ErrorCode {
    return "EP_ERROR";
  }
}

/** A safetensors file is malformed or holds a tensor we cannot read. */
export class SafetensorsError extends EncoderPoolingError {
  override name = "SafetensorsError";
  protected override defaultCode(): ErrorCode {
    return "EP_SAFETENSORS";
  }
}

/** A Hugging Face config.json is missing, malformed, or asks for something we do not implement. */
export class ConfigError extends EncoderPoolingError {
  override name = "ConfigError";
  protected override defaultCode(): ErrorCode {
    return "EP_CONFIG";
  }
}

/** Model weights do not match the config: a tensor is missing or has the wrong shape. */
export class WeightsError extends EncoderPoolingError {
  override name = "WeightsError";
  protected override defaultCode(): ErrorCode {
    return "EP_WEIGHTS";
  }
}

/** Tokenizer files (vocab.json, merges.txt, tokenizer.json) are missing or malformed. */
export class TokenizerError extends EncoderPoolingError {
  override name = "TokenizerError";
  protected override defaultCode(): ErrorCode {
    return "EP_TOKENIZER";
  }
}

/** Model inputs are invalid: ids outside the vocabulary, bad masks, sequences too long, empty batch. */
export class InputError extends EncoderPoolingError {
  override name = "InputError";
  protected override defaultCode(): ErrorCode {
    return "EP_INPUT";
  }
}

/** A pooling spec or its parameters are invalid. */
export class PoolingError extends EncoderPoolingError {
  override name = "PoolingError";
  protected override defaultCode(): ErrorCode {
    return "EP_POOLING";
  }
}

/** A training run or a trained head cannot proceed (bad labels, NaN loss, mismatched head). */
export class TrainingError extends EncoderPoolingError {
  override name = "TrainingError";
  protected override defaultCode(): ErrorCode {
    return "EP_TRAINING";
  }
}

/** The command line is wrong (unknown flag, missing value, file exists without --force). */
export class UsageError extends EncoderPoolingError {
  override name = "UsageError";
  protected override defaultCode(): ErrorCode {
    return "EP_USAGE";
  }
}

/** Feature outside what we implement: refused plainly instead of approximated. */
export class NotSupportedError extends EncoderPoolingError {
  override name = "NotSupportedError";
  constructor(message: string, options: EncoderPoolingErrorOptions = {}) {
    super(`not supported: ${message}`, options);
  }
  protected override defaultCode(): ErrorCode {
    return "EP_NOT_SUPPORTED";
  }
}

/**
 * The caller aborted the work (an AbortSignal fired, or the worker doing it was terminated): nothing
 * computed so far is returned as if it were complete. Named "AbortError" like the DOMException that
 * `fetch` rejects with, so `err.name === "AbortError"` checks work for both; the signal's reason is the cause.
 */
export class AbortError extends EncoderPoolingError {
  override name = "AbortError";
  protected override defaultCode(): ErrorCode {
    return "EP_ABORTED";
  }
}

// ---------------------------------------------------------------------------------------------------
// Suggesting a name

/**
 * The candidate closest to `word` by edit distance, as ` (did you mean "x"?)` for an error message, or
 * "" when nothing is close (at most a third of the word's letters differ, and never more than 3). A word
 * longer than 64 characters gets no suggestion (the distance costs its length times each candidate's).
 * @example `unknown pooling "atention"${didYouMean("atention", ["mean", "attention"])}` // … (did you mean "attention"?)
 */
export function didYouMean(word: string, candidates: readonly string[], quote = (s: string) => `"${s}"`): string {
  if (word.length > 64) return "";
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return best !== null && best !== word && bestDistance <= limit ? ` (did you mean ${quote(best)}?)` : "";
}

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours ("lsmt" → "lstm" is 1). */
function editDistance(a: string, b: string): number {
  // d[i][j] = distance between a[0, i) and b[0, j), three rows at a time
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row.push(d);
    }
    [before, previous] = [previous, row];
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------------------------------
// Describing a bad value

// How much of a value a message shows: a few items of a list, a few keys of an object, the start of a string.
const PREVIEW_ITEMS = 3;
const PREVIEW_KEYS = 3;
const PREVIEW_CHARS = 40;
const NESTED_CHARS = 12;

/**
 * A short, bounded description of any value for an error message: the value itself when it is small
 * (`"gelu_new"`, `1e+21`, `[1, 2]`), else its type and a preview (`[[…], [true], … (5000 items)]`,
 * `"abcabcabcab…" (1000000 chars)`). It never recurses and never calls user code (no toString, no
 * getters), so a hostile value — 100,000 levels of nesting, a cycle, a million keys — cannot blow
 * the stack or the message up. Use it instead of JSON.stringify in every message.
 * @example describeValue([[[[1]]]]) // "[[…]]"
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length && i < PREVIEW_ITEMS; i++) items.push(describeShallow(value[i]));
    if (value.length > PREVIEW_ITEMS) items.push(`… (${value.length} items)`);
    return `[${items.join(", ")}]`;
  }
  if (isPlainRecord(value)) {
    const entries: string[] = [];
    let count = 0;
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (count < PREVIEW_KEYS) entries.push(`${quote(key, NESTED_CHARS)}: ${describeProperty(value, key)}`);
      count++;
      if (count > PREVIEW_KEYS) break;
    }
    if (count > PREVIEW_KEYS) entries.push("…");
    return `{${entries.join(", ")}}`;
  }
  return describeScalar(value, PREVIEW_CHARS);
}

// Reads a data property without running a getter.
function describeProperty(record: Record<string, unknown>, key: string): string {
  const descriptor = Object.getOwnPropertyDescriptor(record, key);
  return descriptor !== undefined && "value" in descriptor ? describeShallow(descriptor.value) : "a getter";
}

/** One level only: nested lists and objects become `[…]` and `{…}` (or `[]` and `{}` when empty). */
function describeShallow(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? "[]" : "[…]";
  if (isPlainRecord(value)) return hasOwnKey(value) ? "{…}" : "{}";
  return describeScalar(value, NESTED_CHARS);
}

function describeScalar(value: unknown, maxChars: number): string {
  switch (typeof value) {
    case "string":
      return quote(value, maxChars);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (value === null) return "null";
      if (ArrayBuffer.isView(value)) return `a ${typedArrayName(value)} of ${value.byteLength} bytes`;
      if (value instanceof Map) return `a Map of ${value.size} entries`;
      if (value instanceof Set) return `a Set of ${value.size} entries`;
      return "an object";
  }
}

/** The string in double quotes with JSON's escapes, cut to `maxChars` characters with its length. */
function quote(text: string, maxChars: number): string {
  const shown = text.length > maxChars ? text.slice(0, maxChars) : text;
  let out = '"';
  for (let i = 0; i < shown.length; i++) {
    const c = shown.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(shown.charCodeAt(i + 1))) {
      out += shown.slice(i, i + 2); // a valid pair stays one character
      i++;
    } else if (c < 0x20 || (c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += shown[i];
  }
  return text.length > maxChars ? `${out}…" (${text.length} chars)` : `${out}"`;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasOwnKey(value: Record<string, unknown>): boolean {
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return true;
  return false;
}

function typedArrayName(view: ArrayBufferView): string {
  // Object.prototype.toString reads Symbol.toStringTag from the prototype chain: "[object Float32Array]".
  return Object.prototype.toString.call(view).slice(8, -1);
}
