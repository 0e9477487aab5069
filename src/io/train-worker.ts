// The worker thread of job-runner.ts: runs one training job per message and reports its progress.
// It polls the shared stop flag after every optimizer step, so Ctrl-C in the main thread stops it.
import { parentPort } from "node:worker_threads";
import { resolveJobBackend, runPoolerJob, type PoolerJob, type PoolerJobResult } from "../train/job.js";
import type { EpochRecord, TrainProgress } from "../train/loop.js";
import { installNodeThreads } from "./worker-threads.js";

/** What the worker posts back: every step, every complete epoch, then the result or the error. */
export type WorkerMessage =
  | { type: "progress"; progress: TrainProgress }
  | { type: "epoch"; record: EpochRecord; epochs: number }
  | { type: "done"; result: PoolerJobResult }
  | { type: "error"; name: string; message: string; stack?: string };

const port = parentPort;
if (port === null) throw new Error("train-worker.js must run as a worker thread (see job-runner.ts)");
// a job on the wasm backend starts that backend's threads from here (worker_threads, as in the main thread)
installNodeThreads();

port.on("message", async ({ job, stop }: { job: PoolerJob; stop: Int32Array }) => {
  const send = (msg: WorkerMessage): void => port.postMessage(msg);
  try {
    const result = runPoolerJob(job, {
      onProgress: (progress) => send({ type: "progress", progress }),
      onEpoch: (record, epochs) => send({ type: "epoch", record, epochs }),
      shouldStop: () => Atomics.load(stop, 0) === 1,
    }, await resolveJobBackend(job));
    send({ type: "done", result });
  } catch (err) {
    const e = err as Error;
    send({ type: "error", name: e.name, message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) });
  }
});
