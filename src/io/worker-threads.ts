// Node-only: the wasm engine's threads as worker_threads. The core (src/tensor/wasm/pool.ts) starts Web
// Workers, which Node 20 lacks; src/node.ts installs this spawner so that `threads` works in Node too.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { NODE_WORKER, setThreadPlatform, type SpawnWorker, type ThreadPlatform } from "../tensor/wasm/pool.js";

/** One worker_threads worker running the engine's worker program (given as source, started with eval). */
export const spawnNodeWorker: SpawnWorker = (data, onMessage, onError) => {
  const w = new Worker(NODE_WORKER, { eval: true, workerData: data });
  // an idle pool must not keep the process alive
  w.unref();
  w.once("message", onMessage);
  w.once("error", onError);
  return w;
};

/** Node's threads: worker_threads, as many as the machine's cores by default. */
export const nodeThreadPlatform: ThreadPlatform = { spawn: spawnNodeWorker, cores: availableParallelism() };

/** Makes the wasm backend start its threads as worker_threads (src/node.ts does this once, on import). */
export function installNodeThreads(): void {
  setThreadPlatform(nodeThreadPlatform);
}
