// The public API of encoder-pooling, free of node:* imports so that it runs in browsers and workers.
// Node-only helpers that read and write files (loadModel, head folders, worker threads) are added by
// src/node.ts. The folders below are the floors of the pipeline (docs/ARCHITECTURE.md).

// Text → vectors: the pipeline most users want.
export { EncoderModel, loadModelFromBuffers, loadTokenizer, l2Normalize } from "./pipeline/model.js";
export { loadModelFromUrl, type LoadFromUrlOptions } from "./pipeline/load-url.js";
export type { ModelBuffers, LoadOptions, EmbedOptions, EmbedStreamOptions, EmbedHead, Embeddings, TokenEmbeddings, EncodedBatch } from "./pipeline/model.js";
export { embedWindows, windowBounds, DEFAULT_WINDOW, type StreamRow, type StreamProgress, type WindowOptions, type WindowEngine } from "./pipeline/stream.js";
export { ModelTokenizer, padEncodings, type TokenizeOptions } from "./pipeline/model-tokenizer.js";
export {
  folderFilesToRead, parseFolderSettings, parseModules, plainFolderSettings, type FolderFiles, type FolderModule, type FolderSettings,
} from "./pipeline/folder-settings.js";
export { cosineSimilarity, similarityMatrix, TopK, type Neighbour, type SimilarityMatrix, type VectorRows } from "./pipeline/similarity.js";
export { yieldToEventLoop } from "./pipeline/cooperate.js";
// The same embed() with the model in a Web Worker (the page's thread stays free), and the worker's side.
export { createEmbeddingWorker, type EmbeddingWorker, type EmbeddingWorkerOptions, type WorkerLike } from "./pipeline/worker.js";
export type { WorkerEmbedOptions, WorkerLoadOptions, WorkerModel } from "./pipeline/worker-protocol.js";
export { serveEmbeddingWorker, type WorkerScope } from "./pipeline/worker-host.js";

// Errors: every deliberate failure is an EncoderPoolingError subclass.
export * from "./errors.js";

// The tensor engine: tensors, seeded randomness, kernels and their backward passes, the backend seam.
export * from "./tensor/index.js";

// The encoder: safetensors, Hugging Face config, weights, RoBERTa forward, tokenizer.
export * from "./encoder/safetensors.js";
export * from "./encoder/config.js";
export { MAX_JSON_DEPTH, parseJson } from "./encoder/json.js";
export * from "./encoder/weights.js";
export * from "./encoder/roberta.js";
export * from "./encoder/init.js";
export * from "./encoder/training.js";
export * from "./encoder/backward.js";
export * from "./encoder/trainable.js";
export * from "./encoder/lm-head.js";
export * from "./encoder/tokenizer/index.js";

// File formats as bytes and strings: input records (txt, jsonl, csv), embeddings outputs, state dicts.
export {
  parseRecords, RecordParser, INPUT_FORMATS, BLANK_LINE,
  type InputFormat, type ParsedRecords, type ParseOptions, type RecordParserOptions, type RecordWarning, type TextRecord,
} from "./formats/records.js";
export { parseCsv, CsvSplitter, type CsvRow } from "./formats/csv.js";
export { decodeUtf8, lineWarnings, refuseBinary, Utf8LineDecoder, INVALID_UTF8, type DecodedText, type DecodedLines } from "./formats/utf8.js";
export * from "./formats/embeddings.js";
export * from "./formats/embeddings-stream.js";
export { encodeTokenEmbeddings, type TokenRows } from "./formats/token-embeddings.js";
export { parseNpyHeader, parseVectorLine, type VectorRow } from "./formats/vectors.js";
export { encodeNpyFloat32, npyHeaderFloat32 } from "./formats/npy.js";
export * from "./formats/state-dict.js";

// Pooling: every strategy with forward and backward.
export * from "./pooling/index.js";

// Training poolers and heads: losses, AdamW, schedules, metrics, caches, the loop, k-fold, compare, head folders.
export * from "./train/index.js";
