// The Node entry point: everything of the core API plus the helpers that touch the file system.
export * from "./index.js";
export { loadModel, defaultModelDir } from "./io/load-model.js";
export { readRecords, formatFromInputPath } from "./io/readers.js";
export { parseRecords, type TextRecord, type InputFormat } from "./formats/records.js";
export { encodeEmbeddings, formatFromOutputPath, writeEmbeddings, type OutputFormat } from "./io/writers.js";
