// The byte-level BPE tokenizer of GPT-2 and RoBERTa.
export { Tokenizer, type EncodeOptions, type Encoding, type BatchEncoding, type TokenizerLoadOptions } from "./tokenizer.js";
export type { TokenizerOverrides } from "./spec.js";
export { BYTE_TO_CHAR, byteOfCharCode } from "./byte-unicode.js";
export { GPT2_PATTERN_SOURCE, preTokenize } from "./pre-tokenize.js";
export { replaceLoneSurrogates } from "./text.js";
export type { AddedToken } from "./added-tokens.js";
