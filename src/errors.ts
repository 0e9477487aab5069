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
