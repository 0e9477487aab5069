// Typed errors. Every error the library throws on bad input is an EncoderPoolingError subclass whose
// message names the file, tensor, field or line at fault, so callers can `instanceof`-match the kind
// and users can read the message without a stack trace.

/** Base class of every error that encoder-pooling raises on purpose. */
export class EncoderPoolingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A safetensors file is malformed or holds a tensor we cannot read. */
export class SafetensorsError extends EncoderPoolingError {}

/** A Hugging Face config.json is missing, malformed, or asks for something we do not implement. */
export class ConfigError extends EncoderPoolingError {}

/** Model weights do not match the config: a tensor is missing or has the wrong shape. */
export class WeightsError extends EncoderPoolingError {}

/** Tokenizer files (vocab.json, merges.txt, tokenizer.json) are missing or malformed. */
export class TokenizerError extends EncoderPoolingError {}

/** Model inputs are invalid: ids outside the vocabulary, bad masks, sequences too long, empty batch. */
export class InputError extends EncoderPoolingError {}

/** A pooling spec or its parameters are invalid. */
export class PoolingError extends EncoderPoolingError {}

/** A training run or a trained head cannot proceed (bad labels, NaN loss, mismatched head). */
export class TrainingError extends EncoderPoolingError {}

/** The command line is wrong (unknown flag, missing value, file exists without --force). */
export class UsageError extends EncoderPoolingError {}

/** Feature outside what we implement: refused plainly instead of approximated. */
export class NotSupportedError extends EncoderPoolingError {
  constructor(message: string) {
    super(`not supported: ${message}`);
  }
}
