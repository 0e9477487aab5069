// Typed errors. Every error the library throws on bad input is an EncoderPoolingError subclass whose
// message names the file, tensor, field or line at fault, so callers can `instanceof`-match the kind
// and users can read the message without a stack trace.
// Each class spells its `name` as a literal: minifiers rename classes, so `new.target.name` would print
// `j: config.json: …` from a bundle (test/runtimes/bundles.test.ts checks a minified build).

/** Base class of every error that encoder-pooling raises on purpose. */
export class EncoderPoolingError extends Error {
  override name = "EncoderPoolingError";
}

/** A safetensors file is malformed or holds a tensor we cannot read. */
export class SafetensorsError extends EncoderPoolingError {
  override name = "SafetensorsError";
}

/** A Hugging Face config.json is missing, malformed, or asks for something we do not implement. */
export class ConfigError extends EncoderPoolingError {
  override name = "ConfigError";
}

/** Model weights do not match the config: a tensor is missing or has the wrong shape. */
export class WeightsError extends EncoderPoolingError {
  override name = "WeightsError";
}

/** Tokenizer files (vocab.json, merges.txt, tokenizer.json) are missing or malformed. */
export class TokenizerError extends EncoderPoolingError {
  override name = "TokenizerError";
}

/** Model inputs are invalid: ids outside the vocabulary, bad masks, sequences too long, empty batch. */
export class InputError extends EncoderPoolingError {
  override name = "InputError";
}

/** A pooling spec or its parameters are invalid. */
export class PoolingError extends EncoderPoolingError {
  override name = "PoolingError";
}

/** A training run or a trained head cannot proceed (bad labels, NaN loss, mismatched head). */
export class TrainingError extends EncoderPoolingError {
  override name = "TrainingError";
}

/** The command line is wrong (unknown flag, missing value, file exists without --force). */
export class UsageError extends EncoderPoolingError {
  override name = "UsageError";
}

/** Feature outside what we implement: refused plainly instead of approximated. */
export class NotSupportedError extends EncoderPoolingError {
  override name = "NotSupportedError";
  constructor(message: string) {
    super(`not supported: ${message}`);
  }
}

/**
 * The candidate closest to `word` by edit distance, as ` (did you mean "x"?)` for an error message, or
 * "" when nothing is close (at most a third of the word's letters differ, and never more than 3).
 * @example `unknown pooling "atention"${didYouMean("atention", ["mean", "attention"])}` // … (did you mean "attention"?)
 */
export function didYouMean(word: string, candidates: readonly string[], quote = (s: string) => `"${s}"`): string {
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
