// The Node entry point: everything of the core API plus the helpers that touch the file system and
// worker threads.
import { installNodeThreads } from "./io/worker-threads.js";

export * from "./index.js";
export { loadModel, defaultModelDir, packageRoot } from "./io/load-model.js";
export { readRecords, readStream, formatFromInputPath, STDIN_SOURCE, type ReadOptions } from "./io/readers.js";
export { formatFromOutputPath, writeEmbeddings } from "./io/writers.js";
export { assertWritable, readBytes, readText, writeFileAtomic } from "./io/files.js";
export { readLabelled, type ReadLabelledOptions } from "./io/labelled.js";
export { assertHeadFolderWritable, openHeadFolder, readHeadFolder, writeHeadFolder } from "./io/head-folder.js";
export { createJobRunner, StopFlag } from "./io/job-runner.js";
export { readCheckpointFolder, writeCheckpointFolder, writeModelFolder } from "./io/pretrain-folder.js";
export { isEntryPoint } from "./io/entry-point.js";

// Node 20 has no Web Workers: the wasm backend's threads start as worker_threads from here on.
installNodeThreads();
