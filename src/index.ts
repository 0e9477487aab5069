// The public API of encoder-pooling, free of node:* imports so that it runs in browsers and workers.
// Node-only helpers that read folders (loadModel) are added by src/node.ts.

// Text → vectors: the pipeline most users want.
export { EncoderModel, loadModelFromBuffers, l2Normalize } from "./pipeline/model.js";
export type { ModelBuffers, LoadOptions, EmbedOptions, Embeddings, EncodedBatch } from "./pipeline/model.js";

// Errors: every deliberate failure is an EncoderPoolingError subclass.
export * from "./errors.js";

// The tensor engine: tensors, seeded randomness, kernels and their backward passes, the backend seam.
export * from "./tensor/index.js";

// The encoder: safetensors, Hugging Face config, weights, RoBERTa forward, tokenizer.
export * from "./encoder/safetensors.js";
export * from "./encoder/config.js";
export * from "./encoder/weights.js";
export * from "./encoder/roberta.js";
export * from "./encoder/init.js";
export * from "./encoder/tokenizer/index.js";

// Pooling: every strategy with forward and backward.
export * from "./pooling/index.js";

// Training the poolers: heads, losses, AdamW, schedules, metrics, the frozen-encoder cache and the loop.
export * from "./train/heads.js";
export * from "./train/losses.js";
export * from "./train/optim.js";
export * from "./train/schedule.js";
export * from "./train/metrics.js";
export * from "./train/dropout.js";
export * from "./train/train.js";
export * from "./train/encode-cache.js";
export * from "./train/compare.js";
export * from "./train/chart.js";
