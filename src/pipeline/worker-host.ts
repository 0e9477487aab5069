// The worker's side of createEmbeddingWorker: load the model the page names, then answer embed requests
// with transferred Float32Arrays. embed() yields between batches, so an abort from the page is read
// while a long call runs. Several calls may run at once; they take turns batch by batch.
import { errorToWire, type WorkerReply, type WorkerRequest } from "./worker-protocol.js";
import { loadModelFromUrl } from "./load-url.js";
import { loadModelFromBuffers, type EncoderModel } from "./model.js";

/** What a worker's global scope offers (a DedicatedWorkerGlobalScope; typed here so the core needs no lib "webworker"). */
export interface WorkerScope {
  addEventListener(type: "message", listener: (event: { data: WorkerRequest }) => void): void;
  postMessage(message: WorkerReply, transfer?: ArrayBuffer[]): void;
}

/**
 * Serves createEmbeddingWorker's requests from this worker. The package's own worker script
 * (`embedding-worker.js`) is one line calling it; call it from your own worker script when your bundler
 * cannot find that script beside the module that starts it (createEmbeddingWorker's `worker` option).
 * @example
 * // my-worker.ts, the script of the Worker given to createEmbeddingWorker(model, { worker })
 * import { serveEmbeddingWorker } from "encoder-pooling/core";
 * serveEmbeddingWorker();
 */
export function serveEmbeddingWorker(scope: WorkerScope = globalThis as unknown as WorkerScope): void {
  let model: Promise<EncoderModel> | undefined;
  const running = new Map<number, AbortController>();
  const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => scope.postMessage(reply, transfer);

  scope.addEventListener("message", ({ data: request }) => {
    switch (request.type) {
      case "load": {
        const { model: source, options } = request;
        const { tokenizer, ...loadOptions } = options;
        model = typeof source === "string"
          ? loadModelFromUrl(source, tokenizer === undefined ? loadOptions : { ...loadOptions, tokenizer })
          : loadModelFromBuffers(source, loadOptions);
        model.then(
          (m) => post({ type: "loaded", dims: m.dims, maxLength: m.maxLength, backend: `${m.encoder.backend.name}×${m.encoder.backend.threads}` }),
          (err: unknown) => post({ type: "load-failed", error: errorToWire(err) }),
        );
        return;
      }
      case "embed": {
        const { id, texts, options } = request;
        const { progress, warnings, ...embedOptions } = options;
        const controller = new AbortController();
        running.set(id, controller);
        (async () => {
          if (model === undefined) throw new Error("embedding worker: embed before load");
          const { data, count, dim } = await (await model).embed(texts, {
            ...embedOptions,
            signal: controller.signal,
            ...(progress ? { onProgress: (done: number, total: number) => post({ type: "progress", id, done, total }) } : {}),
            ...(warnings ? { onWarning: (message: string, textIndex: number) => post({ type: "warning", id, message, textIndex }) } : {}),
          });
          // data is a fresh Float32Array over its own buffer: transferred, not copied
          post({ type: "result", id, data, count, dim }, [data.buffer as ArrayBuffer]);
        })()
          .catch((err: unknown) => post({ type: "error", id, error: errorToWire(err) }))
          .finally(() => running.delete(id));
        return;
      }
      case "abort":
        running.get(request.id)?.abort();
        return;
    }
  });
}
