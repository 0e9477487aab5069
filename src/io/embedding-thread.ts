// Node-only: createEmbeddingWorker with the model in a worker thread, so that a server's event loop stays
// free while a long embed() runs. Same embed(), same transferred results and re-created errors as in a
// page; node:worker_threads stands in for the Web Worker, which Node 20 lacks.
import { Worker } from "node:worker_threads";
import { createEmbeddingWorker, type EmbeddingWorker, type EmbeddingWorkerOptions, type WorkerLike, type WorkerModel } from "../pipeline/worker.js";

export interface EmbeddingThreadOptions extends Omit<EmbeddingWorkerOptions, "worker"> {
  /** The thread's script: default embedding-thread-worker.js beside this module (in dist/); a bundle gives its own. */
  script?: string | URL;
}

/**
 * Loads the model in a worker thread and returns its embed() proxy. The model is the files in memory
 * (copied to the thread) or an http(s) URL of a model folder. The thread keeps the process alive until
 * terminate().
 * @example
 * const embedder = await createEmbeddingThread({ config, weights: await readFile("m/model.safetensors"), tokenizerJson });
 * const { vectors } = await embedder.embed(texts, { pooling: "mean" });
 * embedder.terminate();
 */
export async function createEmbeddingThread(model: WorkerModel, options: EmbeddingThreadOptions = {}): Promise<EmbeddingWorker> {
  const { script = new URL("./embedding-thread-worker.js", import.meta.url), ...rest } = options;
  const thread = new Worker(script);
  const worker: WorkerLike = {
    postMessage: (message) => thread.postMessage(message),
    addEventListener: (type, listener) => {
      if (type === "message") thread.on("message", (data: unknown) => listener({ data }));
      else if (type === "error") thread.on("error", (err: Error) => listener({ message: err.message }));
    },
    terminate: () => void thread.terminate(),
  };
  return createEmbeddingWorker(model, { ...rest, worker });
}
