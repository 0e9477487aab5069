// A model in a Web Worker behind the same embed() as EncoderModel: the page (or any thread with Web
// Workers: Deno, Bun) keeps its own thread free, whatever the model's size. The worker side is
// worker-host.ts; the messages are in worker-protocol.ts. Results come back as transferred
// Float32Arrays (no copy); errors come back as instances of the class the worker threw.
import { AbortError, EncoderPoolingError, InputError, NotSupportedError } from "../errors.js";
import type { PoolingDims } from "../pooling/index.js";
import type { Embeddings } from "./model.js";
import {
  errorFromWire, type WireEmbedOptions, type WorkerEmbedOptions, type WorkerLoadOptions, type WorkerModel,
  type WorkerReply, type WorkerRequest,
} from "./worker-protocol.js";

export type { WorkerEmbedOptions, WorkerLoadOptions, WorkerModel } from "./worker-protocol.js";

/** What this module needs of a Worker (the DOM's Worker, Deno's and Bun's fit). */
export interface WorkerLike {
  postMessage(message: WorkerRequest): void;
  addEventListener(type: "message" | "error" | "messageerror", listener: (event: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}

export interface EmbeddingWorkerOptions extends WorkerLoadOptions {
  /**
   * Where the model runs: a Worker already started on a script that calls serveEmbeddingWorker(), or
   * the URL of such a script (started as a module worker). Default: the package's own
   * `embedding-worker.js`, beside this module (with esbuild or a single-file bundle, bundle a worker
   * script that calls serveEmbeddingWorker() and pass its URL).
   */
  worker?: WorkerLike | string | URL;
}

/** The page's handle on a model in a worker. */
export interface EmbeddingWorker {
  /** The encoder's size as a pooler sees it, the longest input in tokens, the backend the worker chose (`wasm×1`). */
  readonly dims: PoolingDims;
  readonly maxLength: number;
  readonly backend: string;
  /** Same as EncoderModel.embed, run in the worker: rows, options and errors alike. */
  embed(texts: string[], options?: WorkerEmbedOptions): Promise<Embeddings>;
  /** Stops the worker at once; calls still running reject with an AbortError. */
  terminate(): void;
  /** The same as terminate(), named like EncoderModel.dispose(). */
  dispose(): void;
}

/** One embed() call waiting for its reply. */
interface Pending {
  resolve(e: Embeddings): void;
  reject(err: Error): void;
  options: WorkerEmbedOptions;
}

/**
 * Starts a worker, loads the model there (from files in memory, copied, or from a folder's URL, fetched
 * by the worker) and resolves once it is loaded; a load error rejects with the worker's own error class.
 * @example
 * const embedder = await createEmbeddingWorker("/models/roberta-base/");
 * const { vectors } = await embedder.embed(["a cat", "a dog"], { pooling: "mean", normalize: true });
 * embedder.terminate();
 */
export async function createEmbeddingWorker(model: WorkerModel, options: EmbeddingWorkerOptions = {}): Promise<EmbeddingWorker> {
  const { worker: given, ...loadOptions } = options;
  const { worker, where } = startWorker(given);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | undefined;

  const stop = (reason: Error): void => {
    if (stopped !== undefined) return;
    stopped = reason;
    worker.terminate();
    for (const call of pending.values()) call.reject(reason);
    pending.clear();
  };

  const loaded = new Promise<Extract<WorkerReply, { type: "loaded" }>>((resolve, reject) => {
    worker.addEventListener("message", (event) => {
      const reply = event.data as WorkerReply;
      if (reply.type === "loaded") return resolve(reply);
      if (reply.type === "load-failed") return reject(errorFromWire(reply.error));
      const call = pending.get(reply.id);
      if (call === undefined) return; // aborted on this side already
      if (reply.type === "progress") call.options.onProgress?.(reply.done, reply.total);
      else if (reply.type === "warning") call.options.onWarning?.(reply.message, reply.textIndex);
      else {
        pending.delete(reply.id);
        if (reply.type === "error") call.reject(errorFromWire(reply.error));
        else call.resolve(embeddings(reply.data, reply.count, reply.dim));
      }
    });
    // an error event: the script did not load, or something threw outside any request
    worker.addEventListener("error", (event) => {
      const err = new EncoderPoolingError(`embedding worker (${where}) failed: ${event.message ?? "the script did not load or threw"}`);
      reject(err);
      stop(err);
    });
  });

  worker.postMessage({ type: "load", model: portable(model), options: loadOptions });
  let info: Extract<WorkerReply, { type: "loaded" }>;
  try {
    info = await loaded;
  } catch (err) {
    stop(err as Error);
    throw err;
  }

  const terminate = (): void => stop(new AbortError("embedding worker: terminated"));
  return {
    dims: info.dims,
    maxLength: info.maxLength,
    backend: info.backend,
    terminate,
    dispose: terminate,
    embed(texts, embedOptions = {}) {
      if (stopped !== undefined) return Promise.reject(new AbortError(`embedding worker: already stopped (${stopped.message})`));
      if (!Array.isArray(texts)) return Promise.reject(new InputError("embed: texts must be an array of strings"));
      const { onProgress, onWarning, signal, ...rest } = embedOptions;
      if (signal?.aborted) return Promise.reject(new AbortError("embed: aborted", { cause: signal.reason }));
      const id = nextId++;
      const wire: WireEmbedOptions = { ...rest, progress: onProgress !== undefined, warnings: onWarning !== undefined };
      return new Promise<Embeddings>((resolve, reject) => {
        const onAbort = (): void => {
          if (!pending.delete(id)) return;
          worker.postMessage({ type: "abort", id });
          reject(new AbortError("embed: aborted", { cause: signal?.reason }));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const done = (): void => signal?.removeEventListener("abort", onAbort);
        pending.set(id, {
          options: embedOptions,
          resolve: (e) => (done(), resolve(e)),
          reject: (err) => (done(), reject(err)),
        });
        worker.postMessage({ type: "embed", id, texts, options: wire });
      });
    },
  };
}

/** The Web Worker constructor, where the runtime has one (typed here: the core compiles without lib "webworker"). */
declare const Worker: (new (url: string | URL, options: { type: "module" }) => WorkerLike) | undefined;

/** The worker to use, and how to name it in messages. */
function startWorker(given: WorkerLike | string | URL | undefined): { worker: WorkerLike; where: string } {
  if (given !== undefined && typeof given !== "string" && !(given instanceof URL)) return { worker: given, where: "the given worker" };
  if (typeof Worker === "undefined") throw new NotSupportedError("createEmbeddingWorker needs Web Workers (pages, workers, Deno, Bun); in Node, use the model directly");
  if (given !== undefined) return { worker: new Worker(given, { type: "module" }), where: String(given) };
  // written out in full, the pattern bundlers (Vite, webpack 5, Parcel) look for to ship the script beside yours
  return { worker: new Worker(new URL("./embedding-worker.js", import.meta.url), { type: "module" }), where: "embedding-worker.js" };
}

/** The model as data the worker can use: a URL made absolute here (a worker resolves against its script). */
function portable(model: WorkerModel): Exclude<WorkerModel, URL> {
  if (typeof model !== "string" && !(model instanceof URL)) return model;
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(model, base).href;
  } catch {
    return String(model); // no base here (Deno without --location): the worker resolves it as given
  }
}

/** An Embeddings over a transferred buffer: vectors[i] is a view of row i. */
function embeddings(data: Float32Array, count: number, dim: number): Embeddings {
  const vectors = Array.from({ length: count }, (_, i) => data.subarray(i * dim, (i + 1) * dim));
  return { data, count, dim, vectors };
}
