// The script of createEmbeddingThread (embedding-thread.ts): a Node worker thread that serves
// createEmbeddingWorker's requests, as embedding-worker.js does in a Web Worker.
import { parentPort } from "node:worker_threads";
import { serveEmbeddingWorker, type WorkerScope } from "../pipeline/worker-host.js";
import { installNodeThreads } from "./worker-threads.js";

const port = parentPort;
if (port === null) throw new Error("embedding-thread-worker.js must run as a worker thread (see createEmbeddingThread)");
installNodeThreads();
const scope: WorkerScope = {
  addEventListener: (_type, listener) => port.on("message", (data) => listener({ data })),
  postMessage: (message, transfer) => port.postMessage(message, transfer),
};
serveEmbeddingWorker(scope);
