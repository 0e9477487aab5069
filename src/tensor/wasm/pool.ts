// Worker threads for the engine: each worker instantiates the same compiled kernel module on the same shared
// WebAssembly.Memory and waits on a control block in that memory. A dispatch writes each worker's arguments,
// bumps a sequence number and notifies (Atomics); the calling thread runs its own share meanwhile, then waits
// until the pending count drops to zero. The partition of every kernel's range is static (engine.ts), so a
// given thread count always computes the same numbers.
//
// The worker's code is a small JS string generated here and started with `eval: true` (Node worker_threads)
// or from a Blob URL (Web Workers): no worker file to locate, so it works the same from TypeScript sources
// under vitest, from the built dist/, and inside a bundle that moves files around.
// A browser's main thread may not Atomics.wait: there the caller spins on the pending count instead (or run
// the engine inside a worker, where waiting is allowed).
import { NotSupportedError } from "../../errors.js";
import type { WasmMemory, WasmModule } from "./wasm-api.js";

/** Int32 slots of the control block. */
const SEQ = 0, FN = 1, PENDING = 2, STOP = 3, ERROR = 4;
/** Bytes before the argument slots; then per worker MAX_ARGS float64 values (argument count first). */
const HEADER = 64;
export const MAX_ARGS = 32;

/** Bytes of the control block for `workers` workers. */
export function controlBytes(workers: number): number {
  return HEADER + (workers + 1) * MAX_ARGS * 8;
}

/** The worker's whole program: instantiate, then loop waiting for the sequence number to move. */
const WORKER_MAIN = `
function workerMain(module, memory, ctrlPtr, index, names, argsMax, post) {
  const ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
  const args = new Float64Array(memory.buffer, ctrlPtr + ${HEADER} + index * argsMax * 8, argsMax);
  let fns = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fns = names.map((n) => instance.exports[n]);
  } catch (e) {
    post(String(e));
  }
  if (fns !== null) post("ready");
  let seq = 0;
  for (;;) {
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, ${SEQ}) === seq; spin++);
    Atomics.wait(ctrl, ${SEQ}, seq);
    seq = Atomics.load(ctrl, ${SEQ});
    if (Atomics.load(ctrl, ${STOP}) !== 0) return;
    try {
      const n = args[0];
      const a = [];
      for (let i = 1; i <= n; i++) a.push(args[i]);
      fns[Atomics.load(ctrl, ${FN})](...a);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
    }
    if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
  }
}`;

const NODE_WORKER = `${WORKER_MAIN}
const { parentPort, workerData: d } = require("node:worker_threads");
workerMain(d.module, d.memory, d.ctrlPtr, d.index, d.names, d.argsMax, (m) => parentPort.postMessage(m));`;

const WEB_WORKER = `${WORKER_MAIN}
onmessage = (e) => { const d = e.data; workerMain(d.module, d.memory, d.ctrlPtr, d.index, d.names, d.argsMax, (m) => postMessage(m)); };`;

interface AnyWorker { terminate(): unknown }

export class WorkerPool {
  private readonly ctrl: Int32Array;
  private readonly canWait: boolean;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly ctrlPtr: number,
    private readonly workers: AnyWorker[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
    this.canWait = mayWait(this.ctrl);
  }

  /** Starts `count` workers over `memory` and resolves once every one has instantiated the module. */
  static async start(module: WasmModule, memory: WasmMemory, ctrlPtr: number, count: number, names: readonly string[]): Promise<WorkerPool> {
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
    for (let i = 1; i <= count; i++) {
      const data = { module, memory, ctrlPtr, index: i, names: [...names], argsMax: MAX_ARGS };
      if (isNode) {
        // a variable specifier keeps bundlers for the browser from resolving a Node built-in
        const specifier = "node:worker_threads";
        const { Worker } = (await import(specifier)) as typeof import("node:worker_threads");
        const w = new Worker(NODE_WORKER, { eval: true, workerData: data });
        w.unref();
        workers.push(w);
        ready.push(firstMessage((f) => w.once("message", f), (f) => w.once("error", f)));
      } else {
        const WebWorker = (globalThis as { Worker?: new (url: string) => WebWorkerLike }).Worker;
        if (WebWorker === undefined) throw new NotSupportedError("threads need worker_threads or Web Workers");
        const blob = URL.createObjectURL(new Blob([WEB_WORKER], { type: "text/javascript" }));
        const w = new WebWorker(blob);
        workers.push(w);
        ready.push(firstMessage((f) => (w.onmessage = (e) => f(e.data)), (f) => (w.onerror = f)));
        w.postMessage(data);
      }
    }
    const pool = new WorkerPool(memory, ctrlPtr, workers);
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.stop();
      throw e;
    }
    return pool;
  }

  /** Runs fn(argsPerThread[t]…) on thread t for every t (t = 0 on the caller) and returns when all are done. */
  run(fnIndex: number, fn: (...args: number[]) => void, argsPerThread: readonly (readonly number[])[]): void {
    const args = new Float64Array(this.memory.buffer, this.ctrlPtr + HEADER, (this.workers.length + 1) * MAX_ARGS);
    for (let t = 1; t < argsPerThread.length; t++) {
      const a = argsPerThread[t]!;
      args[t * MAX_ARGS] = a.length;
      args.set(a, t * MAX_ARGS + 1);
    }
    Atomics.store(this.ctrl, FN, fnIndex);
    Atomics.store(this.ctrl, PENDING, this.workers.length);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    let error: unknown = null;
    try {
      fn(...argsPerThread[0]!);
    } catch (e) {
      error = e;
    }
    for (;;) {
      const pending = Atomics.load(this.ctrl, PENDING);
      if (pending === 0) break;
      if (this.canWait) Atomics.wait(this.ctrl, PENDING, pending);
    }
    if (error !== null) throw error;
    if (Atomics.exchange(this.ctrl, ERROR, 0) !== 0) throw new Error("wasm engine: a kernel failed in a worker thread");
  }

  /** Ends every worker. */
  stop(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}

interface WebWorkerLike extends AnyWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  postMessage(data: unknown): void;
}

/** Resolves on the worker's "ready", rejects on anything else (its instantiation error) or an error event. */
function firstMessage(onMessage: (f: (m: unknown) => void) => void, onError: (f: (e: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    onMessage((m) => (m === "ready" ? resolve() : reject(new Error(`wasm engine: a worker failed to start: ${String(m)}`))));
    onError((e) => reject(e instanceof Error ? e : new Error(`wasm engine: a worker failed: ${String(e)}`)));
  });
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayWait(ctrl: Int32Array): boolean {
  try {
    Atomics.wait(ctrl, 15, 1, 0);
    return true;
  } catch {
    return false;
  }
}
