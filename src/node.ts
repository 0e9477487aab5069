// The Node entry point: everything of the core API plus the helpers that touch the file system and
// worker threads.
import { installNodeThreads } from "./io/worker-threads.js";

export * from "./index.js";
export { loadModel, defaultModelDir, packageRoot } from "./io/load-model.js";
export { loadTokenizerFolder, readFolderFiles } from "./io/model-folder.js";
export { readRecords, readStream, formatFromInputPath, STDIN_SOURCE, type ReadOptions } from "./io/readers.js";
export { formatFromOutputPath, writeEmbeddings } from "./io/writers.js";
export { openRecordStream, parseShard, shardRange, type RecordStream, type RecordStreamOptions, type Shard } from "./io/record-stream.js";
export { EmbeddingsOutput, partialPath, progressPath, sidecarPath, type EmbeddingsOutputOptions } from "./io/embeddings-output.js";
export { embedCorpus, InterruptedError, type EmbedCorpusOptions, type EmbedCorpusResult } from "./io/embed-corpus.js";
export { mergeEmbeddings } from "./io/merge.js";
export { OutputClosedError, StreamSink, FileSink, openByteOutput, type ByteSink, type ByteOutput } from "./io/sink.js";
export { assertWritable, readBytes, readText, writeFileAtomic } from "./io/files.js";
export { readLabelled, type ReadLabelledOptions } from "./io/labelled.js";
export { assertHeadFolderWritable, openHeadFolder, readHeadFolder, writeHeadFolder } from "./io/head-folder.js";
export { assertHeadCollectionWritable, loadHead, resolveHeadDir, saveHead, writeHeadCollection, type LoadHeadOptions } from "./io/trained-head.js";
export { createJobRunner, StopFlag } from "./io/job-runner.js";
export { createEmbeddingThread, type EmbeddingThreadOptions } from "./io/embedding-thread.js";
export { readCheckpointFolder, writeCheckpointFolder, writeModelFolder } from "./io/pretrain-folder.js";
export { isEntryPoint } from "./io/entry-point.js";
export { packageVersion } from "./io/package-info.js";
export { readVectors, type StoredVector } from "./io/vectors.js";

// Node 20 has no Web Workers: the wasm backend's threads start as worker_threads from here on.
installNodeThreads();
