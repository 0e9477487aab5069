// The public API of encoder-pooling, free of node:* imports so that it runs in browsers and workers.
// Node-only helpers that read folders (loadModel) are added by src/node.ts.
export * from "./errors.js";
export * from "./tensor/tensor.js";
