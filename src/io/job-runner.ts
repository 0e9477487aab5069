// Node-only: runs training jobs (src/train/job.ts) in worker threads, for two reasons: `compare` uses
// both cores, and the main thread stays free to notice Ctrl-C while a synchronous training loop
// runs (a signal handler only runs when the event loop does). The stop request travels to the
// workers through shared memory. Where the compiled worker script is absent (the TypeScript sources
// under a test runner), jobs run in-process on the same code path.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { EncoderPoolingError, InputError, PoolingError, TrainingError } from "../errors.js";
import { inlineJobRunner, type JobRunner, type PoolerJobResult } from "../train/job.js";
import type { WorkerMessage } from "./train-worker.js";

/** A stop request shared with the worker threads (set from a SIGINT handler). */
export class StopFlag {
  readonly shared = new Int32Array(new SharedArrayBuffer(4));

  request(): void {
    Atomics.store(this.shared, 0, 1);
  }

  get requested(): boolean {
    return Atomics.load(this.shared, 0) === 1;
  }
}

const WORKER_URL = new URL("./train-worker.js", import.meta.url);

/** Typed errors cross the thread boundary as name + message; this rebuilds them. */
function rebuildError(name: string, message: string, stack: string | undefined): Error {
  const kinds: Record<string, new (m: string) => EncoderPoolingError> = { TrainingError, PoolingError, InputError, EncoderPoolingError };
  const Kind = kinds[name];
  if (Kind !== undefined) return new Kind(message);
  const err = new Error(message);
  if (stack !== undefined) err.stack = stack;
  return err;
}

/**
 * A runner with up to `parallel` worker threads (in-process when the compiled worker is missing).
 * Jobs queue up and each goes to the next free worker.
 */
export function createJobRunner(parallel: number, stop: StopFlag): JobRunner {
  if (!existsSync(fileURLToPath(WORKER_URL))) return inlineJobRunner(() => stop.requested);
  const idle: Worker[] = [];
  const all: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  const acquire = (): Promise<Worker> => {
    const free = idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (all.length < parallel) {
      const w = new Worker(WORKER_URL);
      all.push(w);
      return Promise.resolve(w);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (w: Worker): void => {
    const next = waiting.shift();
    if (next !== undefined) next(w);
    else idle.push(w);
  };
  return {
    parallel,
    async run(job, hooks = {}) {
      const worker = await acquire();
      try {
        return await new Promise<PoolerJobResult>((resolve, reject) => {
          const onMessage = (msg: WorkerMessage): void => {
            if (msg.type === "progress") return hooks.onProgress?.(msg.progress);
            if (msg.type === "epoch") return hooks.onEpoch?.(msg.record, msg.epochs);
            cleanup();
            if (msg.type === "done") resolve(msg.result);
            else reject(rebuildError(msg.name, msg.message, msg.stack));
          };
          const onError = (err: Error): void => {
            cleanup();
            reject(err);
          };
          const cleanup = (): void => {
            worker.off("message", onMessage);
            worker.off("error", onError);
          };
          worker.on("message", onMessage);
          worker.on("error", onError);
          worker.postMessage({ job, stop: stop.shared });
        });
      } finally {
        release(worker);
      }
    },
    async close() {
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
